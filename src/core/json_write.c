/*
 * json_write.c: the small JSON writer behind encode. It appends to a referrals_buffer that
 * the caller reuses, and formats numbers without the C locale's help (a host that sets
 * LC_NUMERIC to a comma locale must still get "1.5" on the wire).
 */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "json_text.h"
#include "json_bytes.h"
#include "referrals.h"

/* Which bytes need an escape: 0 none, 1 a short escape (\n), 2 \u00XX. */
static const unsigned char escape_kind[256] = {
    2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 2, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0};

void referrals_json_write_string(referrals_buffer *b, const char *s, size_t len) {
  /* Worst case every byte becomes \u00XX: reserve once, then write without checks. */
  if (referrals_buffer_reserve(b, len * 6 + 2) != 0) return;
  char *out = b->data + b->len;
  *out++ = '"';
  /* Copy as we scan (a clean word is stored straight to out, a plain byte likewise) rather
   * than remembering a run and memcpy-ing it later: most strings here are short, and the
   * libc call per run cost more than the copy itself (issue 5 profile). */
  size_t i = 0;
#if defined(__SSE2__)
  while (len - i >= 16) {
    __m128i v = referrals_json_load16(s + i);
    if (referrals_json_escape_mask16(v)) break; /* the 8-byte and 1-byte steps take over */
    _mm_storeu_si128((__m128i *)(void *)out, v);
    out += 16;
    i += 16;
  }
#endif
  while (len - i >= 8) {
    uint64_t w = referrals_json_word(s + i);
    if (referrals_json_escape_mask(w)) break;
    memcpy(out, &w, 8);
    out += 8;
    i += 8;
  }
  /* The last 1-7 bytes of a string clean so far: one word ending at the string's end,
   * overlapping bytes already copied as they are (so the same), instead of a byte at a
   * time; the strings of a referral are mostly short, and this tail was most of their
   * cost (issue 16 profile). */
  if (i < len && len - i < 8 && len >= 8) {
    uint64_t w = referrals_json_word(s + len - 8);
    if (!referrals_json_escape_mask(w)) {
      memcpy(out - (8 - (len - i)), &w, 8);
      out += len - i;
      i = len;
    }
  }
  while (i < len) {
    uint64_t w;
    if (len - i >= 8 && (w = referrals_json_word(s + i), !referrals_json_escape_mask(w))) {
      memcpy(out, &w, 8);
      out += 8;
      i += 8;
      continue;
    }
    unsigned char c = (unsigned char)s[i++];
    unsigned char kind = escape_kind[c];
    if (kind == 0) {
      *out++ = (char)c;
      continue;
    }
    *out++ = '\\';
    if (kind == 1) {
      switch (c) {
        case '"': *out++ = '"'; break;
        case '\\': *out++ = '\\'; break;
        case '\b': *out++ = 'b'; break;
        case '\t': *out++ = 't'; break;
        case '\n': *out++ = 'n'; break;
        case '\f': *out++ = 'f'; break;
        default: *out++ = 'r'; break;
      }
    } else {
      static const char hex[] = "0123456789abcdef";
      memcpy(out, "u00", 3);
      out[3] = hex[c >> 4];
      out[4] = hex[c & 15];
      out += 5;
    }
  }
  *out++ = '"';
  b->len = (size_t)(out - b->data);
  b->data[b->len] = '\0';
}

/* snprintf and strtod follow LC_NUMERIC; swap the locale's decimal point for '.'. */
static char locale_point(void) {
  const char *p = localeconv()->decimal_point;
  return p && p[0] ? p[0] : '.';
}

/* Decimal digits of i, written backwards from end; returns the first. snprintf("%lld") costs
 * a few hundred instructions per call, this a few per digit. */
static char *format_integer(long long i, char *end) {
  unsigned long long u = i < 0 ? 0ull - (unsigned long long)i : (unsigned long long)i;
  do {
    *--end = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  if (i < 0) *--end = '-';
  return end;
}

int referrals_json_write_number(referrals_buffer *b, const referrals_value *v) {
  char text[40];
  int n;
  if (v->is_integer) {
    char *p = format_integer(v->as.integer, text + sizeof text);
    referrals_buffer_append(b, p, (size_t)(text + sizeof text - p));
    return 0;
  }
  double d = v->as.number;
  if (!isfinite(d)) return -1;
  /* A whole double below 1e15 prints under %.15g as its integer digits, no exponent, and
   * reads back exactly: write those directly, without snprintf + strtod (lua-cjson decodes
   * every number, 50000 included, as a float on 5.1-5.3 and for "dealValue":50000.0). */
  if (d == 0 && signbit(d)) {
    /* Not "-0": that reads back as the integer 0 and the sign is lost on the next round
     * trip (found by tests/fuzz_decode.c). "-0.0" reads back as -0.0. */
    referrals_buffer_append(b, "-0.0", 4);
    return 0;
  }
  if (fabs(d) < 1e15 && d == (double)(long long)d) {
    char *p = format_integer((long long)d, text + sizeof text);
    referrals_buffer_append(b, p, (size_t)(text + sizeof text - p));
    return 0;
  }
  /* The shortest of %.15g/%.16g/%.17g that reads back as the same double. */
  n = snprintf(text, sizeof text, "%.15g", d);
  if (strtod(text, NULL) != d) n = snprintf(text, sizeof text, "%.16g", d);
  if (strtod(text, NULL) != d) n = snprintf(text, sizeof text, "%.17g", d);
  char point = locale_point();
  if (point != '.') {
    char *p = strchr(text, point);
    if (p) *p = '.';
  }
  referrals_buffer_append(b, text, (size_t)n);
  return 0;
}

/* Reads the NUL-terminated copy text[0..len) of a JSON number; may rewrite its '.'. */
static int read_number_copy(char *text, size_t len, referrals_value *v) {
  if (!memchr(text, '.', len) && !memchr(text, 'e', len) && !memchr(text, 'E', len)) {
    errno = 0;
    long long i = strtoll(text, NULL, 10);
    if (errno == 0) {
      v->is_integer = 1;
      v->as.integer = i;
      return 0;
    }
  }
  char point = locale_point();
  if (point != '.') {
    char *p = strchr(text, '.');
    if (p) *p = point;
  }
  errno = 0;
  double d = strtod(text, NULL);
  if (errno == ERANGE && isinf(d)) return -1;
  v->is_integer = 0;
  v->as.number = d;
  return 0;
}

int referrals_json_read_number(const char *text, size_t len, referrals_value *v) {
  char small[64];
  char *copy = len < sizeof small ? small : malloc(len + 1);
  if (!copy) return -1;
  memcpy(copy, text, len);
  copy[len] = '\0';
  int rc = read_number_copy(copy, len, v);
  if (copy != small) free(copy);
  return rc;
}
