/*
 * api_error.c: reads the API's error body (spec §5)
 *   {"error":{"code":"...","message":"...","target":"...","innerError":{...}}}
 * with yajl's SAX parser into the error record, without building a tree. Only the three
 * strings of the outer error object are kept. Keys are matched case-insensitively: the spec
 * spells innerError both ways, and an error written by another serializer may say "Code".
 * innerError (nested to any depth) is skipped. Anything else -- HTML from a gateway, a bare
 * string, an OAuth error -- is not the API's error JSON and the caller reports HTTP_<status>.
 */
#include <string.h>
#include <strings.h>
#include <yajl/yajl_parse.h>

#include "client_internal.h"

enum slot { OTHER, ERROR_KEY, CODE, MESSAGE, TARGET };

typedef struct parser {
  int depth;     /* containers open */
  int in_error;  /* 1 inside the outer "error" object, -1 once it has closed */
  enum slot key; /* what the last key names */
  int top_is_object;
  char code[sizeof((referrals_error *)0)->code];
  char message[sizeof((referrals_error *)0)->message];
  char target[sizeof((referrals_error *)0)->target];
} parser;

static int is_key(const unsigned char *key, size_t len, const char *want) {
  return strlen(want) == len && strncasecmp((const char *)key, want, len) == 0;
}

static int on_key(void *ctx, const unsigned char *key, size_t len) {
  parser *p = ctx;
  p->key = OTHER;
  if (p->depth == 1 && p->in_error == 0 && is_key(key, len, "error")) p->key = ERROR_KEY;
  if (p->depth == 2 && p->in_error == 1) {
    if (is_key(key, len, "code"))
      p->key = CODE;
    else if (is_key(key, len, "message"))
      p->key = MESSAGE;
    else if (is_key(key, len, "target"))
      p->key = TARGET;
  }
  return 1;
}

static void keep(char *dst, size_t size, const unsigned char *s, size_t len) {
  if (len >= size) len = size - 1;
  memcpy(dst, s, len);
  dst[len] = '\0';
}

static int on_string(void *ctx, const unsigned char *s, size_t len) {
  parser *p = ctx;
  if (p->depth == 2 && p->in_error == 1) {
    if (p->key == CODE)
      keep(p->code, sizeof p->code, s, len);
    else if (p->key == MESSAGE)
      keep(p->message, sizeof p->message, s, len);
    else if (p->key == TARGET)
      keep(p->target, sizeof p->target, s, len);
  }
  p->key = OTHER;
  return 1;
}

static int on_scalar(void *ctx) {
  ((parser *)ctx)->key = OTHER;
  return 1;
}
static int on_bool(void *ctx, int b) {
  (void)b;
  return on_scalar(ctx);
}
static int on_number(void *ctx, const char *s, size_t len) {
  (void)s;
  (void)len;
  return on_scalar(ctx);
}

static int on_start_map(void *ctx) {
  parser *p = ctx;
  if (p->depth == 0) p->top_is_object = 1;
  if (p->depth == 1 && p->key == ERROR_KEY) p->in_error = 1;
  p->depth++;
  p->key = OTHER;
  return 1;
}

static int on_start_array(void *ctx) {
  parser *p = ctx;
  p->depth++;
  p->key = OTHER;
  return 1;
}

static int on_end(void *ctx) {
  parser *p = ctx;
  p->depth--;
  if (p->depth == 1 && p->in_error == 1) p->in_error = -1;
  return 1;
}

static const yajl_callbacks callbacks = {on_scalar, on_bool,        NULL,         NULL,
                                         on_number, on_string,      on_start_map, on_key,
                                         on_end,    on_start_array, on_end};

int referrals_api_error_parse(const char *body, size_t len, referrals_error *err) {
  parser p;
  memset(&p, 0, sizeof p);
  yajl_handle h = yajl_alloc(&callbacks, NULL, &p);
  if (!h) return 0;
  int ok = yajl_parse(h, (const unsigned char *)body, len) == yajl_status_ok &&
           yajl_complete_parse(h) == yajl_status_ok;
  yajl_free(h);
  if (!ok || !p.top_is_object || p.in_error == 0 || !p.code[0]) return 0;
  referrals_error_set(err, REFERRALS_E_API, p.code, NULL, "%s", p.message[0] ? p.message : p.code);
  memcpy(err->target, p.target, sizeof err->target);
  return 1;
}
