/* The signed webhook events and their sender thread (see events.h). */
#include "events.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "event_sign.h"
#include "registration.h"
#include "server.h"

/* The host and path form of Partner Center's ResourceUri (the service's, not the API's). */
#define RESOURCE_BASE "https://api.partnercenter.microsoft.com"

enum delivery_state { PENDING, DELIVERED, PARKED };
static const char *const state_names[] = {"pending", "delivered", "parked"};

struct attempt {
    long status; /* the receiver's HTTP status; 0 when there was no answer */
    char *error; /* libcurl's reason when there was no answer, else NULL */
    char when[TIMESTAMP_LEN + 1];
};

struct delivery {
    char id[GUID_LEN + 1];
    char *name, *url;
    int ms_header;
    int is_test; /* its attempts also go to the registration's record of test events */
    enum event_fault fault;
    struct signed_event ev;
    enum delivery_state state;
    int sending; /* an attempt is under way */
    size_t attempts;
    struct attempt attempt[EVENT_ATTEMPTS];
    struct timespec next; /* CLOCK_MONOTONIC: not before */
};

struct fault_slot {
    enum event_fault fault;
    long remaining;
};

struct events {
    struct server *srv;
    struct signers *signers;
    long retry_ms;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake; /* a new event, a reset, or the stop */
    int stopping;
    unsigned long generation; /* bumped by a reset: an attempt under way is then forgotten */
    struct delivery **items;
    size_t count, cap;
    struct fault_slot *faults;
    size_t nfaults, faults_cap;
};

static void now_plus(struct timespec *t, long ms)
{
    clock_gettime(CLOCK_MONOTONIC, t);
    t->tv_sec += ms / 1000;
    t->tv_nsec += (ms % 1000) * 1000000L;
    if (t->tv_nsec >= 1000000000L) {
        t->tv_sec++;
        t->tv_nsec -= 1000000000L;
    }
}

static int before(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

static void delivery_free(struct delivery *d)
{
    size_t i;
    for (i = 0; i < d->attempts; i++)
        free(d->attempt[i].error);
    signed_event_free(&d->ev);
    free(d->name);
    free(d->url);
    free(d);
}

/* ---- one attempt (no lock held) ---- */

/* What an attempt sends, copied out of the delivery so a reset may free it meanwhile. */
struct outgoing {
    char *url, *body;
    struct curl_slist *headers;
    int is_test;
    char id[GUID_LEN + 1];
};

static size_t discard(char *data, size_t size, size_t n, void *arg)
{
    (void)data;
    (void)arg;
    return size * n;
}

static int cut_short(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    struct events *e = arg;
    int stop;
    (void)dt, (void)dn, (void)ut, (void)un;
    pthread_mutex_lock(&e->lock);
    stop = e->stopping;
    pthread_mutex_unlock(&e->lock);
    return stop;
}

static struct curl_slist *add_header(struct curl_slist *list, const char *name, const char *value)
{
    strbuf h = STRBUF_INIT;
    sb_printf(&h, "%s: %s", name, value);
    list = curl_slist_append(list, h.data);
    sb_free(&h);
    return list;
}

static void outgoing_from(struct outgoing *o, const struct delivery *d)
{
    strbuf sig = STRBUF_INIT;
    sb_printf(&sig, "Signature %s", d->ev.signature);
    o->url = xstrdup(d->url);
    o->is_test = d->is_test;
    strcpy(o->id, d->id);
    o->body = xstrdup(d->ev.body);
    o->headers = add_header(NULL, "Content-Type", "application/json");
    o->headers =
        add_header(o->headers, d->ms_header ? "x-ms-signature" : "Authorization", sig.data);
    o->headers = add_header(o->headers, "X-MS-Certificate-Url", d->ev.cert_url);
    o->headers = add_header(o->headers, "X-MS-Signature-Algorithm", d->ev.algorithm);
    o->headers = add_header(o->headers, "Expect", ""); /* no 100-continue round trip */
    sb_free(&sig);
}

/* POSTs o once: the status, or 0 and libcurl's reason in error. */
static long post(struct events *e, const struct outgoing *o, char *error)
{
    CURL *curl = curl_easy_init();
    long status = 0;
    error[0] = '\0';
    if (!curl) {
        strcpy(error, "curl_easy_init failed");
        return 0;
    }
    curl_easy_setopt(curl, CURLOPT_URL, o->url);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, o->body);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, o->headers);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, cut_short);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, e);
    if (curl_easy_perform(curl) == CURLE_OK)
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    else if (!error[0])
        strcpy(error, "no answer");
    curl_easy_cleanup(curl);
    return status;
}

