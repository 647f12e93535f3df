/* Routes and handlers of the referrals API (see api.h). */
#include "api.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "events.h"
#include "filter.h"
#include "json.h"
#include "patch.h"
#include "query.h"
#include "referral.h"
#include "registration.h"
#include "select.h"

#define COLLECTION_PATH "/v1.0/engagements/referrals"
#define LIST_CONTEXT "https://api.partner.microsoft.com/v1.0/engagements/$metadata#Referrals"
/* spec §1.3 (with the service's "engagments" typo) */
#define ENTITY_CONTEXT                                                                             \
    "https://api.partner.microsoft.com/v1.0/engagments/referrals/$metadata#Referrals/$entity"

/* ---- helpers ---- */

/* Parses the request body as JSON; NULL with a 400 in r if it is not. */
static jv *parse_body(const struct request *req, struct reply *r)
{
    strbuf err = STRBUF_INIT;
    jv *v = jv_parse(req->body, req->body_len, &err);
    if (!v)
        reply_error(r, 400, "invalidRequest", NULL, "The body is not valid JSON: %s", err.data);
    sb_free(&err);
    return v;
}

/* RFC 7232 If-Match against a stored eTag (which includes its quotes). */
static int etag_matches(const char *if_match, const char *etag)
{
    size_t len;
    if_match += strspn(if_match, " \t");
    len = strlen(if_match);
    while (len && (if_match[len - 1] == ' ' || if_match[len - 1] == '\t'))
        len--;
    if (len == 1 && if_match[0] == '*')
        return etag != NULL;
    return etag && strlen(etag) == len && strncmp(etag, if_match, len) == 0;
}

/* Whether a Prefer header asks for return=representation (spec §1.1). */
static int wants_representation(const char *prefer)
{
    while (prefer && *prefer) {
        size_t len;
        prefer += strspn(prefer, " \t,;");
        len = strcspn(prefer, ",;");
        while (len && (prefer[len - 1] == ' ' || prefer[len - 1] == '\t'))
            len--;
        if (len == 21 && strncasecmp(prefer, "return=representation", 21) == 0)
            return 1;
        prefer += strcspn(prefer, ",;");
    }
    return 0;
}

/* ---- list (spec §1.2) ---- */

/* A non-negative integer option; absent leaves *out alone. */
static int size_param(const struct params *p, const char *name, size_t *out, struct reply *r)
{
    const char *s = params_get(p, name);
    size_t v = 0;
    if (!s)
        return 0;
    if (!*s || strspn(s, "0123456789") != strlen(s)) {
        reply_error(r, 400, "invalidRequest", name, "%s must be a non-negative integer", name);
        return -1;
    }
    for (; *s; s++) {
        if (v > (SIZE_MAX - 9) / 10) {
            reply_error(r, 400, "invalidRequest", name, "%s is too large", name);
            return -1;
        }
        v = v * 10 + (size_t)(*s - '0');
    }
    *out = v;
    return 0;
}

/* $orderby: createdDateTime or updatedDateTime, then optionally asc or desc. */
static int orderby_param(const char *s, struct list_query *q, struct reply *r)
{
    size_t len;
    q->order_field = -1;
    q->descending = 0;
    if (!s)
        return 0;
    s += strspn(s, " ");
    len = strcspn(s, " ");
    if (len == 15 && strncmp(s, "createdDateTime", len) == 0)
        q->order_field = RF_CREATED;
    else if (len == 15 && strncmp(s, "updatedDateTime", len) == 0)
        q->order_field = RF_UPDATED;
    s += len;
    s += strspn(s, " ");
    len = strcspn(s, " ");
    if (len == 4 && strncasecmp(s, "desc", 4) == 0)
        q->descending = 1;
    else if (len && !(len == 3 && strncasecmp(s, "asc", 3) == 0))
        q->order_field = -1;
    s += len;
    if (q->order_field < 0 || s[strspn(s, " ")] != '\0') {
        reply_error(r, 400, "invalidRequest", "$orderby",
                    "$orderby must be createdDateTime or updatedDateTime, optionally followed "
                    "by asc or desc");
        return -1;
    }
    return 0;
}

