/* The referral store: every referral the fake service knows, in creation
 * order, kept as compact JSON text plus the few fields lists filter and sort
 * on. Keeping text (not trees) makes GET and list a memcpy and keeps memory
 * near the size of the data when benchmarks create many referrals.
 * All functions are thread-safe. */
#ifndef FAKE_STORE_H
#define FAKE_STORE_H

#include <stddef.h>

#include "buf.h"
#include "filter.h"
#include "json.h"
#include "select.h"

struct store;

enum store_result { STORE_OK, STORE_NOT_FOUND, STORE_EXISTS, STORE_REJECTED };

struct store *store_new(void);
void store_free(struct store *s);
void store_clear(struct store *s);
size_t store_count(struct store *s);

/* Adds a referral; it must have a string "id". Appends its JSON text to out
 * (if not NULL). STORE_EXISTS if the id is taken. */
enum store_result store_add(struct store *s, const jv *referral, strbuf *out);

/* Appends referral id's JSON text to out and returns a copy of its eTag
 * (NULL if it has none) in *etag. */
enum store_result store_get(struct store *s, const char *id, strbuf *out, char **etag);

/* Computes a new version of referral id while holding the store lock, so
 * read-check-write (If-Match, transitions) is atomic. fn gets the current
 * document and returns the replacement (ownership passes to the store; its
 * id must be unchanged) or NULL to reject (STORE_REJECTED, nothing changes).
 * On success the new text is appended to out. */
typedef jv *(*store_update_fn)(void *arg, const jv *current);
enum store_result store_update(struct store *s, const char *id, store_update_fn fn, void *arg,
                               strbuf *out);

struct list_query {
    const struct filter *filter;
    const struct select *select; /* which members of each referral are written */
    int order_field;             /* RF_CREATED, RF_UPDATED, or -1 for creation order */
    int descending;
    size_t offset; /* first match to return */
    size_t limit;  /* how many matches at most */
};

/* Appends the matching referrals selected by q to out as comma-separated
 * JSON texts; returns how many referrals match in total and sets *returned. */
size_t store_list(struct store *s, const struct list_query *q, strbuf *out, size_t *returned);

/* Appends every referral, in creation order, as a JSON array. */
void store_dump(struct store *s, strbuf *out);

#endif