/* ---- the sender thread ---- */

/* The pending delivery due first (its index), or -1. */
static long due_first(struct events *e)
{
    long best = -1;
    size_t i;
    for (i = 0; i < e->count; i++)
        if (e->items[i]->state == PENDING &&
            (best < 0 || before(&e->items[i]->next, &e->items[best]->next)))
            best = (long)i;
    return best;
}

static void record(struct events *e, struct delivery *d, long status, const char *error)
{
    struct attempt *a = &d->attempt[d->attempts++];
    a->status = status;
    a->error = status ? NULL : xstrdup(error);
    ids_timestamp(a->when);
    d->sending = 0;
    if (status >= 200 && status < 300)
        d->state = DELIVERED;
    else if (d->attempts == EVENT_ATTEMPTS)
        d->state = PARKED;
    else /* the waits double: retry_ms, 2 retry_ms, 4 retry_ms, ... */
        now_plus(&d->next, e->retry_ms << (d->attempts - 1));
}

static void *sender(void *arg)
{
    struct events *e = arg;
    pthread_mutex_lock(&e->lock);
    while (!e->stopping) {
        long i = due_first(e);
        struct timespec now;
        struct outgoing o;
        unsigned long generation;
        char error[CURL_ERROR_SIZE];
        long status;
        if (i < 0) {
            pthread_cond_wait(&e->wake, &e->lock);
            continue;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (before(&now, &e->items[i]->next)) {
            /* the condition variable runs on CLOCK_MONOTONIC too (events_new) */
            pthread_cond_timedwait(&e->wake, &e->lock, &e->items[i]->next);
            continue;
        }
        e->items[i]->sending = 1;
        outgoing_from(&o, e->items[i]);
        generation = e->generation;
        pthread_mutex_unlock(&e->lock);
        status = post(e, &o, error);
        free(o.url);
        free(o.body);
        curl_slist_free_all(o.headers);
        if (o.is_test) /* the registration's lock, never while holding ours */
            registration_record_attempt(e->srv, o.id, (unsigned)status, time(NULL));
        pthread_mutex_lock(&e->lock);
        if (generation == e->generation && !e->stopping)
            record(e, e->items[i], status, error);
    }
    pthread_mutex_unlock(&e->lock);
    return NULL;
}

static void send_test(struct server *srv, const char *correlation_id, const char *url,
                      int ms_header);

struct events *events_new(struct server *srv)
{
    struct events *e;
    struct signers *signers = signers_load(srv->opt);
    pthread_condattr_t attr;
    if (!signers)
        return NULL;
    curl_global_init(CURL_GLOBAL_DEFAULT); /* before any other thread exists */
    e = xcalloc(1, sizeof *e);
    e->srv = srv;
    e->signers = signers;
    e->retry_ms = srv->opt->webhook_retry_ms;
    pthread_mutex_init(&e->lock, NULL);
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&e->wake, &attr);
    pthread_condattr_destroy(&attr);
    pthread_create(&e->thread, NULL, sender, e);
    registration_set_test_sender(srv->registration, send_test);
    return e;
}

static void clear_locked(struct events *e)
{
    size_t i;
    for (i = 0; i < e->count; i++)
        delivery_free(e->items[i]);
    e->count = 0;
    e->nfaults = 0;
    e->generation++;
}

void events_free(struct events *e)
{
    if (!e)
        return;
    pthread_mutex_lock(&e->lock);
    e->stopping = 1;
    pthread_cond_broadcast(&e->wake);
    pthread_mutex_unlock(&e->lock);
    pthread_join(e->thread, NULL);
    clear_locked(e);
    free(e->items);
    free(e->faults);
    pthread_cond_destroy(&e->wake);
    pthread_mutex_destroy(&e->lock);
    signers_free(e->signers);
    free(e);
    curl_global_cleanup();
}

void events_clear(struct events *e)
{
    pthread_mutex_lock(&e->lock);
    clear_locked(e);
    pthread_cond_broadcast(&e->wake);
    pthread_mutex_unlock(&e->lock);
}

/* ---- queueing ---- */

/* Takes one application of the first queued fault mode (lock held). */
static enum event_fault take_fault(struct events *e)
{
    enum event_fault f;
    if (!e->nfaults)
        return EVENT_FAULT_NONE;
    f = e->faults[0].fault;
    if (--e->faults[0].remaining == 0) {
        memmove(e->faults, e->faults + 1, --e->nfaults * sizeof *e->faults);
    }
    return f;
}

