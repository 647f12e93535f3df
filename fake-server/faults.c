/* The fault queue (see faults.h). */
#include "faults.h"

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct faults {
    pthread_mutex_t lock;
    struct fault **items;
    size_t count;
    size_t cap;
};

struct faults *faults_new(void)
{
    struct faults *q = xcalloc(1, sizeof *q);
    pthread_mutex_init(&q->lock, NULL);
    return q;
}

void fault_free(struct fault *f)
{
    size_t i;
    if (!f)
        return;
    for (i = 0; i < f->nheaders; i++) {
        free(f->headers[i].name);
        free(f->headers[i].value);
    }
    free(f->headers);
    free(f->body);
    free(f->content_type);
    free(f->retry_after);
    free(f->match_method);
    free(f->match_path);
    free(f->close);
    free(f);
}

static char *dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

static struct fault *fault_copy(const struct fault *f)
{
    struct fault *c = xmalloc(sizeof *c);
    size_t i;
    *c = *f;
    c->body = dup_or_null(f->body);
    c->content_type = dup_or_null(f->content_type);
    c->retry_after = dup_or_null(f->retry_after);
    c->match_method = dup_or_null(f->match_method);
    c->match_path = dup_or_null(f->match_path);
    c->close = dup_or_null(f->close);
    c->headers = xmalloc((f->nheaders ? f->nheaders : 1) * sizeof *c->headers);
    for (i = 0; i < f->nheaders; i++) {
        c->headers[i].name = xstrdup(f->headers[i].name);
        c->headers[i].value = xstrdup(f->headers[i].value);
    }
    return c;
}

static void clear_locked(struct faults *q)
{
    size_t i;
    for (i = 0; i < q->count; i++)
        fault_free(q->items[i]);
    q->count = 0;
}

void faults_free(struct faults *q)
{
    if (!q)
        return;
    clear_locked(q);
    free(q->items);
    pthread_mutex_destroy(&q->lock);
    free(q);
}

void faults_clear(struct faults *q)
{
    pthread_mutex_lock(&q->lock);
    clear_locked(q);
    pthread_mutex_unlock(&q->lock);
}

size_t faults_pending(struct faults *q)
{
    size_t i, n = 0;
    pthread_mutex_lock(&q->lock);
    for (i = 0; i < q->count; i++)
        n += (size_t)q->items[i]->remaining;
    pthread_mutex_unlock(&q->lock);
    return n;
}

/* ---- parsing fault descriptions ---- */

static int bad(struct reply *r, const char *field, const char *why)
{
    reply_error(r, 400, "invalidRequest", field, "Invalid fault: %s %s", field, why);
    return -1;
}

static int get_integer(const jv *v, long min, long max, long *out)
{
    char *end;
    long n;
    if (v->kind != JV_NUMBER || strpbrk(v->text, ".eE"))
        return -1;
    n = strtol(v->text, &end, 10);
    if (*end || n < min || n > max)
        return -1;
    *out = n;
    return 0;
}

/* RFC 7230 token characters, for header names. */
static int is_token(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!strchr("!#$%&'*+-.^_`|~", *s) && !(*s >= '0' && *s <= '9') &&
            !(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z'))
            return 0;
    return 1;
}

/* A header value must not break the response framing. */
static int is_header_value(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 && *s != '\t')
            return 0;
    return 1;
}

static int parse_headers(const jv *v, struct fault *f, struct reply *r)
{
    size_t i;
    if (v->kind != JV_OBJECT)
        return bad(r, "headers", "must be an object of strings");
    f->headers = xmalloc((v->count ? v->count : 1) * sizeof *f->headers);
    for (i = 0; i < v->count; i++) {
        const char *name = v->keys[i];
        const jv *value = v->items[i];
        if (!is_token(name) || value->kind != JV_STRING || !is_header_value(value->text))
            return bad(r, "headers", "must map header names to single-line strings");
        /* libmicrohttpd computes these itself to keep the framing right. */
        if (strcasecmp(name, "Content-Length") == 0 || strcasecmp(name, "Transfer-Encoding") == 0)
            return bad(r, "headers", "cannot set Content-Length or Transfer-Encoding");
        f->headers[f->nheaders].name = xstrdup(name);
        f->headers[f->nheaders].value = xstrdup(value->text);
        f->nheaders++;
    }
    return 0;
}

static int parse_match(const jv *v, struct fault *f, struct reply *r)
{
    size_t i;
    if (v->kind != JV_OBJECT)
        return bad(r, "match", "must be an object");
    for (i = 0; i < v->count; i++) {
        const char *key = v->keys[i];
        char **slot = strcmp(key, "method") == 0 ? &f->match_method
                      : strcmp(key, "path") == 0 ? &f->match_path
                                                 : NULL;
        if (!slot || v->items[i]->kind != JV_STRING)
            return bad(r, "match", "may only have string members method and path");
        free(*slot);
        *slot = xstrdup(v->items[i]->text);
    }
    return 0;
}

/* The scalar fault fields: where they go and what they accept. */
enum field_kind { INTEGER, TEXT, HEADER_VALUE, BOOLEAN };

