/*
 * referrals_client.h: talking to the Partner Center Referrals API from C (issue 3). Includes
 * referrals.h and referrals_retry.h; usable without Lua.
 *
 * A referrals_client owns one libcurl easy handle (one kept-alive connection), the request
 * headers (built once) and the buffers of a request, all reused from call to call. It is not
 * thread-safe: use one client per thread. Call curl_global_init(CURL_GLOBAL_DEFAULT) once at
 * program start, before any thread exists; otherwise the first referrals_client_new does it,
 * which is only safe in a program with one thread.
 *
 * Operations return REFERRALS_OK or a referrals_category and fill a referrals_error:
 *   REFERRALS_E_VALIDATION  refused before anything was sent (bad id, header value, path)
 *   REFERRALS_E_TRANSPORT   libcurl failed (code TIMEOUT, CONNECT, RESOLVE, TLS, SEND, RECV...)
 *   REFERRALS_E_API         a non-2xx answer with the API's error JSON (spec §5): code,
 *                           message and target are the API's
 *   REFERRALS_E_HTTP        a non-2xx answer without it: code "HTTP_<status>"
 *   REFERRALS_E_JSON        a 2xx answer whose body is not the expected JSON
 * HTTP errors carry status, request_id (the response's request-id header) and retry_after.
 * No error text ever holds the token.
 */
#ifndef REFERRALS_CLIENT_H
#define REFERRALS_CLIENT_H

#include "referrals.h"
#include "referrals_retry.h"

