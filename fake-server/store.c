/* The referral store (see store.h). Referrals are never deleted (the API has
 * no DELETE, spec §1), only all at once by a control-API reset, so the id
 * index is an open-addressing hash table without tombstones. */
#include "store.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "field_index.h"

struct entry {
    char *id;
    char *etag;
    char *json;
    size_t len;
    uint32_t *starts; /* where each top-level member begins in json, for $select */
    size_t members;
    char *fields[RF_COUNT];
};

struct store {
    pthread_mutex_t lock;
    struct entry *entries; /* creation order */
    size_t count;
    size_t cap;
    size_t *slots; /* hash index: entry index + 1, 0 = empty */
    size_t nslots; /* power of two, at least twice count */
    /* The fields looked up by value (client:sync by externalReferenceId, the
     * shared flow by engagementId) have an index; the others are NULL. */
    struct field_index *by_value[RF_COUNT];
};

/* Records (or forgets) the indexed fields of entry i. */
static void index_entry(struct store *s, size_t i, int add)
{
    int f;
    for (f = 0; f < RF_COUNT; f++) {
        if (!s->by_value[f])
            continue;
        if (add)
            field_index_add(s->by_value[f], s->entries[i].fields[f], i);
        else
            field_index_remove(s->by_value[f], s->entries[i].fields[f], i);
    }
}

/* The slot holding id, or the empty slot where it would go. */
static size_t *find_slot(const struct store *s, const char *id)
{
    size_t mask = s->nslots - 1, i = str_hash(id) & mask;
    while (s->slots[i] && strcmp(s->entries[s->slots[i] - 1].id, id) != 0)
        i = (i + 1) & mask;
    return &s->slots[i];
}

static struct entry *find(const struct store *s, const char *id)
{
    size_t slot = *find_slot(s, id);
    return slot ? &s->entries[slot - 1] : NULL;
}

static void rehash(struct store *s, size_t nslots)
{
    size_t i;
    free(s->slots);
    s->slots = xcalloc(nslots, sizeof *s->slots);
    s->nslots = nslots;
    for (i = 0; i < s->count; i++)
        *find_slot(s, s->entries[i].id) = i + 1;
}

struct store *store_new(void)
{
    struct store *s = xcalloc(1, sizeof *s);
    pthread_mutex_init(&s->lock, NULL);
    rehash(s, 64);
    s->by_value[RF_ENGAGEMENT_ID] = field_index_new();
    s->by_value[RF_EXTERNAL_REFERENCE_ID] = field_index_new();
    return s;
}

static void entry_free_content(struct entry *e)
{
    int f;
    free(e->etag);
    free(e->json);
    free(e->starts);
    for (f = 0; f < RF_COUNT; f++)
        free(e->fields[f]);
}

/* Fills everything but id from the document. */
static void entry_fill(struct entry *e, const jv *doc)
{
    strbuf text = STRBUF_INIT;
    const char *etag = jv_get_str(doc, "eTag");
    int f;
    e->members = doc->kind == JV_OBJECT ? doc->count : 0;
    e->starts = xmalloc((e->members ? e->members : 1) * sizeof *e->starts);
    if (doc->kind == JV_OBJECT)
        jv_write_object(&text, doc, e->starts);
    else
        jv_write(&text, doc);
    e->json = sb_detach(&text, &e->len);
    e->etag = etag ? xstrdup(etag) : NULL;
    for (f = 0; f < RF_COUNT; f++) {
        const char *v = jv_get_str(doc, ref_field_names[f]);
        e->fields[f] = v ? xstrdup(v) : NULL;
    }
}

static void clear_locked(struct store *s)
{
    size_t i;
    for (i = 0; i < s->count; i++) {
        entry_free_content(&s->entries[i]);
        free(s->entries[i].id);
    }
    s->count = 0;
    memset(s->slots, 0, s->nslots * sizeof *s->slots);
    for (i = 0; i < RF_COUNT; i++)
        if (s->by_value[i])
            field_index_clear(s->by_value[i]);
}

