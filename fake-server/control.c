/* Control API handlers (see control.h and README.md). */
#include "control.h"

#include <stdlib.h>
#include <string.h>

#include "devicecode.h"
#include "events.h"
#include "json.h"
#include "query.h"
#include "registration.h"
#include "tokens.h"

static void get_requests(struct server *srv, const struct request *req, struct reply *r)
{
    struct params p = PARAMS_INIT;
    strbuf err = STRBUF_INIT;
    const char *since;
    size_t from = 0;
    int ok = params_parse(&p, req->query, strlen(req->query), &err) == 0;
    since = params_get(&p, "since");
    if (ok && since) {
        char *end;
        unsigned long long v = strtoull(since, &end, 10);
        ok = *since >= '0' && *since <= '9' && *end == '\0';
        from = v > (size_t)-1 ? (size_t)-1 : (size_t)v;
    }
    if (ok) {
        r->status = 200;
        reqlog_dump(srv->log, from, &r->body);
    } else {
        reply_error(r, 400, "invalidRequest", "since", "since must be a non-negative integer");
    }
    params_free(&p);
    sb_free(&err);
}

static void reset(struct server *srv, const struct request *req, struct reply *r)
{
    (void)req;
    store_clear(srv->store);
    reqlog_clear(srv->log);
    faults_clear(srv->faults);
    registration_clear(srv->registration);
    events_clear(srv->events);
    r->status = 204;
}

/* Seeds a referral exactly as given (e.g. an Incoming New/Pending one that
 * the API itself would never create), adding only a missing id or eTag. */
static void seed_referral(struct server *srv, const struct request *req, struct reply *r)
{
    strbuf err = STRBUF_INIT;
    jv *doc = jv_parse(req->body, req->body_len, &err);
    const jv *id;
    if (!doc || doc->kind != JV_OBJECT) {
        reply_error(r, 400, "invalidRequest", NULL, "The body must be a JSON object%s%s",
                    err.len ? ": " : "", err.len ? err.data : "");
        goto done;
    }
    id = jv_get(doc, "id");
    if (id && id->kind != JV_STRING) {
        reply_error(r, 400, "invalidRequest", "id", "id must be a string");
        goto done;
    }
    if (!id) {
        char guid[GUID_LEN + 1];
        ids_guid(guid);
        jv_set_str(doc, "id", guid);
    }
    if (!jv_get(doc, "eTag")) {
        char etag[ETAG_LEN + 1];
        ids_etag(etag);
        jv_set_str(doc, "eTag", etag);
    }
    if (store_add(srv->store, doc, &r->body) == STORE_OK)
        r->status = 201;
    else
        reply_error(r, 409, "conflict", "id", "A referral with id %s already exists",
                    jv_get_str(doc, "id"));
done:
    jv_free(doc);
    sb_free(&err);
}

static void add_faults(struct server *srv, const struct request *req, struct reply *r)
{
    strbuf err = STRBUF_INIT;
    jv *spec = jv_parse(req->body, req->body_len, &err);
    if (!spec)
        reply_error(r, 400, "invalidRequest", NULL, "The body is not valid JSON: %s", err.data);
    else if (faults_add(srv->faults, spec, r) >= 0)
        r->status = 204;
    jv_free(spec);
    sb_free(&err);
}

static void get_stats(struct server *srv, const struct request *req, struct reply *r)
{
    (void)req;
    struct stats s;
    reqlog_stats(srv->log, &s);
    r->status = 200;
    sb_printf(&r->body,
              "{\"requests\":%zu,\"max_in_flight\":%zu,\"in_flight\":%zu,\"referrals\":%zu,"
              "\"connections\":%zu,\"faults\":%zu}",
              s.requests, s.max_in_flight, s.in_flight, store_count(srv->store), s.connections,
              faults_pending(srv->faults));
}

static void dump_referrals(struct server *srv, const struct request *req, struct reply *r)
{
    (void)req;
    r->status = 200;
    store_dump(srv->store, &r->body);
}

/* {"user_code":"...","action":"approve|decline|expire|slow_down",
 * "username":"..."?}: what the user (or Entra) does with a device code, for
 * the specs; username is the account an approval signs in. */
static void act_on_device(struct server *srv, const struct request *req, struct reply *r)
{
    strbuf err = STRBUF_INIT;
    jv *doc = jv_parse(req->body, req->body_len, &err);
    if (doc && doc->kind == JV_OBJECT &&
        devicecodes_act(tokens_devices(srv->tokens), jv_get_str(doc, "user_code"),
                        jv_get_str(doc, "action"), jv_get_str(doc, "username")) == 0)
        r->status = 204;
    else
        reply_error(r, 400, "invalidRequest", NULL,
                    "The body must name a pending user_code and an action "
                    "(approve, decline, expire, slow_down)");
    jv_free(doc);
    sb_free(&err);
}

typedef void (*control_fn)(struct server *srv, const struct request *req, struct reply *r);

static const struct route {
    const char *name; /* after /_fake/ */
    const char *method;
    control_fn handle;
} routes[] = {
    {"requests", "GET", get_requests},       {"reset", "POST", reset},
    {"referrals", "GET", dump_referrals},    {"referrals", "POST", seed_referral},
    {"faults", "POST", add_faults},          {"stats", "GET", get_stats},
    {"devicecode", "POST", act_on_device},   {"events", "GET", events_control_list},
    {"events", "POST", events_control_send}, {"event-faults", "POST", events_control_faults},
};

void control_handle(struct server *srv, const struct request *req, struct reply *r)
{
    const char *name = req->path + strlen(CONTROL_PREFIX);
    strbuf allow = STRBUF_INIT;
    size_t i;
    for (i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        if (strcmp(routes[i].name, name) != 0)
            continue;
        if (strcmp(routes[i].method, req->method) == 0) {
            routes[i].handle(srv, req, r);
            sb_free(&allow);
            return;
        }
        sb_printf(&allow, "%s%s", allow.len ? ", " : "", routes[i].method);
    }
    if (allow.len)
        reply_method_not_allowed(r, req->method, allow.data);
    else
        reply_error(r, 404, "itemNotFound", NULL, "No control resource at %s", req->path);
    sb_free(&allow);
}
