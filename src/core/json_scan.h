/*
 * json_scan.h: the JSON scanner under the decoders (json_decode.c into structs, json_value.c into
 * Lua values, json_error_body.c for error bodies). Strict RFC 8259 over a text in memory: no
 * allocation, no callbacks, nothing to free, so a reader built on it is plain recursive
 * descent and a Lua error raised in the middle of one leaks nothing.
 *
 * Why not yajl's SAX parser any more (issue 5): on the documented create response (2.4 KB)
 * yajl spent 52k instructions, 16% of a whole client:create, in its lexer and state
 * machine, plus the callbacks routing every event back to where it belonged. A reader
 * that knows what it expects next, over strings scanned 16 or 8 bytes per step, does the
 * same checks in a fraction of that.
 *
 * Errors are REFERRALS_E_JSON, code "syntax" (or "truncated" when the text stops early,
 * "too_deep", "number_range"), with err->position the byte offset of the offending byte;
 * the message says where and why, never quoting the text (it may hold customer data).
 * Not installed: internal to the library.
 */
#ifndef REFERRALS_JSON_SCAN_H
#define REFERRALS_JSON_SCAN_H

#include "referrals.h"

typedef struct referrals_scanner {
  const char *text; /* the whole input, for positions */
  const char *p;    /* the next byte to read */
  const char *end;
  referrals_error *err;
} referrals_scanner;

/* A string as it stands in the text, between its quotes: already checked (UTF-8, escapes,
 * no control bytes). When escaped is 0, raw is the string's value as it is. */
typedef struct referrals_json_string {
  const char *raw;
  size_t len;
  int escaped;
} referrals_json_string;

/* Starts on text[0..len) and returns the byte that starts its value, or -1 after failing
 * "empty" when the text is only whitespace. */
int referrals_scan_init(referrals_scanner *s, const char *text, size_t len, referrals_error *err);

/* Skips whitespace and returns the byte that starts the next token, or 0 at the end of the
 * text. Does not consume it. */
static inline int referrals_scan_peek(referrals_scanner *s) {
  /* The service writes compact JSON: test for a token first, whitespace second. */
  if (s->p < s->end && (unsigned char)*s->p > ' ') return (unsigned char)*s->p;
  while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t')) s->p++;
  return s->p < s->end ? (unsigned char)*s->p : 0;
}

/* Fails at byte `at` with code "syntax" ("truncated" when at is the end of the text) and
 * `why` in the message. Returns -1. */
int referrals_scan_fail(referrals_scanner *s, const char *at, const char *why);

/* The value at s->p, whatever it is, checked and stepped over (depth: the nesting of the
 * value's container; an object or array deeper than REFERRALS_MAX_DEPTH fails "too_deep"). */
int referrals_scan_skip(referrals_scanner *s, int depth);

/* Reads the string at s->p (which is '"'). */
int referrals_scan_string(referrals_scanner *s, referrals_json_string *out);
/* Writes the value of an escaped string to out (at most str->len bytes; not terminated)
 * and returns its length. A lone UTF-16 surrogate (\ud800 without its pair) becomes U+FFFD. */
size_t referrals_json_unescape(const referrals_json_string *str, char *out);

/* Reads the number at s->p into v (an exact integer when it fits 64 bits). Fails
 * "number_range" for a number beyond a double (1e999). */
int referrals_scan_number(referrals_scanner *s, referrals_value *v);

/* Reads true, false or null at s->p: *out is 1, 0 or -1. */
int referrals_scan_literal(referrals_scanner *s, int *out);

/* Consumes the '{' or '[' at s->p of a container at nesting `depth` (1 for the root);
 * fails "too_deep" beyond REFERRALS_MAX_DEPTH. */
int referrals_scan_open(referrals_scanner *s, int depth);
/* Walks an opened object: 1 with the key of member number `index` (0, 1, ...) read and
 * s->p at its value; 0 when the object closed (its '}' consumed); -1 on an error.
 * expect (or NULL): a member name and colon as the writer writes them ("\"key\":", no
 * escapes, expect_len bytes). When the member's text starts with exactly those bytes they
 * are stepped over unscanned and 2 is returned, key left unset: the decoder passes the
 * member the schema has next, and the service writes members in schema order. */
int referrals_scan_member(referrals_scanner *s, size_t index, const char *expect, size_t expect_len,
                          referrals_json_string *key);
/* Walks an opened array the same way: 1 with s->p at item number `index`, 0 at ']'. */
int referrals_scan_item(referrals_scanner *s, size_t index);

/* After the top-level value: only whitespace may follow. */
int referrals_scan_finish(referrals_scanner *s);

#endif
