/* registration.c: the webhook registration API (see registration.h and README.md). Bodies are
 * PascalCase as Partner Center writes them, and member names are read in any case, as the
 * service binds them. Errors have Partner Center's REST error format
 * {"code":"...","description":"...","data":[],"source":"..."}, and the 429 of the test events
 * the throttling format {"statusCode":429,"message":"..."}. */
#include "registration.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json.h"
#include "server.h"

#define BASE_PATH "/webhooks/v1/registration"
#define VALIDATION_PATH BASE_PATH "/validationEvents"
#define ERROR_SOURCE "PartnerCenterWebhooks"
/* At most TESTS_PER_WINDOW test events per TEST_WINDOW seconds, as the service allows. */
#define TESTS_PER_WINDOW 2
#define TEST_WINDOW 60.0

/* The events a partner may register for referrals (and the self-test). */
static const char *const event_names[] = {"referral-created", "referral-updated",
                                          "related-referral-created", "related-referral-updated",
                                          "test-created"};
#define NEVENTS (sizeof event_names / sizeof event_names[0])

struct attempt {
    unsigned status; /* 0: no answer */
    time_t when;
};

struct test_event {
    char correlation_id[GUID_LEN + 1];
    char *callback_url;
    struct attempt *attempts;
    size_t count, cap;
};

struct registration {
    pthread_mutex_t lock;
    int exists;
    char subscriber_id[GUID_LEN + 1];
    char *url;
    size_t events[NEVENTS]; /* indexes into event_names, in the order registered */
    size_t nevents;
    int ms_signature_header;
    struct test_event *tests;
    size_t ntests, cap;
    double test_times[TESTS_PER_WINDOW]; /* when the last accepted test events came, oldest first */
    size_t ntimes;
    registration_test_fn send_test;
};

struct registration *registration_new(void)
{
    struct registration *reg = xcalloc(1, sizeof *reg);
    pthread_mutex_init(&reg->lock, NULL);
    return reg;
}

static void clear_locked(struct registration *reg)
{
    size_t i;
    for (i = 0; i < reg->ntests; i++) {
        free(reg->tests[i].callback_url);
        free(reg->tests[i].attempts);
    }
    free(reg->tests);
    free(reg->url);
    reg->tests = NULL;
    reg->ntests = reg->cap = 0;
    reg->url = NULL;
    reg->exists = 0;
    reg->nevents = 0;
    reg->ntimes = 0;
}

void registration_clear(struct registration *reg)
{
    pthread_mutex_lock(&reg->lock);
    clear_locked(reg);
    pthread_mutex_unlock(&reg->lock);
}

void registration_free(struct registration *reg)
{
    if (!reg)
        return;
    clear_locked(reg);
    pthread_mutex_destroy(&reg->lock);
    free(reg);
}

void registration_set_test_sender(struct registration *reg, registration_test_fn send)
{
    pthread_mutex_lock(&reg->lock);
    reg->send_test = send;
    pthread_mutex_unlock(&reg->lock);
}

/* ---- helpers ---- */