/* The absolute URL of the next page: the caller's options plus $skiptoken
 * (how far into the $skip/$top window the next page starts). */
static void next_link(struct server *srv, const struct params *p, size_t skiptoken, strbuf *b)
{
    static const char *const carried[] = {"$filter", "$select", "$orderby",
                                          "$top",    "$skip",   "$count"};
    size_t i;
    sb_printf(b, "%s://127.0.0.1:%u" COLLECTION_PATH "?", srv->opt->cert_file ? "https" : "http",
              srv->port);
    for (i = 0; i < sizeof carried / sizeof carried[0]; i++) {
        const char *v = params_get(p, carried[i]);
        if (v) {
            sb_printf(b, "%s=", carried[i]);
            url_encode(b, v);
            sb_addc(b, '&');
        }
    }
    sb_printf(b, "$skiptoken=%zu", skiptoken);
}

static void list_referrals(struct server *srv, const struct request *req, struct reply *r)
{
    struct params p = PARAMS_INIT;
    struct filter filter = FILTER_INIT;
    struct select select = SELECT_INIT;
    struct list_query q;
    strbuf err = STRBUF_INIT, items = STRBUF_INIT;
    size_t top = SIZE_MAX, skip = 0, skiptoken = 0, start, end, total, returned;
    const char *text, *count;
    int want_count = 0;

    if (params_parse(&p, req->query, strlen(req->query), &err) < 0) {
        reply_error(r, 400, "invalidRequest", NULL, "Invalid query string: %s", err.data);
        goto done;
    }
    text = params_get(&p, "$filter");
    if (text && filter_parse(&filter, text, &err) < 0) {
        reply_error(r, 400, "invalidRequest", "$filter", "%s", err.data);
        goto done;
    }
    text = params_get(&p, "$select");
    if (text && select_parse(&select, text, &err) < 0) {
        reply_error(r, 400, "invalidRequest", "$select", "%s", err.data);
        goto done;
    }
    if (size_param(&p, "$top", &top, r) < 0 || size_param(&p, "$skip", &skip, r) < 0 ||
        size_param(&p, "$skiptoken", &skiptoken, r) < 0 ||
        orderby_param(params_get(&p, "$orderby"), &q, r) < 0)
        goto done;
    count = params_get(&p, "$count");
    if (count && strcasecmp(count, "true") != 0 && strcasecmp(count, "false") != 0) {
        reply_error(r, 400, "invalidRequest", "$count", "$count must be true or false");
        goto done;
    }
    want_count = count && strcasecmp(count, "true") == 0;

    /* The window is [skip, skip + top); this page starts skiptoken into it. */
    end = top > SIZE_MAX - skip ? SIZE_MAX : skip + top;
    start = skiptoken > SIZE_MAX - skip ? SIZE_MAX : skip + skiptoken;
    q.filter = &filter;
    q.select = &select;
    q.offset = start;
    q.limit = start >= end ? 0 : end - start;
    if (q.limit > (size_t)srv->opt->page_size)
        q.limit = (size_t)srv->opt->page_size;

    total = store_list(srv->store, &q, &items, &returned);
    r->status = 200;
    sb_adds(&r->body, "{\"@odata.context\":\"" LIST_CONTEXT "\"");
    if (want_count) /* spec §1.2: the total of matches, before paging */
        sb_printf(&r->body, ",\"@odata.count\":%zu", total);
    sb_adds(&r->body, ",\"value\":[");
    sb_add(&r->body, items.data, items.len);
    sb_addc(&r->body, ']');
    if (start + returned < (total < end ? total : end)) {
        sb_adds(&r->body, ",\"@odata.nextLink\":\"");
        next_link(srv, &p, start + returned - skip, &r->body);
        sb_addc(&r->body, '"');
    }
    sb_addc(&r->body, '}');
done:
    params_free(&p);
    filter_free(&filter);
    select_free(&select);
    sb_free(&err);
    sb_free(&items);
}

