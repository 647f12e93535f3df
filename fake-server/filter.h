/* The subset of OData $filter the fake service understands (spec §1.2):
 * equality tests on top-level string fields and comparisons of the two
 * datetimes, joined by "and", e.g.
 *   (engagementId eq '37ef26aa-...' and status eq 'Active')
 *   updatedDateTime gt 2026-12-02T14:00:00.5Z
 * Also names the referral fields a list can filter and sort on. */
#ifndef FAKE_FILTER_H
#define FAKE_FILTER_H

#include <stddef.h>

#include "buf.h"

/* Top-level referral members the store indexes for listing. All may appear
 * in $filter; the first RF_DATETIMES ones with eq only, the dates also with
 * gt, ge, lt, le; the dates are for $orderby too. */
enum ref_field {
    RF_ENGAGEMENT_ID,
    RF_STATUS,
    RF_SUBSTATUS,
    RF_TYPE,
    RF_DIRECTION,
    RF_QUALIFICATION,
    RF_EXTERNAL_REFERENCE_ID,
    RF_DATETIMES,
    RF_CREATED = RF_DATETIMES,
    RF_UPDATED,
    RF_COUNT
};

extern const char *const ref_field_names[RF_COUNT];

enum filter_op { OP_EQ, OP_GT, OP_GE, OP_LT, OP_LE };

struct condition {
    enum ref_field field;
    enum filter_op op;
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
 * string) satisfies every condition. Strings compare exactly, like the
 * service's string equality; datetimes by the instant they name. */
int filter_matches(const struct filter *f, char *const values[RF_COUNT]);

void filter_free(struct filter *f);

/* Orders two service datetimes (NULL first) by instant: <0, 0 or >0. */
int datetime_compare(const char *a, const char *b);

#endif
