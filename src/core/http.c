/*
 * http.c: the libcurl transport of a client. One easy handle per client, so the connection
 * is kept alive from call to call (DESIGN.md: "one easy handle per client"), and everything
 * a request needs is built once and reused:
 *
 * - The request headers are nodes of a curl_slist that the client owns (an array of the
 *   public struct curl_slist of curl.h), linked anew for each request; libcurl only reads
 *   them during curl_easy_perform. So a request allocates no header list: the GUID of
 *   client-request-id is written into its node's fixed-size text, and the optional headers
 *   (Prefer, If-Match) are linked in or left out. User-Agent is one of these nodes too, not
 *   CURLOPT_USERAGENT, which libcurl formats anew into a fresh allocation for every request.
 * - The URL is handed over parsed (CURLOPT_CURLU), and parsed again only when it changes:
 *   libcurl parses a CURLOPT_URL string on every transfer.
 * Together these took about 20k instructions off every request (issue 5, measured against
 * raw libcurl on the bench's loopback server).
 * - The response body goes to a referrals_buffer that keeps its memory between calls.
 *
 * The callbacks libcurl calls (body, headers) are plain C: no Lua, nothing that can longjmp
 * across libcurl's frames.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "bytes_equal.h"
#include "internal.h"

enum {
  H_CONTENT_TYPE, /* on every request, GET too (contract README) */
  H_USER_AGENT,
  H_ACCEPT,
  H_EXPECT, /* "Expect:" switches off 100-continue, which costs a round trip */
  H_REQUEST_ID,
  H_AUTHORIZATION,
  H_CORRELATION,
  H_PREFER,
  H_IF_MATCH,
  H_COUNT
};

#define REQUEST_ID_NAME "client-request-id: "
#define AUTHORIZATION_NAME "Authorization: Bearer "
#define IF_MATCH_NAME "If-Match: "
#define JSON_TYPE "Content-Type: application/json"
#define FORM_TYPE "Content-Type: application/x-www-form-urlencoded"
#define REDACTED_AUTHORIZATION "Authorization: Bearer [redacted]"
#define CORRELATION_NAME "MS-CorrelationId: "
#define USER_AGENT_NAME "User-Agent: "

struct referrals_http {
  CURL *easy;
  struct curl_slist headers[H_COUNT];
  char request_id[sizeof REQUEST_ID_NAME + REFERRALS_GUID_LEN];
  char *authorization; /* AUTHORIZATION_NAME + token; wiped before it is freed */
  size_t authorization_len;
  char *correlation;         /* "MS-CorrelationId: ...", or NULL */
  char *user_agent;          /* "User-Agent: ..." */
  CURLU *url;                /* the URL of the last request, parsed */
  referrals_buffer url_text; /* ... and as text, to see whether the next one differs */
  referrals_buffer if_match;
  referrals_buffer body;
  const char *upload; /* the request body, handed to libcurl by on_read */
  size_t upload_len, upload_pos;
  int upload_rewindable; /* a replay cannot apply twice: GET, PUT, PATCH with If-Match */
  int rewind_refused;    /* libcurl wanted to send a write again: on_seek said no */
  size_t max_body;       /* the max_response option */
  int body_too_large;
  int in_headers;  /* between a status line and the blank line that ends its headers */
  long timeout_ms; /* the timeout option */
  referrals_retry_after retry_after;
  referrals_failure failure;
  referrals_response response;
  char errbuf[CURL_ERROR_SIZE];
};

static int bad_header_value(referrals_error *err, const char *field) {
  return referrals_error_set(err, REFERRALS_E_VALIDATION, "header_value", field,
                             "%s: contains a control byte (CR, LF, NUL, tab, DEL ...), which "
                             "cannot be sent in an HTTP header",
                             field);
}

/* A secret is overwritten before its memory goes back to the allocator. */
static void wipe_free(char *p, size_t n) {
  if (!p) return;
  volatile char *v = p;
  while (n--) *v++ = 0;
  free(p);
}

/* ---- libcurl callbacks ----------------------------------------------------------------- */