static void write_body(strbuf *b, const char *name, const char *resource_uri)
{
    char when[TIMESTAMP_LEN + 1];
    ids_timestamp(when);
    when[TIMESTAMP_LEN - 1] = '\0'; /* the events write +00:00 where the API writes Z */
    sb_adds(b, "{\"EventName\":");
    json_write_cstr(b, name);
    sb_adds(b, ",\"ResourceUri\":");
    json_write_cstr(b, resource_uri);
    sb_printf(b,
              ",\"ResourceName\":\"%s\",\"AuditUri\":null,\"ResourceChangeUtcDate\":\"%s+00:00\"}",
              strcmp(name, "test-created") == 0 ? "test" : "referral", when);
}

int events_send(struct server *srv, const char *name, const char *resource_uri, const char *url,
                int ms_header, char *id)
{
    struct events *e = srv->events;
    struct delivery *d = xcalloc(1, sizeof *d);
    strbuf body = STRBUF_INIT, origin = STRBUF_INIT;
    int rc;
    write_body(&body, name, resource_uri);
    sb_printf(&origin, "%s://127.0.0.1:%u", srv->opt->cert_file ? "https" : "http", srv->port);
    pthread_mutex_lock(&e->lock);
    d->fault = take_fault(e);
    rc = event_sign(e->signers, d->fault, body.data, origin.data, &d->ev);
    if (rc == 0) {
        if (!*id)
            ids_guid(id);
        strcpy(d->id, id);
        d->is_test = strcmp(name, "test-created") == 0;
        d->name = xstrdup(name);
        d->url = xstrdup(url);
        d->ms_header = ms_header;
        clock_gettime(CLOCK_MONOTONIC, &d->next);
        GROW(e->items, e->cap, e->count + 1);
        e->items[e->count++] = d;
        pthread_cond_broadcast(&e->wake);
    } else {
        delivery_free(d);
    }
    pthread_mutex_unlock(&e->lock);
    sb_free(&body);
    sb_free(&origin);
    return rc;
}

static void referral_uri(strbuf *out, const char *referral_id)
{
    sb_printf(out, RESOURCE_BASE "/engagements/v1/referrals/%s", referral_id);
}

static void test_uri(strbuf *out, const char *correlation_id)
{
    sb_printf(out, RESOURCE_BASE "/webhooks/v1/registration/validationEvents/%s", correlation_id);
}

void events_referral_changed(struct server *srv, const char *event_name, const char *referral_id)
{
    strbuf uri = STRBUF_INIT;
    char *url = NULL, id[GUID_LEN + 1] = "";
    int ms_header = 0;
    if (!registration_wants(srv, event_name, &url, &ms_header))
        return;
    referral_uri(&uri, referral_id);
    events_send(srv, event_name, uri.data, url, ms_header, id); /* no key: no events */
    free(url);
    sb_free(&uri);
}

/* The registration's validationEvents: the test event under its correlation id. */
static void send_test(struct server *srv, const char *correlation_id, const char *url,
                      int ms_header)
{
    strbuf uri = STRBUF_INIT;
    char id[GUID_LEN + 1];
    strcpy(id, correlation_id);
    test_uri(&uri, correlation_id);
    events_send(srv, "test-created", uri.data, url, ms_header, id);
    sb_free(&uri);
}

/* ---- the control API ---- */

static void dump_locked(const struct delivery *d, strbuf *out)
{
    size_t i;
    sb_printf(out, "{\"id\":\"%s\",\"EventName\":", d->id);
    json_write_cstr(out, d->name);
    sb_adds(out, ",\"url\":");
    json_write_cstr(out, d->url);
    sb_printf(out, ",\"signature_header\":\"%s\",\"certificate_url\":",
              d->ms_header ? "x-ms-signature" : "Authorization");
    json_write_cstr(out, d->ev.cert_url);
    sb_printf(out, ",\"algorithm\":\"%s\",\"signature\":\"%s\",\"body\":", d->ev.algorithm,
              d->ev.signature);
    json_write_cstr(out, d->ev.body);
    sb_printf(out, ",\"fault\":\"%s\",\"state\":\"%s\",\"attempts\":[", event_fault_name(d->fault),
              state_names[d->state]);
    for (i = 0; i < d->attempts; i++) {
        sb_printf(out, "%s{\"status\":%ld,\"error\":", i ? "," : "", d->attempt[i].status);
        if (d->attempt[i].error)
            json_write_cstr(out, d->attempt[i].error);
        else
            sb_adds(out, "null");
        sb_printf(out, ",\"dateTimeUtc\":\"%s\"}", d->attempt[i].when);
    }
    sb_adds(out, "]}");
}

