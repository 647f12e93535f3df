/*
 * internal.h: what the files behind referrals_client.h share (client.c, http.c,
 * url.c, json_error_body.c, guid.c). Not installed: C hosts see referrals_client.h only.
 */
#ifndef REFERRALS_CLIENT_INTERNAL_H
#define REFERRALS_CLIENT_INTERNAL_H

#include <curl/curl.h>

#include "referrals_client.h"

/* ---- http.c: the libcurl transport ---------------------------------------------------- */

typedef struct referrals_request {
  referrals_method method;
  const char *url; /* NUL-terminated */
  const char *body;
  size_t body_len;
  const char *if_match; /* NULL: no If-Match header */
  size_t if_match_len;
  int prefer_representation; /* Prefer: return=representation (spec §1.1, PATCH) */
  int form;       /* an OAuth token request (spec §4): form-encoded body, no Authorization */
  double timeout; /* seconds this attempt may take at most (the deadline's rest); 0: the
                     client's timeout alone */
} referrals_request;

typedef struct referrals_http referrals_http;

referrals_http *referrals_http_new(const referrals_client_options *o, referrals_error *err);
void referrals_http_free(referrals_http *h);
int referrals_http_set_token(referrals_http *h, const char *token, size_t len,
                             referrals_error *err);
/* Sends rq and reads the answer into the response. REFERRALS_OK whenever an answer arrived,
 * whatever its status; transport failures are REFERRALS_E_TRANSPORT. */
int referrals_http_perform(referrals_http *h, const referrals_request *rq, referrals_error *err);
const referrals_response *referrals_http_response(const referrals_http *h);
/* The bearer token the handle sends (*len its length), or NULL when none is set. */
const char *referrals_http_token(const referrals_http *h, size_t *len);
/* How the last perform failed (REFERRALS_FAIL_NONE when an answer arrived). */
referrals_failure referrals_http_failure(const referrals_http *h);
/* The header lines of the last request as sent, the Authorization value shown as
 * "Bearer [redacted]"; at most max are stored in out, the count is returned. The texts stay
 * valid until the next request. */
size_t referrals_http_headers(const referrals_http *h, const char **out, size_t max);

/* The two halves of referrals_http_perform, for a driver that runs the easy handle itself
 * (bulk.c, curl multi): start prepares the handle for rq (headers, a fresh
 * client-request-id, method, URL, body) and clears the last answer; finish reads the answer
 * after libcurl ended the transfer with rc. */
int referrals_http_start(referrals_http *h, const referrals_request *rq, referrals_error *err);
int referrals_http_finish(referrals_http *h, CURLcode rc, referrals_error *err);
CURL *referrals_http_easy(referrals_http *h);
/* Another handle with src's options, headers and token, and buffers of its own: one more
 * concurrent transfer of the same client. */
referrals_http *referrals_http_dup(const referrals_http *src, referrals_error *err);
/* Gives dst the token src sends now (a no-op when they already agree). */
int referrals_http_share_token(referrals_http *dst, const referrals_http *src,
                               referrals_error *err);

/* ---- header_value.c: what may be sent in a header or URL option (issue 13) ---- */

/* Whether s[0..len) may be sent as a header value: no control byte (NUL, CR, LF, tab, DEL). */
int referrals_header_value_ok(const char *s, size_t len);
/* Whether s[0..len) is a bearer token (RFC 6750 b64token: no space, no control byte). */
int referrals_token_ok(const char *s, size_t len);
/* user_agent, correlation_id, base_url, proxy: no control byte in any (a validation error). */
int referrals_option_texts_check(const referrals_client_options *o, referrals_error *err);

/* ---- transport_error.c: a failed transfer as a transport error ---- */

/* What a failed transfer saw (http.c fills it from its handle). */
typedef struct referrals_transfer_outcome {
  int rc;             /* libcurl's CURLcode */
  const char *errbuf; /* libcurl's error text, or "" */
  int in_headers;     /* between a status line and the end of its headers */
  int out_of_memory;  /* the body's buffer could not grow */
  int too_large;      /* the body passed max_body */
  size_t max_body;
  int rewind_refused; /* libcurl wanted to send a write again: on_seek said no */
  int sent;           /* request bytes went out */
  long status;
  const char *request_id; /* the answer's request-id ("" if none), sizeof err->request_id */
} referrals_transfer_outcome;

/* Fills err (category transport, a stable code, retryable) for the failed transfer o and
 * returns how it failed, for the retry rules. */
referrals_failure referrals_transport_error(const referrals_transfer_outcome *o,
                                            referrals_error *err);