static void pc_error(struct reply *r, unsigned status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static void pc_error(struct reply *r, unsigned status, const char *fmt, ...)
{
    strbuf msg = STRBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(&msg, fmt, ap);
    va_end(ap);
    r->status = status;
    sb_reset(&r->body);
    sb_adds(&r->body, "{\"code\":");
    json_write_cstr(&r->body, error_code_for_status(status));
    sb_adds(&r->body, ",\"description\":");
    json_write_string(&r->body, msg.data ? msg.data : "", msg.len);
    sb_adds(&r->body, ",\"data\":[],\"source\":\"" ERROR_SOURCE "\"}");
    sb_free(&msg);
}

/* A member of an object by name in any case (the first that matches); NULL if none. */
static const jv *member(const jv *obj, const char *name)
{
    size_t i;
    for (i = 0; obj->kind == JV_OBJECT && i < obj->count; i++)
        if (strcasecmp(obj->keys[i], name) == 0)
            return obj->items[i];
    return NULL;
}

static int event_index(const char *name)
{
    size_t i;
    for (i = 0; i < NEVENTS; i++)
        if (strcmp(event_names[i], name) == 0)
            return (int)i;
    return -1;
}

/* An https URL, or an http one to this machine (a receiver under test): the service POSTs
 * signed events there, so nothing else would be a URL it can deliver to safely. */
static int webhook_url_ok(const char *url)
{
    static const char *const loopback[] = {"http://127.0.0.1", "http://localhost", "http://[::1]"};
    size_t i, n;
    if (strpbrk(url, " \t\r\n#") || strlen(url) > 2048)
        return 0;
    if (strncasecmp(url, "https://", 8) == 0)
        return url[8] != '\0' && url[8] != '/' && url[8] != ':';
    for (i = 0; i < sizeof loopback / sizeof loopback[0]; i++) {
        n = strlen(loopback[i]);
        if (strncasecmp(url, loopback[i], n) == 0 &&
            (url[n] == '\0' || url[n] == '/' || url[n] == ':'))
            return 1;
    }
    return 0;
}

/* What a registration body asks for, checked; 0, or -1 with the 400 in r. */
struct wanted {
    const char *url;
    size_t events[NEVENTS];
    size_t nevents;
    int ms_signature_header;
};

static int read_body(const struct request *req, struct wanted *w, jv **doc, struct reply *r)
{
    strbuf err = STRBUF_INIT;
    const jv *url, *events, *header;
    size_t i, j;
    *doc = jv_parse(req->body, req->body_len, &err);
    if (!*doc || (*doc)->kind != JV_OBJECT) {
        pc_error(r, 400, "The body must be a JSON object%s%s", err.len ? ": " : "",
                 err.len ? err.data : "");
        sb_free(&err);
        return -1;
    }
    sb_free(&err);
    url = member(*doc, "WebhookUrl");
    events = member(*doc, "WebhookEvents");
    header = member(*doc, "SignatureTokenToMsSignatureHeader");
    if (!url || url->kind != JV_STRING || !webhook_url_ok(url->text)) {
        pc_error(r, 400,
                 "WebhookUrl must be an absolute https URL (http only to 127.0.0.1 or "
                 "localhost), without a fragment");
        return -1;
    }
    if (!events || events->kind != JV_ARRAY || events->count == 0) {
        pc_error(r, 400, "WebhookEvents must be a non-empty array of event names");
        return -1;
    }
    if (header && header->kind != JV_TRUE && header->kind != JV_FALSE && header->kind != JV_NULL) {
        pc_error(r, 400, "SignatureTokenToMsSignatureHeader must be true or false");
        return -1;
    }
    w->url = url->text;
    w->nevents = 0;
    for (i = 0; i < events->count; i++) {
        const jv *e = events->items[i];
        int k = e->kind == JV_STRING ? event_index(e->text) : -1;
        if (k < 0) {
            pc_error(r, 400, "WebhookEvents[%zu] is not an event name (see %s/events)", i,
                     BASE_PATH);
            return -1;
        }
        for (j = 0; j < w->nevents; j++) {
            if (w->events[j] == (size_t)k) {
                pc_error(r, 400, "WebhookEvents lists %s twice", e->text);
                return -1;
            }
        }
        w->events[w->nevents++] = (size_t)k;
    }
    w->ms_signature_header = header && header->kind == JV_TRUE;
    return 0;
}

/* The registration as the service answers it (the lock held). */
static void write_registration(const struct registration *reg, strbuf *b)
{
    size_t i;
    sb_adds(b, "{\"SubscriberId\":");
    json_write_cstr(b, reg->subscriber_id);
    sb_adds(b, ",\"WebhookUrl\":");
    json_write_cstr(b, reg->url);
    sb_adds(b, ",\"WebhookEvents\":[");
    for (i = 0; i < reg->nevents; i++) {
        if (i)
            sb_addc(b, ',');
        json_write_cstr(b, event_names[reg->events[i]]);
    }
    sb_printf(b, "],\"SignatureTokenToMsSignatureHeader\":%s}",
              reg->ms_signature_header ? "true" : "false");
}

/* ---- the registration ---- */

static void save(struct server *srv, const struct request *req, int create, struct reply *r)
{
    struct registration *reg = srv->registration;
    struct wanted w;
    jv *doc = NULL;
    if (read_body(req, &w, &doc, r) == 0) {
        pthread_mutex_lock(&reg->lock);
        if (create && reg->exists) {
            pc_error(r, 409, "A registration already exists: use PUT to change it");
        } else if (!create && !reg->exists) {
            pc_error(r, 404, "There is no registration: use POST to create one");
        } else {
            if (create)
                ids_guid(reg->subscriber_id);
            free(reg->url);
            reg->url = xstrdup(w.url);
            memcpy(reg->events, w.events, sizeof w.events);
            reg->nevents = w.nevents;
            reg->ms_signature_header = w.ms_signature_header;
            reg->exists = 1;
            r->status = 200;
            write_registration(reg, &r->body);
        }
        pthread_mutex_unlock(&reg->lock);
    }
    jv_free(doc);
}

static void view(struct server *srv, struct reply *r)
{
    struct registration *reg = srv->registration;
    pthread_mutex_lock(&reg->lock);
    if (reg->exists) {
        r->status = 200;
        write_registration(reg, &r->body);
    } else {
        pc_error(r, 404, "There is no registration: use POST to create one");
    }
    pthread_mutex_unlock(&reg->lock);
}

static void list_events(struct reply *r)
{
    size_t i;
    r->status = 200;
    sb_addc(&r->body, '[');
    for (i = 0; i < NEVENTS; i++) {
        if (i)
            sb_addc(&r->body, ',');
        json_write_cstr(&r->body, event_names[i]);
    }
    sb_addc(&r->body, ']');
}

int registration_wants(struct server *srv, const char *event_name, char **url,
                       int *ms_signature_header)
{
    struct registration *reg = srv->registration;
    int k = event_index(event_name), found = 0;
    size_t i;
    pthread_mutex_lock(&reg->lock);
    for (i = 0; reg->exists && k >= 0 && i < reg->nevents && !found; i++)
        found = reg->events[i] == (size_t)k;
    if (found) {
        *url = xstrdup(reg->url);
        *ms_signature_header = reg->ms_signature_header;
    }
    pthread_mutex_unlock(&reg->lock);
    return found;
}

/* ---- test events ---- */

static double monotonic(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Whether another test event fits the window now (and counts it); if not, *wait is the
 * whole seconds until one does. The lock held. */
static int take_test_slot(struct registration *reg, long *wait)
{
    double now = monotonic();
    if (reg->ntimes == TESTS_PER_WINDOW && now - reg->test_times[0] < TEST_WINDOW) {
        *wait = (long)(TEST_WINDOW - (now - reg->test_times[0])) + 1;
        return 0;
    }
    if (reg->ntimes == TESTS_PER_WINDOW) {
        memmove(reg->test_times, reg->test_times + 1,
                sizeof reg->test_times[0] * (TESTS_PER_WINDOW - 1));
        reg->ntimes--;
    }
    reg->test_times[reg->ntimes++] = now;
    return 1;
}

static void send_test_event(struct server *srv, struct reply *r)
{
    struct registration *reg = srv->registration;
    struct test_event *t;
    registration_test_fn send = NULL;
    char id[GUID_LEN + 1], *url = NULL;
    int ms_header = 0, wants_test = 0;
    long wait = 0;
    size_t i;
    pthread_mutex_lock(&reg->lock);
    for (i = 0; reg->exists && i < reg->nevents; i++)
        wants_test = wants_test || strcmp(event_names[reg->events[i]], "test-created") == 0;
    if (!reg->exists) {
        pc_error(r, 404, "There is no registration: register for test-created first");
    } else if (!wants_test) {
        pc_error(r, 400, "The registration does not list test-created");
    } else if (!take_test_slot(reg, &wait)) {
        char seconds[24];
        r->status = 429;
        sb_printf(&r->body,
                  "{\"statusCode\":429,\"message\":\"Rate limit is exceeded. Try again in %ld "
                  "seconds.\"}",
                  wait);
        snprintf(seconds, sizeof seconds, "%ld", wait);
        reply_header(r, "Retry-After", seconds);
    } else {
        GROW(reg->tests, reg->cap, reg->ntests + 1);
        t = &reg->tests[reg->ntests++];
        memset(t, 0, sizeof *t);
        ids_guid(t->correlation_id);
        t->callback_url = xstrdup(reg->url);
        memcpy(id, t->correlation_id, sizeof id);
        url = xstrdup(reg->url);
        ms_header = reg->ms_signature_header;
        send = reg->send_test;
        r->status = 200;
        sb_adds(&r->body, "{\"correlationId\":");
        json_write_cstr(&r->body, id);
        sb_addc(&r->body, '}');
    }
    pthread_mutex_unlock(&reg->lock);
    if (send)
        send(srv, id, url, ms_header);
    free(url);
}

static struct test_event *find_test(struct registration *reg, const char *id)
{
    size_t i;
    for (i = 0; i < reg->ntests; i++)
        if (strcmp(reg->tests[i].correlation_id, id) == 0)
            return &reg->tests[i];
    return NULL;
}

void registration_record_attempt(struct server *srv, const char *correlation_id, unsigned status,
                                 time_t when)
{
    struct registration *reg = srv->registration;
    struct test_event *t;
    pthread_mutex_lock(&reg->lock);
    if ((t = find_test(reg, correlation_id)) != NULL) {
        GROW(t->attempts, t->cap, t->count + 1);
        t->attempts[t->count].status = status;
        t->attempts[t->count].when = when;
        t->count++;
    }
    pthread_mutex_unlock(&reg->lock);
}

/* The receiver's status as .NET names it (HttpStatusCode), as the service reports it. */
static const char *status_name(unsigned status)
{
    static const struct {
        unsigned status;
        const char *name;
    } names[] = {{200, "OK"},
                 {201, "Created"},
                 {202, "Accepted"},
                 {204, "NoContent"},
                 {400, "BadRequest"},
                 {401, "Unauthorized"},
                 {403, "Forbidden"},
                 {404, "NotFound"},
                 {405, "MethodNotAllowed"},
                 {408, "RequestTimeout"},
                 {429, "TooManyRequests"},
                 {500, "InternalServerError"},
                 {502, "BadGateway"},
                 {503, "ServiceUnavailable"},
                 {504, "GatewayTimeout"}};
    size_t i;
    for (i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].status == status)
            return names[i].name;
    return NULL;
}

static void write_attempt(const struct attempt *a, strbuf *b)
{
    char when[24];
    struct tm tm;
    const char *name = status_name(a->status);
    gmtime_r(&a->when, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    sb_adds(b, "{\"responseCode\":");
    if (name)
        json_write_cstr(b, name);
    else if (a->status)
        sb_printf(b, "\"%u\"", a->status);
    else
        sb_adds(b, "\"\"");
    sb_printf(b, ",\"responseMessage\":\"%s\",\"systemError\":%s,\"dateTimeUtc\":\"%s\"}",
              a->status ? "" : "No answer from the webhook URL", a->status ? "false" : "true",
              when);
}

static void test_status(struct server *srv, const char *id, struct reply *r)
{
    struct registration *reg = srv->registration;
    const struct test_event *t;
    size_t i;
    pthread_mutex_lock(&reg->lock);
    if ((t = find_test(reg, id)) == NULL) {
        pc_error(r, 404, "No test event has the correlation id %s", id);
    } else {
        r->status = 200;
        sb_adds(&r->body, "{\"correlationId\":");
        json_write_cstr(&r->body, t->correlation_id);
        sb_adds(&r->body, ",\"partnerId\":");
        json_write_cstr(&r->body, srv->organization_id);
        sb_printf(&r->body,
                  ",\"status\":\"%s\",\"callbackUrl\":", t->count ? "completed" : "pending");
        json_write_cstr(&r->body, t->callback_url);
        sb_adds(&r->body, ",\"results\":[");
        for (i = 0; i < t->count; i++) {
            if (i)
                sb_addc(&r->body, ',');
            write_attempt(&t->attempts[i], &r->body);
        }
        sb_adds(&r->body, "]}");
    }
    pthread_mutex_unlock(&reg->lock);
}

/* ---- routing ---- */

/* path after prefix, with one trailing '/' allowed: NULL when path is not under prefix. */
static const char *rest_of(const char *path, const char *prefix)
{
    size_t n = strlen(prefix);
    if (strncmp(path, prefix, n) != 0 || (path[n] != '\0' && path[n] != '/'))
        return NULL;
    return path + n;
}

static int is_end(const char *rest)
{
    return rest[0] == '\0' || strcmp(rest, "/") == 0;
}

int registration_handle(struct server *srv, const struct request *req, struct reply *r)
{
    const char *m = req->method, *rest = rest_of(req->path, BASE_PATH), *tail;
    if (!rest)
        return 0;
    if (is_end(rest)) {
        if (strcmp(m, "POST") == 0 || strcmp(m, "PUT") == 0)
            save(srv, req, m[1] == 'O', r);
        else if (strcmp(m, "GET") == 0)
            view(srv, r);
        else
            reply_method_not_allowed(r, m, "GET, POST, PUT");
    } else if ((tail = rest_of(req->path, BASE_PATH "/events")) != NULL && is_end(tail)) {
        if (strcmp(m, "GET") == 0)
            list_events(r);
        else
            reply_method_not_allowed(r, m, "GET");
    } else if ((tail = rest_of(req->path, VALIDATION_PATH)) != NULL && is_end(tail)) {
        if (strcmp(m, "POST") == 0)
            send_test_event(srv, r);
        else
            reply_method_not_allowed(r, m, "POST");
    } else if (tail && tail[0] == '/' && tail[1] && !strchr(tail + 1, '/')) {
        if (strcmp(m, "GET") == 0)
            test_status(srv, tail + 1, r);
        else
            reply_method_not_allowed(r, m, "GET");
    } else {
        pc_error(r, 404, "No resource at %s", req->path);
    }
    return 1;
}
