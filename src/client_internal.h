/*
 * client_internal.h: what the files behind referrals_client.h share (client.c, http.c,
 * url.c, api_error.c, guid.c). Not installed: C hosts see referrals_client.h only.
 */
#ifndef REFERRALS_CLIENT_INTERNAL_H
#define REFERRALS_CLIENT_INTERNAL_H

#include "referrals.h"

/* ---- http.c: the libcurl transport ---------------------------------------------------- */

typedef enum referrals_method { REFERRALS_GET, REFERRALS_POST, REFERRALS_PATCH } referrals_method;

typedef struct referrals_request {
  referrals_method method;
  const char *url; /* NUL-terminated */
  const char *body;
  size_t body_len;
  const char *if_match; /* NULL: no If-Match header */
  size_t if_match_len;
  int prefer_representation; /* Prefer: return=representation (spec §1.1, PATCH) */
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

/* Whether s[0..len) may be sent as a header value: no CR, LF or NUL (header injection). */
int referrals_header_value_ok(const char *s, size_t len);

/* ---- url.c ----------------------------------------------------------------------------- */

#define REFERRALS_COLLECTION_PATH "/v1.0/engagements/referrals" /* spec §1 */

typedef struct referrals_base_url {
  char url[320];   /* scheme://host[:port], as the requests use it */
  char scheme[8];  /* "http" or "https" */
  char host[256];
  char port[8];    /* explicit or the scheme's default */
} referrals_base_url;

/* Checks and splits a base URL: http or https, a host, an optional port, no user, path,
 * query or fragment (a lone "/" is fine). Validation error code "base_url" otherwise. */
int referrals_base_url_parse(const char *url, referrals_base_url *out, referrals_error *err);

/* Appends "?$filter=...&$orderby=...&$select=...&$top=N&$skip=N&$count=true", the options
 * present, URL-encoded (spec §1.2); nothing for an empty query. */
void referrals_query_append(referrals_buffer *b, const referrals_query *q);

/* The URL to GET for a next link, into out (see referrals_list_next, spec §1.2). */
int referrals_next_link_fix(const referrals_base_url *base, const char *link, size_t len,
                            referrals_buffer *out, referrals_error *err);

/* ---- api_error.c ----------------------------------------------------------------------- */

/* If body is the API's error JSON (spec §5), fills err (category REFERRALS_E_API, code,
 * message, target) and returns 1; else returns 0 and leaves err alone. */
int referrals_api_error_parse(const char *body, size_t len, referrals_error *err);

/* ---- guid.c ---------------------------------------------------------------------------- */

#define REFERRALS_GUID_LEN 36
/* Writes a random version-4 GUID, lower case 8-4-4-4-12, to out[0..36) (no NUL).
 * Returns 0, or -1 when the system has no randomness to give. */
int referrals_guid(char *out);

#endif
