/* Request log and counters (see reqlog.h). Records are kept as finished
 * JSON text, so listing them is a concatenation. */
#include "reqlog.h"

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json.h"

struct record {
    char *json;
    size_t len;
};

struct reqlog {
    pthread_mutex_t lock;
    struct record *ring; /* record i lives in ring[i % max] */
    size_t max;
    struct stats stats; /* stats.requests = index of the next record */
};

struct reqlog *reqlog_new(size_t max_records)
{
    struct reqlog *l = xcalloc(1, sizeof *l);
    pthread_mutex_init(&l->lock, NULL);
    l->max = max_records;
    l->ring = xcalloc(max_records, sizeof *l->ring);
    return l;
}

static void drop_records(struct reqlog *l)
{
    size_t i;
    for (i = 0; i < l->max; i++) {
        free(l->ring[i].json);
        l->ring[i].json = NULL;
    }
}

void reqlog_free(struct reqlog *l)
{
    if (!l)
        return;
    drop_records(l);
    free(l->ring);
    pthread_mutex_destroy(&l->lock);
    free(l);
}

void reqlog_clear(struct reqlog *l)
{
    pthread_mutex_lock(&l->lock);
    drop_records(l);
    l->stats.requests = 0;
    l->stats.connections = 0;
    l->stats.max_in_flight = l->stats.in_flight;
    pthread_mutex_unlock(&l->lock);
}

static void write_headers(strbuf *b, const struct name_value *h, size_t n)
{
    char *done = xcalloc(n ? n : 1, 1);
    size_t i, j, k, written = 0;
    sb_addc(b, '{');
    for (i = 0; i < n; i++) {
        strbuf name = STRBUF_INIT, value = STRBUF_INIT;
        if (done[i])
            continue;
        for (k = 0; h[i].name[k]; k++)
            sb_addc(&name, (char)tolower((unsigned char)h[i].name[k]));
        sb_adds(&value, h[i].value);
        for (j = i + 1; j < n; j++) { /* few headers: quadratic is fine */
            if (!done[j] && strcasecmp(h[i].name, h[j].name) == 0) {
                sb_adds(&value, ", ");
                sb_adds(&value, h[j].value);
                done[j] = 1;
            }
        }
        if (written++)
            sb_addc(b, ',');
        json_write_string(b, name.data, name.len);
        sb_addc(b, ':');
        json_write_string(b, value.data, value.len);
        sb_free(&name);
        sb_free(&value);
    }
    sb_addc(b, '}');
    free(done);
}

void reqlog_add(struct reqlog *l, const char *method, const char *path, const char *query,
                const struct name_value *headers, size_t nheaders, const char *body,
                size_t body_len)
{
    strbuf b = STRBUF_INIT;
    struct record *slot;
    sb_adds(&b, "{\"method\":");
    json_write_cstr(&b, method);
    sb_adds(&b, ",\"path\":");
    json_write_cstr(&b, path);
    sb_adds(&b, ",\"query\":");
    json_write_cstr(&b, query);
    sb_adds(&b, ",\"headers\":");
    write_headers(&b, headers, nheaders);
    sb_adds(&b, ",\"body\":");
    json_write_string(&b, body, body_len);
    sb_addc(&b, '}');
    pthread_mutex_lock(&l->lock);
    slot = &l->ring[l->stats.requests++ % l->max];
    free(slot->json);
    slot->json = sb_detach(&b, &slot->len);
    pthread_mutex_unlock(&l->lock);
}

void reqlog_dump(struct reqlog *l, size_t since, strbuf *out)
{
    size_t i, oldest, first;
    sb_addc(out, '[');
    pthread_mutex_lock(&l->lock);
    oldest = l->stats.requests > l->max ? l->stats.requests - l->max : 0;
    first = since > oldest ? since : oldest;
    for (i = first; i < l->stats.requests; i++) {
        const struct record *r = &l->ring[i % l->max];
        if (i > first)
            sb_addc(out, ',');
        sb_add(out, r->json, r->len);
    }
    pthread_mutex_unlock(&l->lock);
    sb_addc(out, ']');
}

void reqlog_begin(struct reqlog *l)
{
    pthread_mutex_lock(&l->lock);
    if (++l->stats.in_flight > l->stats.max_in_flight)
        l->stats.max_in_flight = l->stats.in_flight;
    pthread_mutex_unlock(&l->lock);
}

void reqlog_end(struct reqlog *l)
{
    pthread_mutex_lock(&l->lock);
    l->stats.in_flight--;
    pthread_mutex_unlock(&l->lock);
}

void reqlog_connection(struct reqlog *l)
{
    pthread_mutex_lock(&l->lock);
    l->stats.connections++;
    pthread_mutex_unlock(&l->lock);
}

void reqlog_stats(struct reqlog *l, struct stats *out)
{
    pthread_mutex_lock(&l->lock);
    *out = l->stats;
    pthread_mutex_unlock(&l->lock);
}