static size_t on_body(char *data, size_t size, size_t n, void *ud) {
  referrals_http *h = ud;
  size_t len = size * n;
  if (len > h->max_body - h->body.len) {
    h->body_too_large = 1;
    return 0; /* libcurl stops with CURLE_WRITE_ERROR */
  }
  referrals_buffer_append(&h->body, data, len);
  return h->body.failed ? 0 : len;
}

/* The request body goes out through on_read, not CURLOPT_POSTFIELDS, so that libcurl has
 * to ask on_seek before it sends it a second time: it does so when a reused connection died
 * before a byte of the answer came ("Connection died, retrying a fresh connect"). The
 * service may have applied that request (issue 12), and a POST or a PATCH without If-Match
 * must never be applied twice: on_seek refuses, libcurl stops with
 * CURLE_SEND_FAIL_REWIND, and the outcome is in doubt. A rewind before anything went out
 * changes nothing and is allowed. */
static size_t on_read(char *out, size_t size, size_t n, void *ud) {
  referrals_http *h = ud;
  size_t len = h->upload_len - h->upload_pos;
  if (len > size * n) len = size * n;
  memcpy(out, h->upload + h->upload_pos, len);
  h->upload_pos += len;
  return len;
}

static int on_seek(void *ud, curl_off_t offset, int origin) {
  referrals_http *h = ud;
  if (origin != SEEK_SET || offset < 0 || (curl_off_t)h->upload_len < offset)
    return CURL_SEEKFUNC_CANTSEEK;
  if (h->upload_pos > 0 && !h->upload_rewindable) {
    h->rewind_refused = 1;
    return CURL_SEEKFUNC_FAIL;
  }
  h->upload_pos = (size_t)offset;
  return CURL_SEEKFUNC_OK;
}

static void copy_header(char *dst, size_t size, const char *value, size_t len) {
  if (len >= size) len = size - 1;
  memcpy(dst, value, len);
  dst[len] = '\0';
}

static void clear_response_headers(referrals_http *h) {
  referrals_response *r = &h->response;
  r->request_id[0] = r->etag[0] = r->content_type[0] = '\0';
  r->retry_after = -1;
  referrals_retry_after_init(&h->retry_after);
}