void store_free(struct store *s)
{
    int f;
    if (!s)
        return;
    clear_locked(s);
    for (f = 0; f < RF_COUNT; f++)
        field_index_free(s->by_value[f]);
    free(s->entries);
    free(s->slots);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

void store_clear(struct store *s)
{
    pthread_mutex_lock(&s->lock);
    clear_locked(s);
    pthread_mutex_unlock(&s->lock);
}

size_t store_count(struct store *s)
{
    size_t n;
    pthread_mutex_lock(&s->lock);
    n = s->count;
    pthread_mutex_unlock(&s->lock);
    return n;
}

enum store_result store_add(struct store *s, const jv *referral, strbuf *out)
{
    const char *id = jv_get_str(referral, "id");
    struct entry e;
    size_t *slot;
    memset(&e, 0, sizeof e);
    entry_fill(&e, referral); /* serialize outside the lock */
    pthread_mutex_lock(&s->lock);
    slot = find_slot(s, id);
    if (*slot) {
        pthread_mutex_unlock(&s->lock);
        entry_free_content(&e);
        return STORE_EXISTS;
    }
    e.id = xstrdup(id);
    GROW(s->entries, s->cap, s->count + 1);
    s->entries[s->count++] = e;
    *slot = s->count;
    index_entry(s, s->count - 1, 1);
    if (s->count * 2 > s->nslots)
        rehash(s, s->nslots * 2);
    if (out) /* under the lock: a concurrent update may replace the text */
        sb_add(out, e.json, e.len);
    pthread_mutex_unlock(&s->lock);
    return STORE_OK;
}

enum store_result store_get(struct store *s, const char *id, strbuf *out, char **etag)
{
    struct entry *e;
    pthread_mutex_lock(&s->lock);
    e = find(s, id);
    if (e) {
        sb_add(out, e->json, e->len);
        *etag = e->etag ? xstrdup(e->etag) : NULL;
    }
    pthread_mutex_unlock(&s->lock);
    return e ? STORE_OK : STORE_NOT_FOUND;
}

enum store_result store_update(struct store *s, const char *id, store_update_fn fn, void *arg,
                               strbuf *out)
{
    enum store_result rc = STORE_OK;
    struct entry *e;
    pthread_mutex_lock(&s->lock);
    e = find(s, id);
    if (!e) {
        rc = STORE_NOT_FOUND;
    } else {
        strbuf ignored = STRBUF_INIT;
        jv *current = jv_parse(e->json, e->len, &ignored); /* our own output: always valid */
        jv *next = fn(arg, current);
        if (next) {
            index_entry(s, (size_t)(e - s->entries), 0);
            entry_free_content(e);
            entry_fill(e, next);
            index_entry(s, (size_t)(e - s->entries), 1);
            sb_add(out, e->json, e->len);
            jv_free(next);
        } else {
            rc = STORE_REJECTED;
        }
        jv_free(current);
        sb_free(&ignored);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

/* ---- listing ---- */

struct sort_item {
    const char *key;
    size_t index;
};

static int compare_items(const void *pa, const void *pb)
{
    const struct sort_item *a = pa, *b = pb;
    int c = datetime_compare(a->key, b->key);
    if (c)
        return c;
    return a->index < b->index ? -1 : a->index > b->index; /* stable */
}

/* The entries that may match f, ascending, and how many (*n): those of an
 * indexed value f asks for, or NULL for every entry. */
static const size_t *candidates(const struct store *s, const struct filter *f, size_t *n)
{
    size_t i;
    for (i = 0; i < f->count; i++) {
        const struct condition *c = &f->conds[i];
        if (c->op == OP_EQ && s->by_value[c->field])
            return field_index_find(s->by_value[c->field], c->value, n);
    }
    *n = s->count;
    return NULL;
}

size_t store_list(struct store *s, const struct list_query *q, strbuf *out, size_t *returned)
{
    struct sort_item *items;
    const size_t *some;
    size_t i, count, n = 0, shown = 0;
    pthread_mutex_lock(&s->lock);
    some = candidates(s, q->filter, &count);
    items = xmalloc((count ? count : 1) * sizeof *items);
    for (i = 0; i < count; i++) {
        size_t at = some ? some[i] : i;
        if (!filter_matches(q->filter, s->entries[at].fields))
            continue;
        items[n].key = q->order_field >= 0 ? s->entries[at].fields[q->order_field] : NULL;
        items[n].index = at;
        n++;
    }
    if (q->order_field >= 0)
        qsort(items, n, sizeof *items, compare_items);
    for (i = q->offset; i < n && shown < q->limit; i++, shown++) {
        const struct entry *e = &s->entries[items[q->descending ? n - 1 - i : i].index];
        if (shown)
            sb_addc(out, ',');
        select_write(q->select, e->json, e->len, e->starts, e->members, out);
    }
    pthread_mutex_unlock(&s->lock);
    free(items);
    *returned = shown;
    return n;
}

void store_dump(struct store *s, strbuf *out)
{
    size_t i;
    sb_addc(out, '[');
    pthread_mutex_lock(&s->lock);
    for (i = 0; i < s->count; i++) {
        if (i)
            sb_addc(out, ',');
        sb_add(out, s->entries[i].json, s->entries[i].len);
    }
    pthread_mutex_unlock(&s->lock);
    sb_addc(out, ']');
}
