/* $select (spec §1.2): which top-level members of each listed referral are
 * returned. A comma-separated list of member names (spaces around names are
 * allowed); "*" or no $select returns every member. */
#ifndef FAKE_SELECT_H
#define FAKE_SELECT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct select {
    size_t count; /* 0: every member */
    char **names;
};

#define SELECT_INIT                                                                                \
    {                                                                                              \
        0, NULL                                                                                    \
    }

/* Parses text; on error returns -1 with a reason in err. */
int select_parse(struct select *s, const char *text, strbuf *err);

/* Appends the referral json[0..len), a compact object whose members begin at
 * starts[0..members) (jv_write_object), to out with only the selected
 * members, in their stored order: their text is copied, not parsed. */
void select_write(const struct select *s, const char *json, size_t len, const uint32_t *starts,
                  size_t members, strbuf *out);

void select_free(struct select *s);

#endif