#ifdef __cplusplus
extern "C" {
#endif
/* The library is built with hidden visibility: what this header declares is its API, the
 * only symbols a shared object that links it may export (see tools/check-symbols.sh). */
#if defined(__GNUC__)
#pragma GCC visibility push(default)
#endif

#define REFERRALS_DEFAULT_BASE_URL "https://api.partner.microsoft.com" /* spec §1 */
/* The token audiences the two APIs need, whatever the base URL (spec §4): the Referrals API,
 * and the webhook registration API (paths under /webhooks/). */
#define REFERRALS_AUDIENCE "https://api.partner.microsoft.com"
#define REFERRALS_WEBHOOK_AUDIENCE "https://api.partnercenter.microsoft.com"

typedef enum referrals_http_version {
  REFERRALS_HTTP_1_1 = 0, /* the default: measured faster than HTTP/2 for sequential calls */
  REFERRALS_HTTP_2 = 1    /* HTTP/2 over TLS (ALPN); plain http stays HTTP/1.1 */
} referrals_http_version;

typedef struct referrals_client_options {
  const char *base_url;   /* scheme://host[:port], http or https, no path; NULL: default */
  double timeout;         /* seconds for a whole request; 0: no limit */
  double connect_timeout; /* seconds to connect; 0: libcurl's default (300) */
  referrals_http_version http_version;
  const char *ca_file;          /* CA bundle (PEM), NULL: the system's */
  const char *ca_path;          /* directory of CA certificates, NULL: the system's */
  int verify;                   /* check the server's certificate and name (peer and host) */
  const char *proxy;            /* libcurl proxy URL, NULL: none (libcurl reads *_proxy env) */
  const char *user_agent;       /* NULL: "referrals-lua/<version> libcurl/<version>" */
  const char *correlation_id;   /* sent as MS-CorrelationId on every request (spec §1.1) */
  referrals_retry_policy retry; /* when and how long to wait for another attempt (issue 4) */
  size_t max_response;          /* bytes of an answer's body at most; more: TOO_LARGE */
  /* An attempt slower than low_speed_limit bytes a second for low_speed_time seconds ends
   * as a TIMEOUT (libcurl's CURLOPT_LOW_SPEED_*): a server dripping a byte at a time does
   * not hold a call for the whole timeout (issue 13). 0 and 0: no such limit. */
  long low_speed_limit;
  double low_speed_time;
} referrals_client_options;

#define REFERRALS_MAX_RESPONSE ((size_t)16 << 20)
/* Seconds a call (an operation with its retries and waits) may take when nothing else is
 * set: referrals_client_set_deadline, or the deadline option of the Lua client. */
#define REFERRALS_DEFAULT_DEADLINE 120

/* The defaults: base_url NULL, timeout 60, connect_timeout 10, HTTP/1.1, verify on, the
 * retry policy's defaults (referrals_retry_policy_init), max_response 16 MiB,
 * low_speed_limit 100 bytes/s over low_speed_time 20 s. A new client's calls have a
 * deadline of REFERRALS_DEFAULT_DEADLINE seconds. */
void referrals_client_options_init(referrals_client_options *o);

/* A client: opaque; made by referrals_client_new, freed by referrals_client_free (which
 * closes its connection). */
typedef struct referrals_client referrals_client;

/* NULL on failure, with err filled (validation of the options, or memory). */
referrals_client *referrals_client_new(const referrals_client_options *o, referrals_error *err);
void referrals_client_free(referrals_client *c); /* NULL is fine */

/* The bearer token sent from now on (spec §4). Copied; refused (validation, field "token")
 * when empty or when it holds CR, LF or NUL. The copy is wiped when replaced or freed. */
int referrals_client_set_token(referrals_client *c, const char *token, size_t len,
                               referrals_error *err);

/* ---- the pipeline: token, retry, log (issue 4) ---------------------------------------- */

/* Called before an attempt when the client has no token known to be good (the first call,
 * and from five minutes before the last one expires: spec §4), and with force set once after
 * a 401. It calls referrals_client_set_token and sets *expires_in to the seconds the token
 * is good for (left at -1, unknown: it is asked again before the next attempt). Returns
 * REFERRALS_OK, or an error category with err filled; the operation then fails with that
 * error and sends nothing more. Bulk runs call it too, between transfers. */
typedef int (*referrals_token_fn)(void *ud, referrals_client *c, int force, double *expires_in,
                                  referrals_error *err);

typedef enum referrals_event_kind {
  REFERRALS_EVENT_REQUEST,  /* an attempt is about to be sent */
  REFERRALS_EVENT_RESPONSE, /* an attempt ended: an answer (status) or a failure (error) */
  REFERRALS_EVENT_RETRY     /* another attempt follows after delay seconds */
} referrals_event_kind;

typedef struct referrals_event {
  referrals_event_kind kind;
  const char *method;           /* "GET", "POST", "PATCH" */
  const char *url;              /* the whole URL (ids and queries are not secrets) */
  int attempt;                  /* 1 for the first */
  long index;                   /* the item's index in a bulk run (0-based), else -1 */
  long status;                  /* RESPONSE: the HTTP status, 0 when none arrived */
  double duration;              /* RESPONSE: seconds the attempt took */
  double delay;                 /* RETRY: seconds until the next attempt */
  const referrals_error *error; /* RESPONSE, RETRY: why it failed, or NULL */
  const char *const *headers;   /* REQUEST: "Name: value" as sent, the token replaced:
                                   "Authorization: Bearer [redacted]" */
  size_t nheaders;
} referrals_event;

/* Called at each event, between transfers (never from inside libcurl). */
typedef void (*referrals_log_fn)(void *ud, const referrals_event *ev);

/* The hooks of the client's pipeline (auth -> retry -> log -> transport, as in the Azure SDK
 * for C); NULL for none. ud is passed to both. */
void referrals_client_set_hooks(referrals_client *c, referrals_token_fn token, referrals_log_fn log,
                                void *ud);

/* The next operation (only) must end within seconds from when it starts, retries and waits
 * included: no attempt and no wait begins after it (a wait reaching past it is not begun),
 * and each attempt's timeout is cut to what is left. 0: none. In a bulk run (unless its
 * options give their own) it bounds each item, from the item's first attempt. */
void referrals_client_set_deadline(referrals_client *c, double seconds);

/* What the last request got back. body points into the client and stays valid until the
 * next request; the header fields are "" when the answer had none. */
typedef struct referrals_response {
  long status; /* 0 when no answer arrived */
  const char *body;
  size_t body_len;
  char request_id[80]; /* the request-id response header (spec §1.1) */
  char etag[128];      /* the ETag response header */
  char content_type[128];
  double retry_after; /* Retry-After in seconds (from seconds or an HTTP-date), or -1 */
} referrals_response;
/* The answer to the last request of c (valid until c's next request or free). */
const referrals_response *referrals_client_response(const referrals_client *c);

/* ---- the OData collection of a list (spec §1.2) --------------------------------------- */

/* A page: {"@odata.context", "@odata.count", "value": [Referral...], "@odata.nextLink"}.
 * Laid out like the generated resources (one referrals_value per member, then the unknown
 * members), so referrals_decode reads it; it is not one of referrals_all_types. */
typedef struct referrals_page {
  referrals_value context;   /* "@odata.context" */
  referrals_value count;     /* "@odata.count", NUMBER */
  referrals_value value;     /* "value": OBJECT_ARRAY of referrals_referral */
  referrals_value next_link; /* "@odata.nextLink" */
  referrals_unknown *unknown;
} referrals_page;
extern const referrals_type referrals_type_page;

/* The query options of a list (spec §1.2). A zeroed struct asks for everything. */
typedef struct referrals_query {
  const char *filter;  /* $filter, an OData expression, or NULL */
  const char *orderby; /* $orderby, e.g. "createdDateTime desc", or NULL */
  const char *select;  /* $select, e.g. "id,status", or NULL */
  long top;            /* $top when > 0 */
  long skip;           /* $skip when > 0 */
  int count;           /* $count=true when nonzero */
} referrals_query;

/* ---- operations (spec §1) ------------------------------------------------------------- */
/* Results are allocated in the arena a. A 2xx answer without a body (204, spec §1.4/§1.5)
 * gives REFERRALS_OK with *out set to NULL. */

/* POST /v1.0/engagements/referrals with json[0..len) as the body (spec §1.4). The caller
 * validates and encodes (referrals_validate, referrals_encode). */
int referrals_create(referrals_client *c, const char *json, size_t len, referrals_arena *a,
                     referrals_referral **out, referrals_error *err);

/* GET /v1.0/engagements/referrals/{id} (spec §1.3). The id is checked (referrals_id_valid)
 * and percent-encoded; a bad one is a validation error (code "id") and nothing is sent. */
int referrals_get(referrals_client *c, const char *id, size_t id_len, referrals_arena *a,
                  referrals_referral **out, referrals_error *err);

/* Appends "?$filter=...&$orderby=...&$select=...&$top=N&$skip=N&$count=true", the options
 * present, URL-encoded (spec §1.2); nothing for an empty query. A REFERRALS_BULK_LIST item. */
void referrals_query_append(referrals_buffer *b, const referrals_query *q);

/* GET /v1.0/engagements/referrals with the query's options, URL-encoded (spec §1.2). */
int referrals_list(referrals_client *c, const referrals_query *q, referrals_arena *a,
                   referrals_page **out, referrals_error *err);

/* GET the @odata.nextLink of a page, only when it leads to this client's referrals
 * collection. spec §1.2 pitfall: the documented nextLink is
 * http://api.partner.microsoft.com/v1.0/referrals?$skiptoken=... (http, without /engagements).
 * So a link on the base URL's host is followed when its scheme and port are the base's, or
 * when it is http on the default port while the base is https: it is upgraded to https (the
 * token never travels in clear text). A path /v1.0/referrals gets its /engagements back; the
 * path must then be /v1.0/engagements/referrals. Anything else is a validation error with
 * code "foreign_next_link", and nothing is sent. */
int referrals_list_next(referrals_client *c, const char *link, size_t len, referrals_arena *a,
                        referrals_page **out, referrals_error *err);

/* PATCH /v1.0/engagements/referrals/{id} with the JSON Patch document patch[0..len)
 * (spec §1.5), Prefer: return=representation, and If-Match: etag when etag is not NULL
 * (sent verbatim, quotes included, spec §1.1). *out is the updated referral; a service that
 * ignores the Prefer header answers a bare 204, and the referral is then read with a GET. */
int referrals_update(referrals_client *c, const char *id, size_t id_len, const char *patch,
                     size_t len, const char *etag, size_t etag_len, referrals_arena *a,
                     referrals_referral **out, referrals_error *err);

/* POST form[0..len) (application/x-www-form-urlencoded) to the base URL + path, without the
 * Authorization header: the OAuth token request of spec §4. Any HTTP answer is REFERRALS_OK;
 * read it with referrals_client_response. Retried like a POST (referrals_retry_allowed). */
int referrals_client_post_form(referrals_client *c, const char *path, const char *form, size_t len,
                               referrals_error *err);

/* method on the base URL + path (an absolute path, as for referrals_client_post_form), with
 * json[0..len) as the body (NULL: none): another JSON API of Partner Center on the client's
 * base URL, such as the webhook registration API (issue 14). Token, retries, deadline and log
 * as for every operation; a POST is retried only where nothing can have been processed, GET
 * and PUT (a whole replacement) like any idempotent request. A 2xx answer is REFERRALS_OK,
 * its body (JSON, or empty) read with referrals_client_response; any other status is the
 * error record, as for the operations. */
int referrals_client_send(referrals_client *c, referrals_method method, const char *path,
                          const char *json, size_t len, referrals_error *err);

/* ---- building blocks ------------------------------------------------------------------ */

/* Appends one OData equality condition to the $filter text in b, joined to what b holds by
 * " and ": name eq 'value', with the single quotes of value doubled (OData string literal).
 * name must be a property path ([A-Za-z0-9_/], e.g. customerProfile/address/country);
 * otherwise a validation error (code "filter", field name). */
int referrals_filter_eq(referrals_buffer *b, const char *name, size_t name_len, const char *value,
                        size_t value_len, referrals_error *err);

/* Where a JSON Patch path (spec §1.5) lands in the schema. */
typedef struct referrals_patch_target {
  const referrals_field *field; /* the field the path ends at */
  int item;                     /* the path ends at one item of field (an index or "-") */
  int append;                   /* the path ends in "-": only "add" may use it (RFC 6902) */
} referrals_patch_target;

/* Resolves path[0..len) against the Referral's descriptors and appends its JSON Pointer to
 * pointer. Accepted forms: "/details/dealValue", "details/dealValue", "details.dealValue";
 * array items by index or "-" ("/team/-", "/registrations/0/contract/value"). The path is
 * patchable when the field it ends at has REFERRALS_F_PATCH. Errors (validation, field =
 * path): code "path" (no such member), "not_patchable". */
int referrals_patch_path(const char *path, size_t len, referrals_patch_target *out,
                         referrals_buffer *pointer, referrals_error *err);

/* ---- many requests at once: curl multi (issue 5) ----------------------------------------- */

typedef enum referrals_bulk_op {
  REFERRALS_BULK_CREATE, /* POST each item's data, a Referral's JSON (validated by the caller) */
  REFERRALS_BULK_GET,    /* GET the referral whose id is each item's data */
  REFERRALS_BULK_LIST,   /* GET a page of the collection, each item's data its query as
                            referrals_query_append writes it ("" for none) */
  REFERRALS_BULK_UPDATE  /* PATCH a referral, as referrals_update: each item's data is its id,
                            a NUL, the If-Match value (empty: none), a NUL, the JSON Patch */
} referrals_bulk_op;

/* One request of a run. data NULL: not sent, and no done call for it (the caller already has
 * its result, e.g. a validation error). The data stays the caller's until the run returns. */
typedef struct referrals_bulk_item {
  const char *data;
  size_t len;
} referrals_bulk_item;

/* The result of item index, once it is final (retries done): rc and err as referrals_create,
 * referrals_get, referrals_list and referrals_update give them (err->attempts counts the
 * attempts); result, a referrals_referral (CREATE, GET, UPDATE) or a referrals_page (LIST),
 * NULL on a bare 2xx of a create or an error, is valid only during the call. Called between
 * transfers, never from inside libcurl, in the order the items finish. A nonzero return stops
 * the run (see referrals_bulk_run). */
typedef int (*referrals_bulk_done_fn)(void *ud, size_t index, int rc, const void *result,
                                      const referrals_error *err);

/* A run that pulls its items (referrals_bulk_stream): asked for item index (0, 1, 2, ...)
 * whenever a slot is free, so no more items exist at once than transfers in flight. Returns
 * 0 with *item filled: data NULL skips the item (no done call: the caller has its result),
 * else it is sent, its bytes copied (they need live only during this call); or 0 with
 * *end = 1: there are no more. A nonzero return stops the run, as the done callback's. */
typedef int (*referrals_bulk_next_fn)(void *ud, size_t index, referrals_bulk_item *item, int *end);

typedef struct referrals_bulk_options {
  unsigned concurrency;                /* transfers at once (1..256) */
  referrals_http_version http_version; /* HTTP_2: multiplexed on one TLS connection (plain http
                                          stays HTTP/1.1); HTTP_1_1: one connection each */
  const referrals_retry_policy *retry; /* NULL: the client's (its options' retry) */
  double deadline; /* seconds for each item from its first attempt; 0: the client's
                      (referrals_client_set_deadline), else none */
  referrals_bulk_done_fn done;
  referrals_bulk_next_fn next; /* referrals_bulk_stream's source of items */
  void *ud;                    /* of done and next */
} referrals_bulk_options;

/* concurrency 8, HTTP/1.1, the client's retry policy, no callback. */
void referrals_bulk_options_init(referrals_bulk_options *o);

/* Runs op for every item of items[0..n) concurrently, on easy handles and connections the
 * client keeps for the next run. Each transfer has its own headers (client-request-id) and
 * retries on its own schedule (referrals_retry_decide, Retry-After): a transfer that waits
 * holds its place, the others go on. One failure never stops the rest. Returns REFERRALS_OK
 * once every item had its done call; the done callback's nonzero value when it stopped the
 * run (nothing more is started, the transfers in flight are abandoned); or an error category
 * with err filled when the run cannot go on (memory, bad options). */
int referrals_bulk_run(referrals_client *c, referrals_bulk_op op, const referrals_bulk_item *items,
                       size_t n, const referrals_bulk_options *o, referrals_error *err);

/* referrals_bulk_run over the items o->next gives (required), pulled one at a time as slots
 * free up: the memory of a run does not grow with its length. Each slot keeps its item's
 * bytes until the item's done call (a create in doubt is looked up with them). Always
 * o->concurrency slots. Returns as referrals_bulk_run; next's nonzero stops it as done's. */
int referrals_bulk_stream(referrals_client *c, referrals_bulk_op op,
                          const referrals_bulk_options *o, referrals_error *err);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
}
#endif
#endif