static size_t on_header(char *line, size_t size, size_t n, void *ud) {
  referrals_http *h = ud;
  size_t len = size * n;
  /* Only the status line and request-id, etag, content-type, retry-after(-ms) and
   * x-ms-retry-after-ms matter: the other lines go on their first letter. */
  if (len && (line[0] == '\r' || line[0] == '\n')) h->in_headers = 0; /* the headers' end */
  switch (len ? line[0] | 0x20 : 0) {
    case 'h':
    case 'r':
    case 'e':
    case 'c':
    case 'x': break;
    default: return len;
  }
  /* A status line starts a new answer (after a 100 Continue or a proxy's CONNECT). */
  if (len >= 5 && memcmp(line, "HTTP/", 5) == 0) {
    clear_response_headers(h);
    h->in_headers = 1;
    return len;
  }
  const char *colon = memchr(line, ':', len);
  if (!colon) return len;
  size_t name_len = (size_t)(colon - line);
  const char *value = colon + 1, *end = line + len;
  while (value < end && (*value == ' ' || *value == '\t')) value++;
  while (end > value && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ')) end--;
  size_t value_len = (size_t)(end - value);
  referrals_response *r = &h->response;
  /* request-id and content-type end up in error texts: kept terminal-safe (issue 13) */
  if (referrals_name_is(line, name_len, "request-id"))
    referrals_text_safe(r->request_id, sizeof r->request_id, value, value_len);
  else if (referrals_name_is(line, name_len, "etag"))
    copy_header(r->etag, sizeof r->etag, value, value_len);
  else if (referrals_name_is(line, name_len, "content-type"))
    referrals_text_safe(r->content_type, sizeof r->content_type, value, value_len);
  else if (referrals_retry_after_header(&h->retry_after, line, name_len, value, value_len,
                                        time(NULL)))
    r->retry_after = h->retry_after.seconds;
  return len;
}

/* ---- the handle ------------------------------------------------------------------------ */

static void set_header(referrals_http *h, int which, const char *text) {
  h->headers[which].data = (char *)text; /* libcurl reads header text, never writes it */
  h->headers[which].next = NULL;
}

static long milliseconds(double seconds) { return (long)(seconds * 1000.0 + 0.5); }

#define SETOPT(opt, value) \
  if (rc == CURLE_OK) rc = curl_easy_setopt(h->easy, opt, value)

/* The options that point into h itself. */
static CURLcode bind_self(referrals_http *h) {
  CURLcode rc = CURLE_OK;
  SETOPT(CURLOPT_ERRORBUFFER, h->errbuf);
  SETOPT(CURLOPT_WRITEDATA, h);
  SETOPT(CURLOPT_HEADERDATA, h);
  SETOPT(CURLOPT_READDATA, h);
  SETOPT(CURLOPT_SEEKDATA, h);
  SETOPT(CURLOPT_HTTPHEADER, &h->headers[H_CONTENT_TYPE]); /* the first node, always */
  SETOPT(CURLOPT_CURLU, h->url);
  return rc;
}

static CURLcode configure(referrals_http *h, const referrals_client_options *o) {
  CURLcode rc = bind_self(h);
  /* Signals would interrupt the host program (and are not thread-safe): no SIGALRM timer.
   * Redirects are not followed (libcurl's default, kept): the token goes to the base URL's
   * host only. */
  SETOPT(CURLOPT_NOSIGNAL, 1L);
  SETOPT(CURLOPT_WRITEFUNCTION, on_body);
  SETOPT(CURLOPT_HEADERFUNCTION, on_header);
  SETOPT(CURLOPT_READFUNCTION, on_read);
  SETOPT(CURLOPT_SEEKFUNCTION, on_seek);
  SETOPT(CURLOPT_CONNECTTIMEOUT_MS, milliseconds(o->connect_timeout));
  SETOPT(CURLOPT_SSL_VERIFYPEER, o->verify ? 1L : 0L);
  SETOPT(CURLOPT_SSL_VERIFYHOST, o->verify ? 2L : 0L);
  if (o->ca_file) SETOPT(CURLOPT_CAINFO, o->ca_file);
  if (o->ca_path) SETOPT(CURLOPT_CAPATH, o->ca_path);
  if (o->proxy) SETOPT(CURLOPT_PROXY, o->proxy);
  /* libcurl counts whole seconds; a fraction rounds up so that 0.5 still sets a limit */
  if (o->low_speed_limit > 0 && o->low_speed_time > 0) {
    SETOPT(CURLOPT_LOW_SPEED_LIMIT, o->low_speed_limit);
    SETOPT(CURLOPT_LOW_SPEED_TIME, (long)(o->low_speed_time + 0.999));
  }
  return rc;
}

/* CURLINFO_REQUEST_SIZE counts the request bytes sent: 0 means the service cannot have seen
 * the request (issue 4: a POST is retried only then). */
static int request_sent(referrals_http *h) {
  long sent = 0;
  return curl_easy_getinfo(h->easy, CURLINFO_REQUEST_SIZE, &sent) != CURLE_OK || sent > 0;
}

static int seconds_ok(double s) { return s >= 0 && s <= 1e9; } /* NaN fails */

static int check_options(const referrals_client_options *o, referrals_error *err) {
  if (referrals_option_texts_check(o, err)) return (int)err->category;
  const char *bad = !seconds_ok(o->timeout)           ? "timeout"
                    : !seconds_ok(o->connect_timeout) ? "connect_timeout"
                                                      : NULL;
  if (bad)
    return referrals_error_set(err, REFERRALS_E_VALIDATION, "timeout", bad,
                               "%s: seconds from 0 (no limit) to 1e9 expected", bad);
  return REFERRALS_OK;
}

/* "NAME" + value, NUL-terminated, in a new allocation (NULL when out of memory). */
static char *header_text(const char *name, size_t name_len, const char *value) {
  size_t n = strlen(value);
  char *text = malloc(name_len + n + 1);
  if (!text) return NULL;
  memcpy(text, name, name_len);
  memcpy(text + name_len, value, n + 1);
  return text;
}

/* A handle without its easy handle: the fixed header texts, the buffers, the URL handle.
 * user_agent: the whole value; correlation_id may be NULL. */
static referrals_http *handle_alloc(const char *user_agent, const char *correlation_id) {
  referrals_http *h = calloc(1, sizeof *h);
  if (!h) return NULL;
  referrals_buffer_init(&h->if_match);
  referrals_buffer_init(&h->body);
  referrals_buffer_init(&h->url_text);
  clear_response_headers(h);
  set_header(h, H_ACCEPT, "Accept: application/json");
  set_header(h, H_EXPECT, "Expect:");
  memcpy(h->request_id, REQUEST_ID_NAME, sizeof REQUEST_ID_NAME - 1);
  h->request_id[sizeof h->request_id - 1] = '\0';
  set_header(h, H_REQUEST_ID, h->request_id);
  set_header(h, H_PREFER, "Prefer: return=representation");
  h->user_agent = header_text(USER_AGENT_NAME, sizeof USER_AGENT_NAME - 1, user_agent);
  if (correlation_id)
    h->correlation = header_text(CORRELATION_NAME, sizeof CORRELATION_NAME - 1, correlation_id);
  if (!h->user_agent || (correlation_id && !h->correlation) || !(h->url = curl_url())) {
    referrals_http_free(h);
    return NULL;
  }
  set_header(h, H_USER_AGENT, h->user_agent);
  if (h->correlation) set_header(h, H_CORRELATION, h->correlation);
  return h;
}

referrals_http *referrals_http_new(const referrals_client_options *o, referrals_error *err) {
  if (check_options(o, err)) return NULL;
  char agent[128];
  if (!o->user_agent)
    snprintf(agent, sizeof agent, "referrals-lua/%s libcurl/%s", REFERRALS_VERSION,
             curl_version_info(CURLVERSION_NOW)->version);
  referrals_http *h = handle_alloc(o->user_agent ? o->user_agent : agent, o->correlation_id);
  if (!h || !(h->easy = curl_easy_init())) goto out_of_memory;
  h->max_body = o->max_response;
  h->timeout_ms = milliseconds(o->timeout);
  CURLcode rc = configure(h, o);
  if (rc == CURLE_OUT_OF_MEMORY) goto out_of_memory;
  if (rc != CURLE_OK) {
    referrals_error_set(err, REFERRALS_E_VALIDATION, "option", NULL,
                        "libcurl refused an option: %s", curl_easy_strerror(rc));
  } else if (curl_easy_setopt(h->easy, CURLOPT_HTTP_VERSION,
                              o->http_version == REFERRALS_HTTP_2
                                  ? (long)CURL_HTTP_VERSION_2TLS
                                  : (long)CURL_HTTP_VERSION_1_1) != CURLE_OK) {
    referrals_error_set(err, REFERRALS_E_VALIDATION, "http_version", "http_version",
                        "http_version: this libcurl has no HTTP/2");
  } else {
    return h;
  }
  referrals_http_free(h);
  return NULL;
out_of_memory:
  referrals_error_out_of_memory(err);
  referrals_http_free(h);
  return NULL;
}

referrals_http *referrals_http_dup(const referrals_http *src, referrals_error *err) {
  referrals_http *h =
      handle_alloc(src->user_agent + sizeof USER_AGENT_NAME - 1,
                   src->correlation ? src->correlation + sizeof CORRELATION_NAME - 1 : NULL);
  /* duphandle copies every option, the pointers to src's buffers too: bind_self points
   * them at the copy. */
  if (h) {
    h->max_body = src->max_body;
    h->timeout_ms = src->timeout_ms;
  }
  if (!h || !(h->easy = curl_easy_duphandle(src->easy)) || bind_self(h) != CURLE_OK ||
      referrals_http_share_token(h, src, err) != REFERRALS_OK) {
    referrals_http_free(h);
    referrals_error_out_of_memory(err);
    return NULL;
  }
  return h;
}

void referrals_http_free(referrals_http *h) {
  if (!h) return;
  if (h->easy) curl_easy_cleanup(h->easy);
  wipe_free(h->authorization, h->authorization_len);
  free(h->correlation);
  free(h->user_agent);
  if (h->url) curl_url_cleanup(h->url);
  referrals_buffer_free(&h->url_text);
  referrals_buffer_free(&h->if_match);
  referrals_buffer_free(&h->body);
  free(h);
}

int referrals_http_set_token(referrals_http *h, const char *token, size_t len,
                             referrals_error *err) {
  if (len == 0)
    return referrals_error_set(err, REFERRALS_E_VALIDATION, "header_value", "token",
                               "token: empty");
  if (!referrals_token_ok(token, len))
    return referrals_error_set(err, REFERRALS_E_VALIDATION, "header_value", "token",
                               "token: not a bearer token (letters, digits and -._~+/ then "
                               "= padding; no space or control byte)");
  size_t n = sizeof AUTHORIZATION_NAME - 1 + len;
  if (h->authorization && h->authorization_len == n + 1 &&
      memcmp(h->authorization + sizeof AUTHORIZATION_NAME - 1, token, len) == 0)
    return REFERRALS_OK; /* the same token: keep the header as it is */
  char *header = malloc(n + 1);
  if (!header) return referrals_error_out_of_memory(err);
  memcpy(header, AUTHORIZATION_NAME, sizeof AUTHORIZATION_NAME - 1);
  memcpy(header + sizeof AUTHORIZATION_NAME - 1, token, len);
  header[n] = '\0';
  wipe_free(h->authorization, h->authorization_len);
  h->authorization = header;
  h->authorization_len = n + 1;
  set_header(h, H_AUTHORIZATION, header);
  return REFERRALS_OK;
}

const char *referrals_http_token(const referrals_http *h, size_t *len) {
  if (!h->authorization) return NULL;
  *len = h->authorization_len - 1 - (sizeof AUTHORIZATION_NAME - 1);
  return h->authorization + sizeof AUTHORIZATION_NAME - 1;
}

int referrals_http_share_token(referrals_http *dst, const referrals_http *src,
                               referrals_error *err) {
  if (!src->authorization) return REFERRALS_OK;
  size_t skip = sizeof AUTHORIZATION_NAME - 1;
  return referrals_http_set_token(dst, src->authorization + skip, src->authorization_len - 1 - skip,
                                  err);
}

/* ---- a request ------------------------------------------------------------------------- */

/* Links the headers of this request, in a fixed order. */
static void link_headers(referrals_http *h, const referrals_request *rq) {
  int order[H_COUNT], n = 0;
  set_header(h, H_CONTENT_TYPE, rq->form ? FORM_TYPE : JSON_TYPE);
  order[n++] = H_CONTENT_TYPE;
  order[n++] = H_USER_AGENT;
  order[n++] = H_ACCEPT;
  order[n++] = H_EXPECT;
  order[n++] = H_REQUEST_ID;
  if (h->authorization && !rq->form) order[n++] = H_AUTHORIZATION;
  if (h->correlation) order[n++] = H_CORRELATION;
  if (rq->prefer_representation) order[n++] = H_PREFER;
  if (rq->if_match) order[n++] = H_IF_MATCH;
  for (int i = 0; i < n; i++)
    h->headers[order[i]].next = i + 1 < n ? &h->headers[order[i + 1]] : NULL;
}

/* Points the handle's URL at url, parsing it only when it differs from the last one: a run
 * of creates (or of pages of one list) reuses one parse. */
static CURLcode set_url(referrals_http *h, const char *url) {
  size_t n = strlen(url);
  if (h->url_text.len == n && n > 0 && memcmp(h->url_text.data, url, n) == 0) return CURLE_OK;
  h->url_text.len = 0;
  CURLUcode uc = curl_url_set(h->url, CURLUPART_URL, url, 0);
  if (uc != CURLUE_OK)
    return uc == CURLUE_OUT_OF_MEMORY ? CURLE_OUT_OF_MEMORY : CURLE_URL_MALFORMAT;
  referrals_buffer_append(&h->url_text, url, n);
  if (h->url_text.failed) referrals_buffer_free(&h->url_text); /* the next one parses again */
  return CURLE_OK;
}

static CURLcode set_method(referrals_http *h, const referrals_request *rq) {
  CURLcode rc = CURLE_OK;
  h->upload = rq->body ? rq->body : "";
  h->upload_len = rq->body ? rq->body_len : 0;
  h->upload_pos = 0;
  h->upload_rewindable =
      rq->method == REFERRALS_GET || rq->method == REFERRALS_PUT || rq->if_match != NULL;
  h->rewind_refused = 0;
  if (rq->method == REFERRALS_GET) {
    SETOPT(CURLOPT_HTTPGET, 1L);
  } else {
    /* The body stays the caller's until the transfer ends; on_read hands it over. */
    SETOPT(CURLOPT_POST, 1L);
    SETOPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)h->upload_len);
  }
  SETOPT(CURLOPT_CUSTOMREQUEST, rq->method == REFERRALS_PATCH ? "PATCH"
                                : rq->method == REFERRALS_PUT ? "PUT"
                                                              : NULL);
  if (rc == CURLE_OK) rc = set_url(h, rq->url);
  /* The deadline's rest shortens the client's timeout, never lengthens it (0: no limit). */
  long ms = h->timeout_ms;
  if (rq->timeout > 0 && (ms == 0 || milliseconds(rq->timeout) < ms))
    ms = milliseconds(rq->timeout) > 0 ? milliseconds(rq->timeout) : 1;
  SETOPT(CURLOPT_TIMEOUT_MS, ms);
  return rc;
}