/* ---- safe_text.c: network text made safe for a terminal or a log (issue 13) ---- */

/* Copies src[0..len) to dst (size bytes, NUL-terminated), each control byte (C0, DEL, C1)
 * and each byte that is not UTF-8 written as \xNN; cut at a whole character. Returns the
 * length written. */
size_t referrals_text_safe(char *dst, size_t size, const char *src, size_t len);
/* Whether referrals_text_safe would copy s[0..len) unchanged. */
int referrals_text_is_safe(const char *s, size_t len);
/* Replaces the user:password of every scheme://user:password@ in text, in place. */
void referrals_text_redact_userinfo(char *text);

/* ---- client.c: what the bulk driver (bulk.c) shares with the sequential operations ---- */

typedef struct referrals_bulk referrals_bulk;
void referrals_bulk_free(referrals_bulk *b); /* NULL is fine */

referrals_http *referrals_client_http(referrals_client *c);
/* Where the client keeps its bulk state: made lazily by bulk.c, freed with the client. */
referrals_bulk **referrals_client_bulk(referrals_client *c);
const char *referrals_client_collection(const referrals_client *c);
/* url = the URL of the referral id (checked: a validation error "id", then percent-encoded). */
int referrals_client_item_url(const referrals_client *c, referrals_buffer *url, const char *id,
                              size_t len, referrals_error *err);
/* After an update that h answered: when the answer was a bare 2xx (a service that ignores
 * Prefer: return=representation), *out = the referral read with a GET, so an update always
 * gives the referral as it now is; otherwise nothing (REFERRALS_OK, *out untouched). */
int referrals_client_reread(referrals_client *c, const referrals_http *h, const char *id,
                            size_t id_len, referrals_arena *a, referrals_referral **out,
                            referrals_error *err);
/* url = the collection's URL with query[0..len) (checked: "" or "?..." without spaces, control
 * bytes or '#', else a validation error "query"), for a REFERRALS_BULK_LIST item. */
int referrals_client_list_url(const referrals_client *c, referrals_buffer *url, const char *query,
                              size_t len, referrals_error *err);
/* What the answer r to rq means: a 2xx body decoded as a t into *out (an empty one is fine
 * when body_optional, *out NULL), any other status the error record (spec §5), with
 * retryable as the retry rules say (err->attempts kept). */
int referrals_client_answer(const referrals_request *rq, const referrals_http *h,
                            const referrals_type *t, int body_optional, referrals_arena *a,
                            void **out, referrals_error *err);

/* The `aud` claim of a JWT token[0..len), read without verifying it, terminal-safe into
 * out (cut to size): 1 when there is one (token_audience.c). */
int referrals_token_audience(const char *token, size_t len, char *out, size_t size);
/* The audience the API of url needs: REFERRALS_WEBHOOK_AUDIENCE for a path under
 * /webhooks/, else REFERRALS_AUDIENCE. */
const char *referrals_audience_for_url(const char *url);
/* After a 401: err->needed_audience is needed, err->audience the token's (when it is a JWT),
 * and the message says whether they match and names the one needed. */
void referrals_explain_unauthorized(referrals_error *err, const char *token, size_t len,
                                    const char *needed);

/* ---- pipeline.c: token -> retry/deadline -> log -> transport (issues 4, 12) ------------ */

typedef struct referrals_pipeline {
  referrals_retry_policy policy;
  referrals_token_fn token; /* NULL: the token set is used as it is */
  referrals_log_fn log;
  void *ud;
  double deadline;    /* the next operation's (referrals_client_set_deadline), 0: none */
  double token_until; /* monotonic time until which the token hook's token is reused */
  long index;         /* the item index sequential runs give their events: -1, or the bulk
                         item an in-doubt lookup is made for */
} referrals_pipeline;

/* One request's way through the stages: a sequential call, or one item of a bulk run. */
typedef struct referrals_exchange {
  referrals_request rq; /* its timeout is set before each attempt (the deadline's rest) */
  long index;           /* the bulk item's index (0-based), -1 for a sequential call */
  double start;         /* monotonic: when the call or the item began */
  double deadline;      /* seconds from start, 0: none */
  double began;         /* monotonic: when the current attempt began */
  int attempt;          /* the current attempt, 1 for the first */
  int retries, refreshed, force;
  int expired; /* the deadline passed before the current attempt: it was not sent, and the
                  last attempt's outcome (if any) is the exchange's */
} referrals_exchange;