void events_control_list(struct server *srv, const struct request *req, struct reply *r)
{
    struct events *e = srv->events;
    size_t i;
    (void)req;
    pthread_mutex_lock(&e->lock);
    sb_addc(&r->body, '[');
    for (i = 0; i < e->count; i++) {
        if (i)
            sb_addc(&r->body, ',');
        dump_locked(e->items[i], &r->body);
    }
    sb_addc(&r->body, ']');
    pthread_mutex_unlock(&e->lock);
    r->status = 200;
}

/* {"url":..,"EventName":..,"referralId":..,"signature_header":bool}: one event now, to any
 * URL, without a registration (a test event when EventName is test-created). */
void events_control_send(struct server *srv, const struct request *req, struct reply *r)
{
    strbuf err = STRBUF_INIT, uri = STRBUF_INIT;
    jv *doc = jv_parse(req->body, req->body_len, &err);
    const char *url = jv_get_str(doc, "url"), *name = jv_get_str(doc, "EventName");
    const char *referral = jv_get_str(doc, "referralId");
    const jv *ms = jv_get(doc, "signature_header");
    char id[GUID_LEN + 1] = "";
    if (!url || !name || (!referral && strcmp(name, "test-created") != 0) ||
        (ms && ms->kind != JV_TRUE && ms->kind != JV_FALSE)) {
        reply_error(r, 400, "invalidRequest", NULL,
                    "The body must give url, EventName, referralId (unless test-created) and "
                    "may give signature_header (true or false)");
    } else {
        if (referral) {
            referral_uri(&uri, referral);
        } else {
            ids_guid(id);
            test_uri(&uri, id);
        }
        if (events_send(srv, name, uri.data, url, ms && ms->kind == JV_TRUE, id) < 0) {
            reply_error(r, 409, "conflict", NULL, "No key to sign this event (--webhook-key)");
        } else {
            r->status = 202;
            sb_printf(&r->body, "{\"id\":\"%s\"}", id);
        }
    }
    jv_free(doc);
    sb_free(&err);
    sb_free(&uri);
}

static int parse_fault_slot(const jv *v, struct fault_slot *slot)
{
    const char *mode = jv_get_str(v, "mode");
    const jv *count = jv_get(v, "count");
    char *end;
    slot->remaining = 1;
    if (!mode || event_fault_parse(mode, &slot->fault) < 0 || slot->fault == EVENT_FAULT_NONE)
        return -1;
    if (count) {
        if (count->kind != JV_NUMBER)
            return -1;
        slot->remaining = strtol(count->text, &end, 10);
        if (*end || slot->remaining < 1 || slot->remaining > 1000000)
            return -1;
    }
    return v->count == (count ? 2u : 1u) ? 0 : -1;
}

/* {"mode":"tampered_body|other_issuer|untrusted_chain|other_host|rsa_sha1","count":N} or an
 * array of them: the next events misbehave so, in order. All or nothing. */
void events_control_faults(struct server *srv, const struct request *req, struct reply *r)
{
    struct events *e = srv->events;
    strbuf err = STRBUF_INIT;
    jv *doc = jv_parse(req->body, req->body_len, &err);
    size_t i, n = doc && doc->kind == JV_ARRAY ? doc->count : 1;
    struct fault_slot *slots = xcalloc(n, sizeof *slots);
    int ok = doc != NULL;
    for (i = 0; ok && i < n; i++) {
        const jv *v = doc->kind == JV_ARRAY ? doc->items[i] : doc;
        ok = v->kind == JV_OBJECT && parse_fault_slot(v, &slots[i]) == 0;
        if (ok && !signers_can(e->signers, slots[i].fault)) {
            reply_error(r, 409, "conflict", "mode", "No key for the %s fault (see --help)",
                        event_fault_name(slots[i].fault));
            goto done;
        }
    }
    if (!ok) {
        reply_error(r, 400, "invalidRequest", NULL,
                    "Event faults are {\"mode\":M,\"count\":N} or an array of them; M is "
                    "tampered_body, other_issuer, untrusted_chain, other_host or rsa_sha1");
        goto done;
    }
    pthread_mutex_lock(&e->lock);
    GROW(e->faults, e->faults_cap, e->nfaults + n);
    memcpy(e->faults + e->nfaults, slots, n * sizeof *slots);
    e->nfaults += n;
    pthread_mutex_unlock(&e->lock);
    r->status = 204;
done:
    free(slots);
    jv_free(doc);
    sb_free(&err);
}
