/*
 * json_scan.c: the strict JSON scanner (see json_scan.h for why it exists and what it
 * promises). Grammar from RFC 8259: §2 whitespace, §4 objects, §5 arrays, §6 numbers,
 * §7 strings, §8.1 UTF-8.
 */
#include <stdlib.h>
#include <string.h>

#include "json_text.h"
#include "bytes_equal.h"
#include "json_bytes.h"
#include "json_scan.h"

#define DEPTH_TEXT_(n) #n
#define DEPTH_TEXT(n) DEPTH_TEXT_(n)

/* Every error of the scanner: code, "invalid JSON at byte N: why", position N. -1. */
static int fail_as(referrals_scanner *s, const char *at, const char *code, const char *why) {
  size_t pos = (size_t)(at - s->text);
  referrals_error_set(s->err, REFERRALS_E_JSON, code, NULL, "invalid JSON at byte %zu: %s", pos,
                      why);
  s->err->position = (long)pos;
  return -1;
}

int referrals_scan_init(referrals_scanner *s, const char *text, size_t len, referrals_error *err) {
  s->text = s->p = text;
  s->end = text + len;
  s->err = err;
  int c = referrals_scan_peek(s);
  if (c == 0 && s->p == s->end) return fail_as(s, s->end, "empty", "no JSON value in the input");
  return c;
}

int referrals_scan_fail(referrals_scanner *s, const char *at, const char *why) {
  if (at >= s->end) return fail_as(s, at, "truncated", "the text ends before the value does");
  return fail_as(s, at, "syntax", why);
}

/* ---- strings (§7) ---------------------------------------------------------------------- */

