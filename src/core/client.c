/*
 * client.c: the operations of spec §1 on top of the transport (http.c): which method, which
 * URL, which body, and what the answer means. A 2xx answer is decoded once, into structs in
 * the caller's arena; any other is turned into the error record (spec §5).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "decode_sink.h"
#include "internal.h"

struct referrals_client {
  referrals_http *http;
  referrals_base_url base;
  char collection[sizeof((referrals_base_url *)0)->url + sizeof REFERRALS_COLLECTION_PATH];
  referrals_buffer url;        /* the URL of the current request, when it is not the collection's */
  referrals_bulk *bulk;        /* the concurrent transfers (bulk.c), made by the first bulk call */
  referrals_pipeline pipeline; /* token, retry, log (pipeline.c, issue 4) */
  referrals_read_fn read;      /* reads the answer's referral instead of referrals_decode */
  void *read_ud;
};

void referrals_client_options_init(referrals_client_options *o) {
  memset(o, 0, sizeof *o);
  o->timeout = 60;
  o->connect_timeout = 10;
  o->http_version = REFERRALS_HTTP_1_1;
  o->verify = 1;
  referrals_retry_policy_init(&o->retry);
  o->max_response = REFERRALS_MAX_RESPONSE;
  o->low_speed_limit = 100;
  o->low_speed_time = 20;
}

static int check_limits(const referrals_client_options *o, referrals_error *err) {
  const referrals_retry_policy *p = &o->retry;
  if (p->retries < 0 || p->retries > 100)
    return referrals_error_set(err, REFERRALS_E_VALIDATION, "retries", "retries",
                               "retries: 0 to 100 expected");
  const char *bad = !(p->retry_delay >= 0 && p->retry_delay <= 1e6)           ? "retry_delay"
                    : !(p->max_retry_delay >= 0 && p->max_retry_delay <= 1e6) ? "max_retry_delay"
                                                                              : NULL;
  if (bad)
    return referrals_error_set(err, REFERRALS_E_VALIDATION, "timeout", bad,
                               "%s: seconds from 0 to 1e6 expected", bad);
  if (o->low_speed_limit < 0 || o->low_speed_limit > 1000000000L ||
      !(o->low_speed_time >= 0 && o->low_speed_time <= 1e6))
    return referrals_error_set(err, REFERRALS_E_VALIDATION, "timeout", "low_speed_limit",
                               "low_speed_limit: bytes/s from 0 to 1e9, low_speed_time: seconds "
                               "from 0 to 1e6 expected");
  if (o->max_response == 0)
    return referrals_error_set(err, REFERRALS_E_VALIDATION, "max_response", "max_response",
                               "max_response: at least 1 byte expected");
  return REFERRALS_OK;
}

referrals_client *referrals_client_new(const referrals_client_options *o, referrals_error *err) {
  if (check_limits(o, err) != REFERRALS_OK) return NULL;
  referrals_client *c = calloc(1, sizeof *c);
  if (!c) {
    referrals_error_out_of_memory(err);
    return NULL;
  }
  referrals_buffer_init(&c->url);
  c->pipeline.policy = o->retry;
  c->pipeline.index = -1;
  c->pipeline.deadline = REFERRALS_DEFAULT_DEADLINE;
  if (referrals_base_url_parse(o->base_url ? o->base_url : REFERRALS_DEFAULT_BASE_URL, &c->base,
                               err) != REFERRALS_OK ||
      !(c->http = referrals_http_new(o, err))) {
    referrals_client_free(c);
    return NULL;
  }
  snprintf(c->collection, sizeof c->collection, "%s%s", c->base.url, REFERRALS_COLLECTION_PATH);
  return c;
}

void referrals_client_free(referrals_client *c) {
  if (!c) return;
  referrals_bulk_free(c->bulk);
  referrals_http_free(c->http);
  referrals_buffer_free(&c->url);
  free(c);
}

int referrals_client_set_token(referrals_client *c, const char *token, size_t len,
                               referrals_error *err) {
  return referrals_http_set_token(c->http, token, len, err);
}