/* ---- create / get (spec §1.3, §1.4) ---- */

static void set_etag_header(struct reply *r, const char *etag)
{
    if (etag)
        reply_header(r, "ETag", etag);
}

static void create_referral(struct server *srv, const struct request *req, struct reply *r)
{
    jv *body = parse_body(req, r), *doc;
    if (!body)
        return;
    if (referral_validate(body, r) == 0) {
        doc = referral_create(body, srv->organization_id);
        /* A fresh GUID cannot collide in practice; if it did, say so. */
        if (store_add(srv->store, doc, &r->body) == STORE_OK) {
            r->status = 201;
            set_etag_header(r, jv_get_str(doc, "eTag"));
            events_referral_changed(srv, "referral-created", jv_get_str(doc, "id"));
        } else {
            reply_error(r, 500, "generalException", NULL, "Referral id collision");
        }
        jv_free(doc);
    }
    jv_free(body);
}

static void get_referral(struct server *srv, const char *id, struct reply *r)
{
    char *etag = NULL;
    size_t mark;
    sb_adds(&r->body, "{\"@odata.context\":\"" ENTITY_CONTEXT "\"");
    mark = r->body.len;
    if (store_get(srv->store, id, &r->body, &etag) != STORE_OK) {
        reply_error(r, 404, "itemNotFound", NULL, "Referral %s was not found", id);
        return;
    }
    /* Splice the stored object's members in after @odata.context: its '{'
     * becomes a ',' (or goes, if the object is empty). */
    if (r->body.data[mark + 1] == '}') {
        r->body.len = mark;
        sb_addc(&r->body, '}');
    } else {
        r->body.data[mark] = ',';
    }
    r->status = 200;
    set_etag_header(r, etag);
    free(etag);
}

/* ---- update (spec §1.5 PATCH, §1.6 PUT) ---- */

struct update {
    const jv *body;       /* the patch document or the replacement */
    const char *if_match; /* NULL = no precondition */
    struct reply *r;      /* gets the error, if any */
    char *etag;           /* the new eTag on success */
};

/* Common first and last steps of PATCH and PUT inside the store lock. */
static int precondition_ok(struct update *u, const jv *current)
{
    if (!u->if_match || etag_matches(u->if_match, jv_get_str(current, "eTag")))
        return 1;
    reply_error(u->r, 412, "preconditionFailed", NULL,
                "The referral was modified: If-Match does not match its eTag");
    return 0;
}

static jv *finish_update(struct update *u, jv *doc, int ok)
{
    if (!ok) {
        jv_free(doc);
        return NULL;
    }
    u->etag = xstrdup(jv_get_str(doc, "eTag"));
    return doc;
}

static jv *apply_patch(void *arg, const jv *current)
{
    struct update *u = arg;
    const char *old_status = jv_get_str(current, "status");
    int touched, ok;
    jv *doc;
    if (!precondition_ok(u, current))
        return NULL;
    doc = jv_copy(current); /* patch a copy: all operations or none */
    ok = patch_apply(doc, u->body, &touched, u->r) == 0 &&
         (!touched || referral_check_status_change(old_status, doc, u->r) == 0);
    if (ok)
        referral_touch(doc, old_status);
    return finish_update(u, doc, ok);
}

static jv *apply_replace(void *arg, const jv *current)
{
    struct update *u = arg;
    jv *doc;
    if (!precondition_ok(u, current))
        return NULL;
    doc = referral_replace(current, u->body);
    return finish_update(
        u, doc, referral_check_status_change(jv_get_str(current, "status"), doc, u->r) == 0);
}

