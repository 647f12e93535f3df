/* A field's index (see field_index.h): an open-addressing hash table of the
 * values, each with the ascending list of entries holding it. A value whose
 * last entry moved to another value keeps its slot with an empty list, so the
 * table needs no deletion; a rehash drops such slots. */
#include "field_index.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"

struct holders {
    char *value; /* NULL: a free slot */
    size_t *entries;
    size_t count;
    size_t cap;
};

struct field_index {
    struct holders *slots;
    size_t nslots; /* power of two, at least twice used */
    size_t used;
};

static struct holders *find_slot(const struct field_index *x, const char *value)
{
    size_t mask = x->nslots - 1, i = str_hash(value) & mask;
    while (x->slots[i].value && strcmp(x->slots[i].value, value) != 0)
        i = (i + 1) & mask;
    return &x->slots[i];
}

static void free_slots(struct holders *slots, size_t nslots)
{
    size_t i;
    for (i = 0; i < nslots; i++) {
        free(slots[i].value);
        free(slots[i].entries);
    }
    free(slots);
}

static void rehash(struct field_index *x, size_t nslots)
{
    struct holders *old = x->slots;
    size_t i, nold = x->nslots;
    x->slots = xcalloc(nslots, sizeof *x->slots);
    x->nslots = nslots;
    x->used = 0;
    for (i = 0; i < nold; i++) {
        if (old[i].count) {
            *find_slot(x, old[i].value) = old[i];
            x->used++;
            old[i].value = NULL;
            old[i].entries = NULL;
        }
    }
    free_slots(old, nold);
}

static void start_empty(struct field_index *x)
{
    x->slots = xcalloc(64, sizeof *x->slots);
    x->nslots = 64;
    x->used = 0;
}

struct field_index *field_index_new(void)
{
    struct field_index *x = xcalloc(1, sizeof *x);
    start_empty(x);
    return x;
}

void field_index_free(struct field_index *x)
{
    if (!x)
        return;
    free_slots(x->slots, x->nslots);
    free(x);
}

void field_index_clear(struct field_index *x)
{
    free_slots(x->slots, x->nslots);
    start_empty(x);
}

void field_index_add(struct field_index *x, const char *value, size_t entry)
{
    struct holders *h;
    size_t at;
    if (!value)
        return;
    h = find_slot(x, value);
    if (!h->value) {
        if ((x->used + 1) * 2 > x->nslots) {
            rehash(x, x->nslots * 2);
            h = find_slot(x, value);
        }
        h->value = xstrdup(value);
        x->used++;
    }
    if (h->count == h->cap) { /* most values have one holder: grow from one */
        h->cap = h->cap ? h->cap * 2 : 1;
        h->entries = xrealloc(h->entries, h->cap * sizeof *h->entries);
    }
    /* New referrals come last; an update that changes the value may not. */
    for (at = h->count; at > 0 && h->entries[at - 1] > entry; at--)
        h->entries[at] = h->entries[at - 1];
    h->entries[at] = entry;
    h->count++;
}

void field_index_remove(struct field_index *x, const char *value, size_t entry)
{
    struct holders *h;
    size_t i;
    if (!value)
        return;
    h = find_slot(x, value);
    for (i = 0; i < h->count && h->entries[i] != entry; i++)
        ;
    if (i == h->count)
        return;
    memmove(&h->entries[i], &h->entries[i + 1], (h->count - i - 1) * sizeof *h->entries);
    h->count--;
}

const size_t *field_index_find(const struct field_index *x, const char *value, size_t *n)
{
    const struct holders *h = find_slot(x, value);
    *n = h->value ? h->count : 0;
    return *n ? h->entries : NULL;
}
