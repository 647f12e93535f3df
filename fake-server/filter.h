/* The subset of OData $filter the fake service understands (spec §1.2):
 * equality tests on top-level string fields joined by "and", e.g.
 *   (engagementId eq '37ef26aa-...' and status eq 'Active')
 * Also names the referral fields a list can filter and sort on. */
#ifndef FAKE_FILTER_H
#define FAKE_FILTER_H

#include <stddef.h>

#include "buf.h"

/* Top-level referral members the store indexes for listing. The first
 * RF_FILTERABLE ones may appear in $filter; the dates are for $orderby. */
enum ref_field {
    RF_ENGAGEMENT_ID,
    RF_STATUS,
    RF_SUBSTATUS,
    RF_TYPE,
    RF_DIRECTION,
    RF_QUALIFICATION,
    RF_EXTERNAL_REFERENCE_ID,
    RF_FILTERABLE,
    RF_CREATED = RF_FILTERABLE,
    RF_UPDATED,
    RF_COUNT
};

extern const char *const ref_field_names[RF_COUNT];

struct condition {
    enum ref_field field;
    char *value;
};

struct filter {
    struct condition *conds;
    size_t count;
    size_t cap;
};

#define FILTER_INIT                                                                                \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

/* Parses a decoded $filter value. Returns 0, or -1 with the reason in err. */
int filter_parse(struct filter *f, const char *text, strbuf *err);

/* Whether a referral whose indexed fields are values (NULL = absent or not a
 * string) satisfies every condition. Comparison is exact, like the service's
 * string equality. */
int filter_matches(const struct filter *f, char *const values[RF_COUNT]);

void filter_free(struct filter *f);

#endif
