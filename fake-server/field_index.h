/* An index of one referral field: for each value, the store entries (by their
 * number in creation order) holding it. It lets a list filtered by
 * "field eq 'value'" read the few matching entries instead of the whole store:
 * client:sync looks each key up that way, and against a store of a million
 * referrals a scan per look-up made a streamed sync quadratic.
 * Not thread-safe: the store calls it under its lock. */
#ifndef FAKE_FIELD_INDEX_H
#define FAKE_FIELD_INDEX_H

#include <stddef.h>

struct field_index;

struct field_index *field_index_new(void);
void field_index_free(struct field_index *x);
void field_index_clear(struct field_index *x);

/* Records that entry holds value (NULL: the entry has none, nothing to record). */
void field_index_add(struct field_index *x, const char *value, size_t entry);

/* Forgets that entry holds value (it was added with it). */
void field_index_remove(struct field_index *x, const char *value, size_t entry);

/* The entries holding value, in ascending order, and how many (*n); NULL and 0 when none do.
 * Valid until the index next changes. */
const size_t *field_index_find(const struct field_index *x, const char *value, size_t *n);

#endif