const referrals_response *referrals_client_response(const referrals_client *c) {
  return referrals_http_response(c->http);
}

referrals_http *referrals_client_http(referrals_client *c) { return c->http; }
referrals_bulk **referrals_client_bulk(referrals_client *c) { return &c->bulk; }

void referrals_client_set_hooks(referrals_client *c, referrals_token_fn token, referrals_log_fn log,
                                void *ud) {
  c->pipeline.token = token;
  c->pipeline.log = log;
  c->pipeline.ud = ud;
}

void referrals_client_set_reader(referrals_client *c, referrals_read_fn read, void *ud) {
  c->read = read;
  c->read_ud = ud;
}

void referrals_client_set_deadline(referrals_client *c, double seconds) {
  c->pipeline.deadline = seconds > 0 ? seconds : 0;
}

/* ---- answers ---------------------------------------------------------------------------- */

static void describe_answer(const referrals_response *r, referrals_error *err) {
  err->status = r->status;
  memcpy(err->request_id, r->request_id, sizeof err->request_id);
  err->retry_after = r->retry_after;
}

static int status_error(const referrals_response *r, referrals_error *err) {
  if (referrals_api_error_parse(r->body, r->body_len, err)) {
    if (!err->code[0]) snprintf(err->code, sizeof err->code, "HTTP_%ld", r->status);
  } else {
    char code[24];
    snprintf(code, sizeof code, "HTTP_%ld", r->status);
    referrals_error_set(err, REFERRALS_E_HTTP, code, NULL,
                        "HTTP %ld, and the body is not the API's error JSON (Content-Type: %s)",
                        r->status, r->content_type[0] ? r->content_type : "none");
  }
  describe_answer(r, err);
  err->retryable = referrals_retry_status(r->status); /* the pipeline refines it */
  return (int)err->category;
}

/* A 2xx body must say it is JSON (application/json, any parameters): an HTML page from a
 * captive portal or a proxy is not decoded as a referral. */
static int json_content_type(const char *type) {
  static const char want[] = "application/json";
  size_t n = sizeof want - 1;
  return strncasecmp(type, want, n) == 0 && (type[n] == '\0' || type[n] == ';' || type[n] == ' ');
}

/* read (when not NULL) takes a 2xx body in place of referrals_decode. */
typedef struct reader {
  referrals_read_fn read;
  void *ud;
} reader;

/* t NULL: any JSON body, which the caller reads (referrals_client_send). */
static int answer(const referrals_response *r, const referrals_type *t, int body_optional,
                  const reader *rd, referrals_arena *a, void **out, referrals_error *err) {
  *out = NULL;
  if (r->status < 200 || r->status > 299) return status_error(r, err);
  if (r->body_len == 0 && body_optional) return REFERRALS_OK;
  int rc;
  if (r->body_len > 0 && !json_content_type(r->content_type))
    rc = referrals_error_set(err, REFERRALS_E_JSON, "content_type", NULL,
                             "HTTP %ld with Content-Type %s, where JSON was expected", r->status,
                             r->content_type[0] ? r->content_type : "none");
  else if (r->body_len == 0)
    rc = referrals_error_set(err, REFERRALS_E_JSON, "empty", NULL,
                             "HTTP %ld without a body, where a %s was expected", r->status,
                             t ? t->wire_name : "JSON body");
  else if (t && rd && rd->read)
    rc = rd->read(rd->ud, t, r->body, r->body_len, err);
  else if (t)
    rc = referrals_decode(t, r->body, r->body_len, a, out, err);
  else
    rc = REFERRALS_OK;
  if (rc != REFERRALS_OK) describe_answer(r, err);
  return rc;
}