static void update_referral(struct server *srv, const struct request *req, const char *id,
                            struct reply *r)
{
    int is_put = strcmp(req->method, "PUT") == 0;
    struct update u;
    strbuf updated = STRBUF_INIT;
    enum store_result rc;
    jv *body;
    if (is_put && !req->if_match) { /* spec §1.6: required for PUT */
        reply_error(r, 428, "preconditionFailed", NULL, "PUT requires an If-Match header");
        return;
    }
    if (!(body = parse_body(req, r)))
        return;
    if (is_put && referral_validate(body, r) < 0) {
        jv_free(body);
        return;
    }
    u.body = body;
    u.if_match = req->if_match;
    u.r = r;
    u.etag = NULL;
    rc = store_update(srv->store, id, is_put ? apply_replace : apply_patch, &u, &updated);
    if (rc == STORE_NOT_FOUND) {
        reply_error(r, 404, "itemNotFound", NULL, "Referral %s was not found", id);
    } else if (rc == STORE_OK) {
        set_etag_header(r, u.etag);
        events_referral_changed(srv, "referral-updated", id);
        if (is_put || wants_representation(req->prefer)) {
            r->status = 200;
            sb_add(&r->body, updated.data, updated.len);
            if (!is_put)
                reply_header(r, "Preference-Applied", "return=representation");
        } else {
            r->status = 204;
        }
    }
    free(u.etag);
    sb_free(&updated);
    jv_free(body);
}

/* ---- routing ---- */

/* "/<tenant><tail>" */
static int is_tenant_path(const char *path, const char *tail)
{
    size_t tenant;
    if (path[0] != '/')
        return 0;
    tenant = strcspn(path + 1, "/");
    return tenant > 0 && strcmp(path + 1 + tenant, tail) == 0;
}

/* For ".../referrals[/]" sets *id = NULL; for ".../referrals/<id>[/]" copies
 * the id; returns 0 if path is neither. */
static int referral_route(const char *path, char **id)
{
    size_t n = strlen(COLLECTION_PATH), len;
    *id = NULL;
    if (strncmp(path, COLLECTION_PATH, n) != 0)
        return 0;
    path += n;
    if (path[0] == '\0' || strcmp(path, "/") == 0)
        return 1;
    if (path[0] != '/')
        return 0;
    len = strcspn(++path, "/");
    if (len == 0 || (path[len] && strcmp(path + len, "/") != 0))
        return 0;
    *id = xstrndup(path, len);
    return 1;
}

void api_handle(struct server *srv, const struct request *req, struct reply *r)
{
    const char *m = req->method;
    char *id = NULL;
    if (strncmp(req->path, "/v1.0/", 6) == 0) {
        if (!referral_route(req->path, &id))
            reply_error(r, 404, "itemNotFound", NULL, "No resource at %s", req->path);
        else if (!id && strcmp(m, "GET") == 0)
            list_referrals(srv, req, r);
        else if (!id && strcmp(m, "POST") == 0)
            create_referral(srv, req, r);
        else if (!id)
            reply_method_not_allowed(r, m, "GET, POST");
        else if (strcmp(m, "GET") == 0)
            get_referral(srv, id, r);
        else if (strcmp(m, "PATCH") == 0 || strcmp(m, "PUT") == 0)
            update_referral(srv, req, id, r);
        else
            reply_method_not_allowed(r, m, "GET, PATCH, PUT");
        free(id);
    } else if (strncmp(req->path, "/webhooks/", 10) == 0) {
        /* Partner Center's webhook registration API (issue 14); its bearer token, of its
         * own audience, is checked before any handler (tokens_authorize) */
        if (!registration_handle(srv, req, r))
            reply_error(r, 404, "itemNotFound", NULL, "No resource at %s", req->path);
    } else if (is_tenant_path(req->path, "/oauth2/token") ||
               is_tenant_path(req->path, "/oauth2/v2.0/token")) {
        if (strcmp(m, "POST") == 0)
            tokens_issue(srv->tokens, req->path, req->content_type, req->body, req->body_len, r);
        else
            reply_method_not_allowed(r, m, "POST");
    } else if (is_tenant_path(req->path, "/oauth2/v2.0/devicecode")) {
        if (strcmp(m, "POST") == 0)
            tokens_devicecode(srv->tokens, req->content_type, req->body, req->body_len, r);
        else
            reply_method_not_allowed(r, m, "POST");
    } else {
        reply_error(r, 404, "itemNotFound", NULL, "No resource at %s", req->path);
    }
}