static int hex_value(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  c |= 0x20;
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The four hex digits at p (which has 4 readable bytes), or -1. */
static long hex4(const char *p) {
  long u = 0;
  for (int i = 0; i < 4; i++) {
    int h = hex_value((unsigned char)p[i]);
    if (h < 0) return -1;
    u = u << 4 | h;
  }
  return u;
}

/* referrals_scan_fail for functions that return a length: 0. */
static size_t fail_length(referrals_scanner *s, const char *at, const char *why) {
  referrals_scan_fail(s, at, why);
  return 0;
}

/* The length of the escape at p (a backslash), checked; 0 after failing. */
static size_t escape_length(referrals_scanner *s, const char *p) {
  if (s->end - p < 2) return fail_length(s, s->end, "");
  switch (p[1]) {
    case '"':
    case '\\':
    case '/':
    case 'b':
    case 'f':
    case 'n':
    case 'r':
    case 't': return 2;
    case 'u':
      for (int i = 2; i < 6; i++) {
        if (p + i == s->end) return fail_length(s, s->end, "");
        if (hex_value((unsigned char)p[i]) < 0) return fail_length(s, p + i, "bad \\u escape");
      }
      return 6;
    default: return fail_length(s, p + 1, "unknown escape");
  }
}

int referrals_scan_string(referrals_scanner *s, referrals_json_string *out) {
  const char *p = s->p + 1, *end = s->end;
  out->escaped = 0;
  for (;;) {
    /* Plain text 16 bytes per step where SSE2 is (every x86-64), then 8, up to the first
     * quote, backslash, control or non-ASCII byte; the last few bytes one by one. */
#if defined(__SSE2__)
    while (end - p >= 16) {
      __m128i v = referrals_json_load16(p);
      unsigned mask = referrals_json_escape_mask16(v) | (unsigned)_mm_movemask_epi8(v);
      if (mask) {
        p += __builtin_ctz(mask);
        goto special;
      }
      p += 16;
    }
#endif
    while (end - p >= 8) {
      uint64_t w = referrals_json_word(p);
      uint64_t mask = referrals_json_escape_mask(w) | (w & REFERRALS_HIGHS8);
      if (mask) {
        p += referrals_json_first_flagged(mask);
        goto special;
      }
      p += 8;
    }
    while (p < end && (unsigned char)*p >= 0x20 && *p != '"' && *p != '\\' &&
           (unsigned char)*p < 0x80)
      p++;
    if (p == end) return referrals_scan_fail(s, end, "");
  special:;
    unsigned char c = (unsigned char)*p;
    if (c == '"') break;
    if (c == '\\') {
      size_t n = escape_length(s, p);
      if (n == 0) return -1;
      out->escaped = 1;
      p += n;
    } else if (c >= 0x80) {
      size_t n = referrals_utf8_sequence((const unsigned char *)p, (size_t)(end - p));
      if (n == 0) return referrals_scan_fail(s, p, "not UTF-8 (RFC 8259 §8.1)");
      p += n;
    } else if (c < 0x20) {
      return referrals_scan_fail(s, p, "control character in a string");
    } else {
      p++; /* a plain byte (only where the word's first flag is not exact) */
    }
  }
  out->raw = s->p + 1;
  out->len = (size_t)(p - out->raw);
  s->p = p + 1;
  return 0;
}

static char *put_utf8(char *o, unsigned long u) {
  if (u < 0x80) {
    *o++ = (char)u;
  } else if (u < 0x800) {
    *o++ = (char)(0xC0 | u >> 6);
    *o++ = (char)(0x80 | (u & 0x3F));
  } else if (u < 0x10000) {
    *o++ = (char)(0xE0 | u >> 12);
    *o++ = (char)(0x80 | (u >> 6 & 0x3F));
    *o++ = (char)(0x80 | (u & 0x3F));
  } else {
    *o++ = (char)(0xF0 | u >> 18);
    *o++ = (char)(0x80 | (u >> 12 & 0x3F));
    *o++ = (char)(0x80 | (u >> 6 & 0x3F));
    *o++ = (char)(0x80 | (u & 0x3F));
  }
  return o;
}

size_t referrals_json_unescape(const referrals_json_string *str, char *out) {
  const char *p = str->raw, *end = p + str->len;
  char *o = out;
  while (p < end) {
    const char *bs = memchr(p, '\\', (size_t)(end - p));
    size_t run = (size_t)((bs ? bs : end) - p);
    memcpy(o, p, run);
    o += run;
    p += run;
    if (!bs) break;
    char c = p[1];
    p += 2;
    switch (c) {
      case 'b': *o++ = '\b'; break;
      case 'f': *o++ = '\f'; break;
      case 'n': *o++ = '\n'; break;
      case 'r': *o++ = '\r'; break;
      case 't': *o++ = '\t'; break;
      case 'u': {
        unsigned long u = (unsigned long)hex4(p);
        p += 4;
        if (u >= 0xD800 && u <= 0xDBFF && end - p >= 6 && p[0] == '\\' && p[1] == 'u') {
          long lo = hex4(p + 2);
          if (lo >= 0xDC00 && lo <= 0xDFFF) {
            u = 0x10000 + ((u - 0xD800) << 10) + (unsigned long)(lo - 0xDC00);
            p += 6;
          }
        }
        /* A surrogate left alone has no UTF-8 form: U+FFFD (3 bytes for 6 of text). */
        if (u >= 0xD800 && u <= 0xDFFF) u = 0xFFFD;
        o = put_utf8(o, u);
        break;
      }
      default: *o++ = c; break; /* '"', '\\', '/' */
    }
  }
  return (size_t)(o - out);
}

/* ---- numbers (§6) ---------------------------------------------------------------------- */

static const char *digits(const char *p, const char *end) {
  while (p < end && *p >= '0' && *p <= '9') p++;
  return p;
}

int referrals_scan_number(referrals_scanner *s, referrals_value *v) {
  const char *start = s->p, *p = start, *end = s->end;
  if (p < end && *p == '-') p++;
  if (p == end) return referrals_scan_fail(s, p, "");
  if (*p == '0') {
    p++;
  } else if (*p >= '1' && *p <= '9') {
    p = digits(p, end);
  } else {
    return referrals_scan_fail(s, p, "a digit expected");
  }
  const char *int_end = p;
  if (p < end && *p == '.') {
    const char *f = ++p;
    p = digits(p, end);
    if (p == f) return referrals_scan_fail(s, p, "a digit expected after '.'");
  }
  if (p < end && (*p == 'e' || *p == 'E')) {
    p++;
    if (p < end && (*p == '+' || *p == '-')) p++;
    const char *e = p;
    p = digits(p, end);
    if (p == e) return referrals_scan_fail(s, p, "a digit expected in the exponent");
  }
  s->p = p; /* what follows (01, 1x) is the container's to refuse */
  v->state = REFERRALS_SET;
  /* Up to 18 digits always fit an int64: the common case, read without strtoll. */
  size_t ndigits = (size_t)(int_end - start) - (*start == '-');
  if (p == int_end && ndigits <= 18) {
    long long i = 0;
    for (const char *d = int_end - ndigits; d < int_end; d++) i = i * 10 + (*d - '0');
    v->is_integer = 1;
    v->as.integer = *start == '-' ? -i : i;
    return 0;
  }
  if (referrals_json_read_number(start, (size_t)(p - start), v) != 0)
    return fail_as(s, start, "number_range", "number out of range (it does not fit a double)");
  return 0;
}

/* ---- literals, containers ------------------------------------------------------------ */

int referrals_scan_literal(referrals_scanner *s, int *out) {
  static const char *const words[] = {"null", "false", "true"};
  int which = *s->p == 'n' ? 0 : *s->p == 'f' ? 1 : 2;
  const char *w = words[which];
  size_t n = strlen(w);
  for (size_t i = 0; i < n; i++) {
    if (s->p + i == s->end) return referrals_scan_fail(s, s->end, "");
    if (s->p[i] != w[i]) return referrals_scan_fail(s, s->p + i, "unexpected character");
  }
  s->p += n;
  *out = which - 1;
  return 0;
}

int referrals_scan_open(referrals_scanner *s, int depth) {
  if (depth > REFERRALS_MAX_DEPTH)
    return fail_as(s, s->p, "too_deep",
                   "nested deeper than " DEPTH_TEXT(REFERRALS_MAX_DEPTH) " levels");
  s->p++;
  return 0;
}

/* Before member or item `index`: the closing bracket, or ',' unless it is the first (a
 * ',' must then be followed by a member or item: no trailing commas). */
static int separator(referrals_scanner *s, size_t index, char close) {
  int c = referrals_scan_peek(s);
  if (c == close) {
    s->p++;
    return 0;
  }
  if (index > 0) {
    if (c != ',')
      return referrals_scan_fail(s, s->p,
                                 close == '}' ? "',' or '}' expected" : "',' or ']' expected");
    s->p++;
  }
  return 1;
}

int referrals_scan_member(referrals_scanner *s, size_t index, const char *expect, size_t expect_len,
                          referrals_json_string *key) {
  int r = separator(s, index, '}');
  if (r <= 0) return r;
  if (expect && (size_t)(s->end - s->p) >= expect_len && s->p[0] == '"' &&
      referrals_bytes_equal(s->p, expect, expect_len)) {
    s->p += expect_len;
    return 2;
  }
  if (referrals_scan_peek(s) != '"') return referrals_scan_fail(s, s->p, "a member name expected");
  if (referrals_scan_string(s, key)) return -1;
  if (referrals_scan_peek(s) != ':') return referrals_scan_fail(s, s->p, "':' expected");
  s->p++;
  return 1;
}

int referrals_scan_item(referrals_scanner *s, size_t index) { return separator(s, index, ']'); }

int referrals_scan_skip(referrals_scanner *s, int depth) {
  int c = referrals_scan_peek(s);
  switch (c) {
    case '"': {
      referrals_json_string str;
      return referrals_scan_string(s, &str);
    }
    case '{':
    case '[': {
      if (referrals_scan_open(s, depth + 1)) return -1;
      int r;
      for (size_t i = 0;; i++) {
        if (c == '{') {
          referrals_json_string key;
          r = referrals_scan_member(s, i, NULL, 0, &key);
        } else {
          r = referrals_scan_item(s, i);
        }
        if (r <= 0) return r;
        if (referrals_scan_skip(s, depth + 1)) return -1;
      }
    }
    case 't':
    case 'f':
    case 'n': {
      int b;
      return referrals_scan_literal(s, &b);
    }
    default:
      if (c == '-' || (c >= '0' && c <= '9')) {
        referrals_value v;
        return referrals_scan_number(s, &v);
      }
      return referrals_scan_fail(s, s->p, "a value expected");
  }
}

int referrals_scan_finish(referrals_scanner *s) {
  /* peek answers 0 for the end of the text and for a NUL byte: a NUL followed by garbage
   * is text after the value too (issue 13), not the end of the document. */
  referrals_scan_peek(s);
  if (s->p != s->end) return referrals_scan_fail(s, s->p, "text after the end of the value");
  return 0;
}