static int transport_error(referrals_http *h, CURLcode rc, referrals_error *err) {
  const referrals_transfer_outcome seen = {.rc = rc,
                                           .errbuf = h->errbuf,
                                           .in_headers = h->in_headers,
                                           .out_of_memory = h->body.failed,
                                           .too_large = h->body_too_large,
                                           .max_body = h->max_body,
                                           .rewind_refused = h->rewind_refused,
                                           .sent = request_sent(h),
                                           .status = h->response.status,
                                           .request_id = h->response.request_id};
  h->failure = referrals_transport_error(&seen, err);
  return REFERRALS_E_TRANSPORT;
}

int referrals_http_start(referrals_http *h, const referrals_request *rq, referrals_error *err) {
  if (rq->if_match) {
    if (!referrals_header_value_ok(rq->if_match, rq->if_match_len))
      return bad_header_value(err, "etag");
    h->if_match.len = 0;
    referrals_buffer_append(&h->if_match, IF_MATCH_NAME, sizeof IF_MATCH_NAME - 1);
    referrals_buffer_append(&h->if_match, rq->if_match, rq->if_match_len);
    if (h->if_match.failed) return referrals_error_out_of_memory(err);
    set_header(h, H_IF_MATCH, h->if_match.data);
  }
  if (referrals_guid(h->request_id + sizeof REQUEST_ID_NAME - 1) != 0)
    return referrals_error_set(err, REFERRALS_E_TRANSPORT, "RANDOM", NULL,
                               "no random bytes for client-request-id");
  link_headers(h, rq);
  CURLcode rc = set_method(h, rq);
  if (rc != CURLE_OK) return transport_error(h, rc, err);
  h->body.len = 0;
  h->body.failed = 0;
  h->body_too_large = 0;
  h->in_headers = 0;
  h->errbuf[0] = '\0';
  h->response.status = 0;
  h->failure = REFERRALS_FAIL_NONE;
  clear_response_headers(h);
  return REFERRALS_OK;
}

int referrals_http_finish(referrals_http *h, CURLcode rc, referrals_error *err) {
  curl_easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, &h->response.status);
  h->response.body = h->body.data ? h->body.data : "";
  h->response.body_len = h->body.len;
  return rc == CURLE_OK ? REFERRALS_OK : transport_error(h, rc, err);
}

int referrals_http_perform(referrals_http *h, const referrals_request *rq, referrals_error *err) {
  int rc = referrals_http_start(h, rq, err);
  return rc != REFERRALS_OK ? rc : referrals_http_finish(h, curl_easy_perform(h->easy), err);
}

CURL *referrals_http_easy(referrals_http *h) { return h->easy; }

const referrals_response *referrals_http_response(const referrals_http *h) { return &h->response; }

referrals_failure referrals_http_failure(const referrals_http *h) { return h->failure; }

size_t referrals_http_headers(const referrals_http *h, const char **out, size_t max) {
  size_t n = 0;
  for (const struct curl_slist *node = &h->headers[H_CONTENT_TYPE]; node; node = node->next, n++)
    if (n < max)
      out[n] = node == &h->headers[H_AUTHORIZATION] ? REDACTED_AUTHORIZATION : node->data;
  return n;
}