static int read_answer(const referrals_request *rq, const referrals_http *h,
                       const referrals_type *t, int body_optional, const reader *rd,
                       referrals_arena *a, void **out, referrals_error *err) {
  const referrals_response *r = referrals_http_response(h);
  int attempts = err->attempts;
  int rc = answer(r, t, body_optional, rd, a, out, err);
  if (rc != REFERRALS_OK && r->status == 401) {
    size_t len = 0;
    const char *token = referrals_http_token(h, &len);
    referrals_explain_unauthorized(err, token, len, referrals_audience_for_url(rq->url));
  }
  if (rc != REFERRALS_OK) {
    /* Worth trying again only where the retry rules allow it: a 2xx that does not read was
     * processed, so never (issue 4: never risk a duplicate). */
    referrals_outcome outcome = {r->status, REFERRALS_FAIL_NONE};
    err->attempts = attempts;
    err->retryable = rc != REFERRALS_E_JSON &&
                     referrals_retry_allowed(rq->method, rq->if_match != NULL, outcome);
  }
  return rc;
}

int referrals_client_answer(const referrals_request *rq, const referrals_http *h,
                            const referrals_type *t, int body_optional, referrals_arena *a,
                            void **out, referrals_error *err) {
  return read_answer(rq, h, t, body_optional, NULL, a, out, err);
}

/* Sends rq through the pipeline and reads the answer (a referral by the client's reader,
 * when it has one; a page always into structs). */
static int exchange(referrals_client *c, const referrals_request *rq, const referrals_type *t,
                    int body_optional, referrals_arena *a, void **out, referrals_error *err) {
  *out = NULL;
  int rc = referrals_pipeline_run(&c->pipeline, c, c->http, rq, err);
  if (rc != REFERRALS_OK) return rc;
  const reader rd = {t == &referrals_type_referral ? c->read : NULL, c->read_ud};
  return read_answer(rq, c->http, t, body_optional, &rd, a, out, err);
}

int referrals_client_item_url(const referrals_client *c, referrals_buffer *url, const char *id,
                              size_t len, referrals_error *err) {
  if (!referrals_id_valid(id, len))
    return referrals_error_set(err, REFERRALS_E_VALIDATION, "id", "id",
                               "id: not a referral id (empty, \".\", longer than 128 bytes, or "
                               "holding / ? # %% .. a space or a control byte)");
  url->len = 0;
  referrals_buffer_append(url, c->collection, strlen(c->collection));
  referrals_buffer_append(url, "/", 1);
  referrals_url_encode(url, id, len);
  return url->failed ? referrals_error_out_of_memory(err) : REFERRALS_OK;
}

/* Whether s[0..n) can go into a URL as it is: no space, control byte or '#'. */
static int url_plain(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f || s[i] == '#') return 0;
  return 1;
}

int referrals_client_list_url(const referrals_client *c, referrals_buffer *url, const char *query,
                              size_t len, referrals_error *err) {
  if ((len > 0 && query[0] != '?') || !url_plain(query, len))
    return referrals_error_set(err, REFERRALS_E_VALIDATION, "query", "query",
                               "query: \"\" or \"?...\" URL-encoded, as referrals_query_append "
                               "writes it, expected");
  url->len = 0;
  referrals_buffer_append(url, c->collection, strlen(c->collection));
  referrals_buffer_append(url, query, len);
  return url->failed ? referrals_error_out_of_memory(err) : REFERRALS_OK;
}

static int item_url(referrals_client *c, const char *id, size_t len, referrals_error *err) {
  return referrals_client_item_url(c, &c->url, id, len, err);
}

const char *referrals_client_collection(const referrals_client *c) { return c->collection; }

referrals_pipeline *referrals_client_pipeline(referrals_client *c) { return &c->pipeline; }

/* ---- operations (spec §1) ----------------------------------------------------------------- */

int referrals_create(referrals_client *c, const char *json, size_t len, referrals_arena *a,
                     referrals_referral **out, referrals_error *err) {
  referrals_request rq = {
      .method = REFERRALS_POST, .url = c->collection, .body = json, .body_len = len};
  double deadline = c->pipeline.deadline, start = referrals_monotonic();
  void *obj;
  int rc = exchange(c, &rq, &referrals_type_referral, 1, a, &obj, err);
  *out = obj;
  if (rc != REFERRALS_OK && err->in_doubt)
    rc = referrals_client_resolve(c, json, len, deadline, start, a, out, err);
  return rc;
}

