/*
 * url.c: every URL the client sends is built here, from the base URL and encoded parts;
 * nothing a caller gives is spliced raw (ids, query values, next links).
 */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

#define COLLECTION_PATH REFERRALS_COLLECTION_PATH
#define LEGACY_PATH "/v1.0/referrals" /* the documented nextLink's path, spec §1.2 */

int referrals_id_valid(const char *id, size_t len) {
  if (len == 0 || len > 128) return 0;
  /* "." is a dot segment: libcurl (RFC 3986 §5.2.4) removes it, so GET .../referrals/.
   * would fetch the collection (issue 13). ".." is refused below. */
  if (len == 1 && id[0] == '.') return 0;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)id[i];
    if (c <= 0x20 || c == 0x7f || c == '/' || c == '?' || c == '#' || c == '%') return 0;
    if (c == '.' && i + 1 < len && id[i + 1] == '.') return 0;
  }
  return 1;
}

static int unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

void referrals_url_encode(referrals_buffer *b, const char *s, size_t len) {
  static const char hex[] = "0123456789ABCDEF";
  if (referrals_buffer_reserve(b, len * 3) != 0) return;
  char *out = b->data + b->len;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (unreserved(c)) {
      *out++ = (char)c;
    } else {
      *out++ = '%';
      *out++ = hex[c >> 4];
      *out++ = hex[c & 15];
    }
  }
  b->len = (size_t)(out - b->data);
  b->data[b->len] = '\0';
}

/* ---- $filter ---------------------------------------------------------------------------- */

static int property_path(const char *s, size_t len) {
  if (len == 0) return 0;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '/'))
      return 0;
  }
  return 1;
}

/* A condition on an enum member (status, substatus, type...; a/b paths walk the schema)
 * compares with one of the enum's values, case-exact as the service does: "active" would
 * match nothing and return an empty page, so it is refused with the value that was meant. */
static int check_enum_condition(const char *name, size_t name_len, const char *value,
                                size_t value_len, referrals_error *err) {
  const referrals_type *t = &referrals_type_referral;
  const referrals_field *f = NULL;
  for (size_t at = 0; at <= name_len;) {
    const char *slash = memchr(name + at, '/', name_len - at);
    size_t seg = slash ? (size_t)(slash - (name + at)) : name_len - at;
    if (!t || !(f = referrals_field_find(t, name + at, seg, NULL))) return REFERRALS_OK;
    t = f->type;
    at += seg + 1;
  }
  if (!f || !f->enumeration || referrals_enum_find(f->enumeration, value, value_len) >= 0)
    return REFERRALS_OK;
  const referrals_enum *e = f->enumeration;
  const char *near = referrals_suggest_value(e, value, value_len);
  char field[128];
  snprintf(field, sizeof field, "filter.%.*s", (int)name_len, name);
  return referrals_error_set(err, REFERRALS_E_VALIDATION, "enum", field,
                             "%s: not a value of %s (case matters)%s%s%s", field, e->lua_name,
                             near ? "; did you mean \"" : "", near ? near : "", near ? "\"?" : "");
}

int referrals_filter_eq(referrals_buffer *b, const char *name, size_t name_len, const char *value,
                        size_t value_len, referrals_error *err) {
  if (!property_path(name, name_len)) {
    char field[128];
    snprintf(field, sizeof field, "%.*s", (int)(name_len < 100 ? name_len : 100), name);
    return referrals_error_set(err, REFERRALS_E_VALIDATION, "filter", field,
                               "%s: not an OData property name (letters, digits, _ and /)", field);
  }
  int rc = check_enum_condition(name, name_len, value, value_len, err);
  if (rc != REFERRALS_OK) return rc;
  if (b->len) referrals_buffer_append(b, " and ", 5);
  referrals_buffer_append(b, name, name_len);
  referrals_buffer_append(b, " eq '", 5);
  /* An OData string literal escapes its quote by doubling it (OData ABNF, SQUOTE-in-string). */
  for (const char *q; (q = memchr(value, '\'', value_len)) != NULL;) {
    size_t n = (size_t)(q - value) + 1;
    referrals_buffer_append(b, value, n);
    referrals_buffer_append(b, "'", 1);
    value += n;
    value_len -= n;
  }
  referrals_buffer_append(b, value, value_len);
  referrals_buffer_append(b, "'", 1);
  return REFERRALS_OK;
}

/* ---- list query ------------------------------------------------------------------------- */

/* sep: '?' before the first parameter, then '&'. */
static void query_param(referrals_buffer *b, char *sep, const char *name, const char *value) {
  referrals_buffer_append(b, sep, 1);
  *sep = '&';
  referrals_buffer_append(b, name, strlen(name));
  referrals_buffer_append(b, "=", 1);
  referrals_url_encode(b, value, strlen(value));
}

static void query_number(referrals_buffer *b, char *sep, const char *name, long value) {
  char text[24];
  snprintf(text, sizeof text, "%ld", value);
  query_param(b, sep, name, text);
}

void referrals_query_append(referrals_buffer *b, const referrals_query *q) {
  char sep = '?';
  if (q->filter) query_param(b, &sep, "$filter", q->filter);
  if (q->orderby) query_param(b, &sep, "$orderby", q->orderby);
  if (q->select) query_param(b, &sep, "$select", q->select);
  if (q->top > 0) query_number(b, &sep, "$top", q->top);
  if (q->skip > 0) query_number(b, &sep, "$skip", q->skip);
  if (q->count) query_param(b, &sep, "$count", "true");
}