double referrals_monotonic(void);
/* The seconds left of a deadline (seconds from start; 0 none): -1 when there is none, 0 once
 * it has passed. Every deadline decision is taken from this one function. */
double referrals_deadline_left(double deadline, double start);

void referrals_exchange_init(referrals_exchange *x, const referrals_request *rq, long index,
                             double deadline);
/* Before an attempt: the token stage (the hook, cached; forced after a 401), then the
 * deadline stage (no attempt begins after it; the attempt's timeout is what is left).
 * REFERRALS_OK, or the error that ends the exchange (err->attempts set). */
int referrals_pipeline_before(referrals_pipeline *p, referrals_client *c, referrals_exchange *x,
                              referrals_error *err);
/* The request event, once the transport has the request (referrals_http_start). */
void referrals_pipeline_sent(referrals_pipeline *p, referrals_exchange *x, referrals_http *h);
/* After the attempt ended with rc (referrals_http_finish): the response event, the 401 rule
 * and the retry decision. Returns the seconds to wait before the next attempt (the retry
 * event told), or -1 when rc is final: err->attempts, retryable and in_doubt set. */
double referrals_pipeline_after(referrals_pipeline *p, referrals_exchange *x, referrals_http *h,
                                int rc, referrals_error *err);
/* The stages in a loop over h, waiting between attempts: returns as referrals_http_perform
 * (REFERRALS_OK when an answer arrived, any status: the last one), else the failure. The
 * deadline is used up: the next operation has none unless set again. */
int referrals_pipeline_run(referrals_pipeline *p, referrals_client *c, referrals_http *h,
                           const referrals_request *rq, referrals_error *err);

/* When a create is in doubt (err->in_doubt) and json[0..len) carries externalReferenceId:
 * lists the referrals with that externalReferenceId (and the request's engagementId, when it
 * has one); when exactly one exists it is *out and REFERRALS_OK is returned, as if the
 * answer had arrived. Otherwise err stays as it was, in doubt, and its category is returned.
 * The lookup runs through the pipeline with the deadline's rest (deadline from start). */
int referrals_client_resolve(referrals_client *c, const char *json, size_t len, double deadline,
                             double start, referrals_arena *a, referrals_referral **out,
                             referrals_error *err);
/* The client's pipeline: bulk runs use its hooks, token cache and retry policy. */
referrals_pipeline *referrals_client_pipeline(referrals_client *c);

/* ---- url.c ----------------------------------------------------------------------------- */

#define REFERRALS_COLLECTION_PATH "/v1.0/engagements/referrals" /* spec §1 */

typedef struct referrals_base_url {
  char url[320];  /* scheme://host[:port], as the requests use it */
  char scheme[8]; /* "http" or "https" */
  char host[256];
  char port[8]; /* explicit or the scheme's default */
} referrals_base_url;

/* Checks and splits a base URL: http or https, a host, an optional port, no user, path,
 * query or fragment (a lone "/" is fine). Validation error code "base_url" otherwise. */
int referrals_base_url_parse(const char *url, referrals_base_url *out, referrals_error *err);

/* The URL to GET for a next link, into out (see referrals_list_next, spec §1.2). */
int referrals_next_link_fix(const referrals_base_url *base, const char *link, size_t len,
                            referrals_buffer *out, referrals_error *err);

/* ---- json_error_body.c ----------------------------------------------------------------------- */

/* If body is the API's error JSON (spec §5), or the other Partner Center APIs' (code and
 * description, or a throttled answer's message), fills err (category REFERRALS_E_API, code,
 * message, target; code "" when the body has none) and returns 1; else returns 0 and leaves
 * err alone. */
int referrals_api_error_parse(const char *body, size_t len, referrals_error *err);

/* ---- guid.c ---------------------------------------------------------------------------- */

#define REFERRALS_GUID_LEN 36
/* Writes a random version-4 GUID, lower case 8-4-4-4-12, to out[0..36) (no NUL).
 * Returns 0, or -1 when the system has no randomness to give. */
int referrals_guid(char *out);
/* n (at most 256) random bytes from the kernel, for GUIDs and the retry jitter; 0 or -1. */
int referrals_random_bytes(unsigned char *out, size_t n);

/* Whether id may name a referral in a URL path: not empty, at most 128 bytes, and none of
 * '/', '?', '#', '%', "..", space or control bytes (a GUID passes). */
int referrals_id_valid(const char *id, size_t len);

/* Appends s percent-encoded: every byte but the RFC 3986 unreserved ones (a space is %20). */
void referrals_url_encode(referrals_buffer *b, const char *s, size_t len);

#endif