/* ---- an unknown outcome, resolved (issue 12) ------------------------------------------- */

/* The documented filters (spec §1.2) do not include externalReferenceId, so the lookup asks
 * for the newest referrals (createdDateTime desc; one page, at most 100) and compares
 * locally; an engagementId, which is filterable, narrows the list. */
#define RESOLVE_TOP 100

static int same_text(const referrals_value *a, const referrals_value *b) {
  if (a->state != REFERRALS_SET || b->state != REFERRALS_SET) return a->state == b->state;
  return a->len == b->len && memcmp(a->as.string, b->as.string, a->len) == 0;
}

static uint32_t count_of(const referrals_value *v) {
  return v->state == REFERRALS_SET ? v->len : 0;
}

/* Whether found can be the referral sent: the same externalReferenceId and type, and the
 * same targets (the two halves of a shared referral differ there, spec §3.2). */
static int is_the_one(const referrals_referral *sent, const referrals_referral *found) {
  if (!same_text(&sent->externalReferenceId, &found->externalReferenceId) ||
      !same_text(&sent->type, &found->type) || count_of(&sent->target) != count_of(&found->target))
    return 0;
  for (uint32_t i = 0; i < count_of(&sent->target); i++) {
    const referrals_target *x = sent->target.as.items[i].as.object;
    const referrals_target *y = found->target.as.items[i].as.object;
    if (!x || !y) {
      if (x != y) return 0;
    } else if (!same_text(&x->type, &y->type) || !same_text(&x->id, &y->id)) {
      return 0;
    }
  }
  return 1;
}

int referrals_client_resolve(referrals_client *c, const char *json, size_t len, double deadline,
                             double start, referrals_arena *a, referrals_referral **out,
                             referrals_error *err) {
  int rc = (int)err->category;
  *out = NULL;
  double left = referrals_deadline_left(deadline, start);
  if (!err->in_doubt || left == 0) return rc; /* no lookup begins after the deadline */
  referrals_error lookup;
  referrals_error_clear(&lookup);
  void *decoded = NULL;
  if (referrals_decode(&referrals_type_referral, json, len, a, &decoded, &lookup) != REFERRALS_OK)
    return rc;
  const referrals_referral *sent = decoded;
  if (sent->externalReferenceId.state != REFERRALS_SET) return rc;
  referrals_buffer filter;
  referrals_buffer_init(&filter);
  if (sent->engagementId.state == REFERRALS_SET)
    referrals_filter_eq(&filter, "engagementId", 12, sent->engagementId.as.string,
                        sent->engagementId.len, &lookup);
  referrals_query q = {.filter = filter.len ? filter.data : NULL,
                       .orderby = "createdDateTime desc",
                       .top = RESOLVE_TOP};
  referrals_page *page = NULL;
  c->pipeline.deadline = left > 0 ? left : 0;
  int found = 0;
  if (!filter.failed && referrals_list(c, &q, a, &page, &lookup) == REFERRALS_OK && page) {
    for (uint32_t i = 0; i < count_of(&page->value); i++) {
      const referrals_referral *r = page->value.as.items[i].as.object;
      if (page->value.as.items[i].state == REFERRALS_SET && r && is_the_one(sent, r)) {
        found++;
        *out = (referrals_referral *)r;
      }
    }
  }
  referrals_buffer_free(&filter);
  if (found == 1) {
    int attempts = err->attempts;
    referrals_error_clear(err);
    err->attempts = attempts;
    return REFERRALS_OK;
  }
  *out = NULL;
  size_t n = strlen(err->message);
  if (found)
    snprintf(err->message + n, sizeof err->message - n,
             " (%d referrals carry its externalReferenceId)", found);
  else
    snprintf(err->message + n, sizeof err->message - n,
             " (none with its externalReferenceId was found)");
  return rc;
}

