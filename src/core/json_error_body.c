/*
 * json_error_body.c: reads the API's error body (spec §5)
 *   {"error":{"code":"...","message":"...","target":"...","innerError":{...}}}
 * with the scanner (json_scan.h) into the error record, without building a tree. Only the
 * three strings of the outer error object are kept. Keys are matched case-insensitively: the spec
 * spells innerError both ways, and an error written by another serializer may say "Code".
 * innerError (nested to any depth) is skipped. The other Partner Center APIs (the webhook
 * registration API, issue 14) answer with their REST error format
 *   {"code":"...","description":"...","data":[...],"source":"..."}
 * or, throttled, {"statusCode":429,"message":"..."}: read as code and message too (no code:
 * the caller says HTTP_<status>). Anything else -- HTML from a gateway, a bare string, an
 * OAuth error -- is not an API's error JSON and the caller reports HTTP_<status>.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bytes_equal.h"
#include "internal.h"
#include "json_scan.h"

typedef struct api_error {
  char code[sizeof((referrals_error *)0)->code];
  char message[sizeof((referrals_error *)0)->message];
  char target[sizeof((referrals_error *)0)->target];
} api_error;

static int is_key(const referrals_json_string *key, const char *want) {
  return referrals_name_is(key->raw, key->len, want);
}

/* Keeps the value of the string at the scanner in dst, cut to its size. */
static int keep(referrals_scanner *s, char *dst, size_t size) {
  referrals_json_string str;
  if (referrals_scan_string(s, &str)) return -1;
  const char *text = str.raw;
  size_t len = str.len;
  char *decoded = NULL;
  if (str.escaped) {
    if (!(decoded = malloc(str.len ? str.len : 1))) return -1;
    len = referrals_json_unescape(&str, decoded);
    text = decoded;
  }
  if (len >= size) len = size - 1;
  memcpy(dst, text, len);
  dst[len] = '\0';
  free(decoded);
  return 0;
}

/* The members of the outer error object (opened at depth 2): code, message, target. */
static int read_error(referrals_scanner *s, api_error *e) {
  const struct {
    const char *key;
    char *dst;
    size_t size;
  } slots[] = {{"code", e->code, sizeof e->code},
               {"message", e->message, sizeof e->message},
               {"target", e->target, sizeof e->target}};
  for (size_t i = 0;; i++) {
    referrals_json_string key;
    int r = referrals_scan_member(s, i, NULL, 0, &key);
    if (r <= 0) return r;
    size_t k = 0;
    while (k < 3 && !is_key(&key, slots[k].key)) k++;
    if (k < 3 && referrals_scan_peek(s) == '"') {
      if (keep(s, slots[k].dst, slots[k].size)) return -1;
    } else if (referrals_scan_skip(s, 2)) {
      return -1;
    }
  }
}

int referrals_api_error_parse(const char *body, size_t len, referrals_error *err) {
  api_error e;
  memset(&e, 0, sizeof e);
  referrals_error ignored; /* not the API's error JSON: the caller reports HTTP_<status> */
  referrals_scanner s;
  if (referrals_scan_init(&s, body, len, &ignored) != '{' || referrals_scan_open(&s, 1)) return 0;
  api_error top; /* the Partner Center REST format's members */
  memset(&top, 0, sizeof top);
  int seen = 0;
  for (size_t i = 0;; i++) {
    referrals_json_string key;
    int r = referrals_scan_member(&s, i, NULL, 0, &key);
    if (r < 0) return 0;
    if (r == 0) break;
    char *slot = is_key(&key, "code")                                     ? top.code
                 : is_key(&key, "description") || is_key(&key, "message") ? top.message
                                                                          : NULL;
    if (!seen && is_key(&key, "error") && referrals_scan_peek(&s) == '{') {
      seen = 1;
      if (referrals_scan_open(&s, 2) || read_error(&s, &e)) return 0;
    } else if (slot && !slot[0] && referrals_scan_peek(&s) == '"') {
      if (keep(&s, slot, slot == top.code ? sizeof top.code : sizeof top.message)) return 0;
    } else if (referrals_scan_skip(&s, 1)) {
      return 0;
    }
  }
  if (referrals_scan_finish(&s)) return 0;
  if (!seen && top.message[0])
    e = top;
  else if (!seen || !e.code[0])
    return 0;
  /* The three are the server's text, shown in terminals and logs: control bytes escaped
   * (issue 13); the message as sent stays in raw_message for a script that needs it. */
  const char *message = e.message[0] ? e.message : e.code;
  referrals_error_set(err, REFERRALS_E_API, "", NULL, "%s", "");
  referrals_text_safe(err->code, sizeof err->code, e.code, strlen(e.code));
  referrals_text_safe(err->message, sizeof err->message, message, strlen(message));
  referrals_text_safe(err->target, sizeof err->target, e.target, strlen(e.target));
  if (!referrals_text_is_safe(message, strlen(message)))
    memcpy(err->raw_message, message, strlen(message) + 1);
  return 1;
}