static const struct field_rule {
    const char *name;
    enum field_kind kind;
    size_t offset;
    long min, max;
} field_rules[] = {
    {"status", INTEGER, offsetof(struct fault, status), 200, 599}, /* a final status */
    /* long enough for any client timeout test, short enough that a
     * forgotten fault cannot wedge a test run */
    {"delay_ms", INTEGER, offsetof(struct fault, delay_ms), 0, 600000},
    {"drip_ms", INTEGER, offsetof(struct fault, drip_ms), 0, 10000},
    {"count", INTEGER, offsetof(struct fault, remaining), 1, 1000000000},
    {"body", TEXT, offsetof(struct fault, body), 0, 0},
    {"content_type", HEADER_VALUE, offsetof(struct fault, content_type), 0, 0},
    {"retry_after", HEADER_VALUE, offsetof(struct fault, retry_after), 0, 0},
    {"drop", BOOLEAN, offsetof(struct fault, drop), 0, 0},
    {"malformed", BOOLEAN, offsetof(struct fault, malformed), 0, 0},
    {"truncated", BOOLEAN, offsetof(struct fault, truncated), 0, 0},
    {"close", TEXT, offsetof(struct fault, close), 0, 0},
};

static int parse_scalar(const struct field_rule *rule, const jv *v, struct fault *f,
                        struct reply *r)
{
    char *slot = (char *)f + rule->offset;
    char why[64];
    switch (rule->kind) {
    case INTEGER:
        snprintf(why, sizeof why, "must be an integer from %ld to %ld", rule->min, rule->max);
        return get_integer(v, rule->min, rule->max, (long *)(void *)slot) < 0
                   ? bad(r, rule->name, why)
                   : 0;
    case BOOLEAN:
        if (v->kind != JV_TRUE && v->kind != JV_FALSE)
            return bad(r, rule->name, "must be true or false");
        *(int *)(void *)slot = v->kind == JV_TRUE;
        return 0;
    default:
        if (v->kind != JV_STRING || (rule->kind == HEADER_VALUE && !is_header_value(v->text)))
            return bad(r, rule->name, "must be a single-line string");
        free(*(char **)(void *)slot);
        *(char **)(void *)slot = xstrdup(v->text);
        return 0;
    }
}

static int parse_field(const char *key, const jv *v, struct fault *f, struct reply *r)
{
    size_t i;
    if (strcmp(key, "headers") == 0)
        return parse_headers(v, f, r);
    if (strcmp(key, "match") == 0)
        return parse_match(v, f, r);
    for (i = 0; i < sizeof field_rules / sizeof field_rules[0]; i++)
        if (strcmp(key, field_rules[i].name) == 0)
            return parse_scalar(&field_rules[i], v, f, r);
    return bad(r, key, "is not a known fault field"); /* catches typos in tests */
}

static struct fault *parse_fault(const jv *spec, struct reply *r)
{
    struct fault *f = xcalloc(1, sizeof *f);
    size_t i;
    int rc = 0;
    f->remaining = 1;
    if (spec->kind != JV_OBJECT)
        rc = bad(r, "fault", "must be an object");
    for (i = 0; rc == 0 && i < spec->count; i++)
        rc = parse_field(spec->keys[i], spec->items[i], f, r);
    if (rc == 0 && f->close && !fault_closes(f, "before_apply") &&
        !fault_closes(f, "after_apply") && !fault_closes(f, "when_idle"))
        rc = bad(r, "close", "must be \"before_apply\", \"after_apply\" or \"when_idle\"");
    if (rc < 0) {
        fault_free(f);
        return NULL;
    }
    return f;
}

long faults_add(struct faults *q, const jv *spec, struct reply *r)
{
    size_t i, n = spec->kind == JV_ARRAY ? spec->count : 1;
    struct fault **parsed = xcalloc(n, sizeof *parsed);
    for (i = 0; i < n; i++) {
        parsed[i] = parse_fault(spec->kind == JV_ARRAY ? spec->items[i] : spec, r);
        if (!parsed[i]) {
            while (i > 0)
                fault_free(parsed[--i]);
            free(parsed);
            return -1;
        }
    }
    pthread_mutex_lock(&q->lock);
    GROW(q->items, q->cap, q->count + n);
    memcpy(q->items + q->count, parsed, n * sizeof *parsed);
    q->count += n;
    pthread_mutex_unlock(&q->lock);
    free(parsed);
    return (long)n;
}

int fault_closes(const struct fault *f, const char *when)
{
    return f && f->close && strcmp(f->close, when) == 0;
}

static int matches(const struct fault *f, const char *method, const char *path)
{
    if (f->match_method && strcmp(f->match_method, method) != 0)
        return 0;
    /* Without an explicit path only API calls match, so a fault meant for the
     * API is not used up by the client fetching a token first. */
    return strncmp(path, f->match_path ? f->match_path : "/v1.0/",
                   strlen(f->match_path ? f->match_path : "/v1.0/")) == 0;
}

struct fault *faults_take(struct faults *q, const char *method, const char *path)
{
    struct fault *taken = NULL;
    size_t i;
    pthread_mutex_lock(&q->lock);
    for (i = 0; i < q->count && !taken; i++) {
        struct fault *f = q->items[i];
        if (!matches(f, method, path))
            continue;
        taken = fault_copy(f);
        if (--f->remaining == 0) {
            fault_free(f);
            memmove(q->items + i, q->items + i + 1, (q->count - i - 1) * sizeof *q->items);
            q->count--;
        }
    }
    pthread_mutex_unlock(&q->lock);
    return taken;
}