int referrals_get(referrals_client *c, const char *id, size_t id_len, referrals_arena *a,
                  referrals_referral **out, referrals_error *err) {
  void *obj = NULL;
  int rc = item_url(c, id, id_len, err);
  if (rc == REFERRALS_OK) {
    referrals_request rq = {.method = REFERRALS_GET, .url = c->url.data};
    rc = exchange(c, &rq, &referrals_type_referral, 0, a, &obj, err);
  }
  *out = obj;
  return rc;
}

static int get_page(referrals_client *c, referrals_arena *a, referrals_page **out,
                    referrals_error *err) {
  referrals_request rq = {.method = REFERRALS_GET, .url = c->url.data};
  void *obj;
  int rc = exchange(c, &rq, &referrals_type_page, 0, a, &obj, err);
  *out = obj;
  return rc;
}

int referrals_list(referrals_client *c, const referrals_query *q, referrals_arena *a,
                   referrals_page **out, referrals_error *err) {
  *out = NULL;
  c->url.len = 0;
  referrals_buffer_append(&c->url, c->collection, strlen(c->collection));
  referrals_query_append(&c->url, q);
  return c->url.failed ? referrals_error_out_of_memory(err) : get_page(c, a, out, err);
}

int referrals_list_next(referrals_client *c, const char *link, size_t len, referrals_arena *a,
                        referrals_page **out, referrals_error *err) {
  *out = NULL;
  int rc = referrals_next_link_fix(&c->base, link, len, &c->url, err);
  return rc != REFERRALS_OK ? rc : get_page(c, a, out, err);
}

int referrals_update(referrals_client *c, const char *id, size_t id_len, const char *patch,
                     size_t len, const char *etag, size_t etag_len, referrals_arena *a,
                     referrals_referral **out, referrals_error *err) {
  void *obj = NULL;
  int rc = item_url(c, id, id_len, err);
  if (rc == REFERRALS_OK) {
    referrals_request rq = {.method = REFERRALS_PATCH,
                            .url = c->url.data,
                            .body = patch,
                            .body_len = len,
                            .if_match = etag,
                            .if_match_len = etag_len,
                            .prefer_representation = 1};
    rc = exchange(c, &rq, &referrals_type_referral, 1, a, &obj, err);
  }
  *out = obj;
  if (rc == REFERRALS_OK) rc = referrals_client_reread(c, c->http, id, id_len, a, out, err);
  return rc;
}

int referrals_client_reread(referrals_client *c, const referrals_http *h, const char *id,
                            size_t id_len, referrals_arena *a, referrals_referral **out,
                            referrals_error *err) {
  if (referrals_http_response(h)->body_len > 0) return REFERRALS_OK;
  return referrals_get(c, id, id_len, a, out, err);
}

/* c->url = the base URL + path, an absolute path without spaces, control bytes or '#'. */
static int path_url(referrals_client *c, const char *path, referrals_error *err) {
  size_t n = strlen(path);
  if (path[0] != '/' || !url_plain(path, n))
    return referrals_error_set(
        err, REFERRALS_E_VALIDATION, "path", "path",
        "path: an absolute path without spaces, control bytes or '#' expected");
  c->url.len = 0;
  referrals_buffer_append(&c->url, c->base.url, strlen(c->base.url));
  referrals_buffer_append(&c->url, path, n);
  return c->url.failed ? referrals_error_out_of_memory(err) : REFERRALS_OK;
}

int referrals_client_post_form(referrals_client *c, const char *path, const char *form, size_t len,
                               referrals_error *err) {
  int rc = path_url(c, path, err);
  if (rc != REFERRALS_OK) return rc;
  referrals_request rq = {
      .method = REFERRALS_POST, .url = c->url.data, .body = form, .body_len = len, .form = 1};
  return referrals_pipeline_run(&c->pipeline, c, c->http, &rq, err);
}

int referrals_client_send(referrals_client *c, referrals_method method, const char *path,
                          const char *json, size_t len, referrals_error *err) {
  int rc = path_url(c, path, err);
  if (rc != REFERRALS_OK) return rc;
  referrals_request rq = {.method = method, .url = c->url.data, .body = json, .body_len = len};
  void *none;
  return exchange(c, &rq, NULL, 1, NULL, &none, err);
}
