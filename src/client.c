/*
 * client.c: the operations of spec §1 on top of the transport (http.c): which method, which
 * URL, which body, and what the answer means. A 2xx answer is decoded once, into structs in
 * the caller's arena; any other is turned into the error record (spec §5).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_internal.h"

struct referrals_client {
  referrals_http *http;
  referrals_base_url base;
  char collection[sizeof ((referrals_base_url *)0)->url + sizeof REFERRALS_COLLECTION_PATH];
  referrals_buffer url; /* the URL of the current request, when it is not the collection's */
};

void referrals_client_options_init(referrals_client_options *o) {
  memset(o, 0, sizeof *o);
  o->timeout = 60;
  o->connect_timeout = 10;
  o->http_version = REFERRALS_HTTP_1_1;
  o->verify = 1;
}

referrals_client *referrals_client_new(const referrals_client_options *o, referrals_error *err) {
  referrals_client *c = calloc(1, sizeof *c);
  if (!c) {
    referrals_error_set(err, REFERRALS_E_MEMORY, "ENOMEM", NULL, "out of memory");
    return NULL;
  }
  referrals_buffer_init(&c->url);
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

/* ---- answers ---------------------------------------------------------------------------- */

/* Worth another attempt later (the Azure SDK's list; spec §5: 429 and 503 may say when). */
static int retryable_status(long status) {
  return status == 408 || status == 429 || status == 500 || status == 502 || status == 503 ||
         status == 504;
}

static void describe_answer(const referrals_response *r, referrals_error *err) {
  err->status = r->status;
  memcpy(err->request_id, r->request_id, sizeof err->request_id);
  err->retry_after = r->retry_after;
}

static int status_error(const referrals_response *r, referrals_error *err) {
  if (!referrals_api_error_parse(r->body, r->body_len, err)) {
    char code[24];
    snprintf(code, sizeof code, "HTTP_%ld", r->status);
    referrals_error_set(err, REFERRALS_E_HTTP, code, NULL,
                        "HTTP %ld, and the body is not the API's error JSON (Content-Type: %s)",
                        r->status, r->content_type[0] ? r->content_type : "none");
  }
  describe_answer(r, err);
  err->retryable = retryable_status(r->status);
  return (int)err->category;
}

/* Sends rq; a 2xx body is decoded as a t into *out. An empty 2xx body (204, spec §1.5) is
 * fine when body_optional, and leaves *out NULL. */
static int exchange(referrals_client *c, const referrals_request *rq, const referrals_type *t,
                    int body_optional, referrals_arena *a, void **out, referrals_error *err) {
  *out = NULL;
  int rc = referrals_http_perform(c->http, rq, err);
  if (rc != REFERRALS_OK) return rc;
  const referrals_response *r = referrals_http_response(c->http);
  if (r->status < 200 || r->status > 299) return status_error(r, err);
  if (r->body_len == 0 && body_optional) return REFERRALS_OK;
  if (r->body_len == 0)
    rc = referrals_error_set(err, REFERRALS_E_JSON, "empty", NULL,
                             "HTTP %ld without a body, where a %s was expected", r->status,
                             t->wire_name);
  else
    rc = referrals_decode(t, r->body, r->body_len, a, out, err);
  if (rc != REFERRALS_OK) describe_answer(r, err);
  return rc;
}

static int no_memory(referrals_error *err) {
  return referrals_error_set(err, REFERRALS_E_MEMORY, "ENOMEM", NULL, "out of memory");
}

/* c->url = the URL of one referral; the id is checked, then percent-encoded all the same. */
static int item_url(referrals_client *c, const char *id, size_t len, referrals_error *err) {
  if (!referrals_id_valid(id, len))
    return referrals_error_set(err, REFERRALS_E_VALIDATION, "id", "id",
                               "id: not a referral id (empty, longer than 128 bytes, or holding "
                               "/ ? # %% .. a space or a control byte)");
  c->url.len = 0;
  referrals_buffer_append(&c->url, c->collection, strlen(c->collection));
  referrals_buffer_append(&c->url, "/", 1);
  referrals_url_encode(&c->url, id, len);
  return c->url.failed ? no_memory(err) : REFERRALS_OK;
}

/* ---- operations (spec §1) ----------------------------------------------------------------- */

int referrals_create(referrals_client *c, const char *json, size_t len, referrals_arena *a,
                     referrals_referral **out, referrals_error *err) {
  referrals_request rq = {REFERRALS_POST, c->collection, json, len, NULL, 0, 0};
  void *obj;
  int rc = exchange(c, &rq, &referrals_type_referral, 1, a, &obj, err);
  *out = obj;
  return rc;
}

int referrals_get(referrals_client *c, const char *id, size_t id_len, referrals_arena *a,
                  referrals_referral **out, referrals_error *err) {
  void *obj = NULL;
  int rc = item_url(c, id, id_len, err);
  if (rc == REFERRALS_OK) {
    referrals_request rq = {REFERRALS_GET, c->url.data, NULL, 0, NULL, 0, 0};
    rc = exchange(c, &rq, &referrals_type_referral, 0, a, &obj, err);
  }
  *out = obj;
  return rc;
}

static int get_page(referrals_client *c, referrals_arena *a, referrals_page **out,
                    referrals_error *err) {
  referrals_request rq = {REFERRALS_GET, c->url.data, NULL, 0, NULL, 0, 0};
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
  return c->url.failed ? no_memory(err) : get_page(c, a, out, err);
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
    referrals_request rq = {REFERRALS_PATCH, c->url.data, patch, len, etag, etag_len, 1};
    rc = exchange(c, &rq, &referrals_type_referral, 1, a, &obj, err);
  }
  *out = obj;
  return rc;
}