/* ---- base URL and next links ------------------------------------------------------------ */

/* Copies part p of u into out; 0, or -1 when u has no such part or it does not fit. */
static int url_part(CURLU *u, CURLUPart p, unsigned flags, char *out, size_t size) {
  char *value = NULL;
  if (curl_url_get(u, p, &value, flags) != CURLUE_OK) return -1;
  size_t n = strlen(value);
  int ok = n < size;
  if (ok) memcpy(out, value, n + 1);
  curl_free(value);
  return ok ? 0 : -1;
}

static int has_part(CURLU *u, CURLUPart p) {
  char *value = NULL;
  if (curl_url_get(u, p, &value, 0) != CURLUE_OK) return 0;
  curl_free(value);
  return 1;
}

int referrals_base_url_parse(const char *url, referrals_base_url *out, referrals_error *err) {
  CURLU *u = curl_url();
  if (!u) return referrals_error_out_of_memory(err);
  char path[8], port[8];
  int ok = curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
           url_part(u, CURLUPART_SCHEME, 0, out->scheme, sizeof out->scheme) == 0 &&
           (strcmp(out->scheme, "http") == 0 || strcmp(out->scheme, "https") == 0) &&
           url_part(u, CURLUPART_HOST, 0, out->host, sizeof out->host) == 0 &&
           url_part(u, CURLUPART_PORT, CURLU_DEFAULT_PORT, out->port, sizeof out->port) == 0 &&
           !has_part(u, CURLUPART_USER) && !has_part(u, CURLUPART_QUERY) &&
           !has_part(u, CURLUPART_FRAGMENT) &&
           url_part(u, CURLUPART_PATH, 0, path, sizeof path) == 0 && strcmp(path, "/") == 0;
  if (ok) {
    int explicit_port = url_part(u, CURLUPART_PORT, 0, port, sizeof port) == 0;
    snprintf(out->url, sizeof out->url, "%s://%s%s%s", out->scheme, out->host,
             explicit_port ? ":" : "", explicit_port ? port : "");
  }
  curl_url_cleanup(u);
  if (ok) return REFERRALS_OK;
  return referrals_error_set(err, REFERRALS_E_VALIDATION, "base_url", "base_url",
                             "base_url: expected http(s)://host[:port] without a path, query, "
                             "fragment or user");
}

static int foreign(referrals_error *err) {
  return referrals_error_set(err, REFERRALS_E_VALIDATION, "foreign_next_link", "next",
                             "the next link does not lead to this client's referrals collection; "
                             "it is not followed, so the token goes nowhere else");
}

/* The path of u, with the /engagements of a documented legacy link put back (spec §1.2). */
static int fix_path(CURLU *u) {
  char path[sizeof COLLECTION_PATH + 8];
  if (url_part(u, CURLUPART_PATH, 0, path, sizeof path) != 0) return -1;
  if (strcmp(path, LEGACY_PATH) == 0 &&
      curl_url_set(u, CURLUPART_PATH, COLLECTION_PATH, 0) != CURLUE_OK)
    return -1;
  return strcmp(path, LEGACY_PATH) == 0 || strcmp(path, COLLECTION_PATH) == 0 ? 0 : -1;
}

/* https base, http link on the default port: upgraded, so the bearer token is never sent
 * in clear text to a host that only the documentation's examples put on http. */
static int fix_scheme(CURLU *u, const referrals_base_url *base) {
  char scheme[8], port[8];
  if (url_part(u, CURLUPART_SCHEME, 0, scheme, sizeof scheme) != 0) return -1;
  if (strcmp(scheme, base->scheme) == 0) return 0;
  if (strcmp(scheme, "http") != 0 || strcmp(base->scheme, "https") != 0) return -1;
  if (url_part(u, CURLUPART_PORT, CURLU_DEFAULT_PORT, port, sizeof port) != 0 ||
      strcmp(port, "80") != 0)
    return -1;
  return curl_url_set(u, CURLUPART_PORT, NULL, 0) == CURLUE_OK &&
                 curl_url_set(u, CURLUPART_SCHEME, "https", 0) == CURLUE_OK
             ? 0
             : -1;
}

int referrals_next_link_fix(const referrals_base_url *base, const char *link, size_t len,
                            referrals_buffer *out, referrals_error *err) {
  if (memchr(link, '\0', len) || len > 8192) return foreign(err);
  char text[8193], host[256], port[8];
  memcpy(text, link, len);
  text[len] = '\0';
  CURLU *u = curl_url();
  if (!u) return referrals_error_out_of_memory(err);
  char *url = NULL;
  int ok = curl_url_set(u, CURLUPART_URL, text, 0) == CURLUE_OK && !has_part(u, CURLUPART_USER) &&
           url_part(u, CURLUPART_HOST, 0, host, sizeof host) == 0 &&
           strcasecmp(host, base->host) == 0 && fix_scheme(u, base) == 0 &&
           url_part(u, CURLUPART_PORT, CURLU_DEFAULT_PORT, port, sizeof port) == 0 &&
           strcmp(port, base->port) == 0 && fix_path(u) == 0 &&
           curl_url_get(u, CURLUPART_URL, &url, 0) == CURLUE_OK;
  if (ok) {
    out->len = 0;
    referrals_buffer_append(out, url, strlen(url));
  }
  curl_free(url);
  curl_url_cleanup(u);
  if (!ok) return foreign(err);
  if (out->failed) return referrals_error_out_of_memory(err);
  return REFERRALS_OK;
}
