/*
 * utf8.c: strict UTF-8 validation (Unicode 15, table 3-7 "Well-Formed UTF-8 Byte Sequences").
 * JSON text is UTF-8 (RFC 8259 §8.1) and the service stores names and notes as text, so a
 * string that is not UTF-8 is refused before it is sent rather than mangled on the way.
 */
#include <stdint.h>
#include <string.h>

#include "json_text.h"
#include "referrals.h"

#define HIGH_BITS 0x8080808080808080u

static uint64_t word_at(const unsigned char *s) {
  uint64_t w;
  memcpy(&w, s, 8);
  return w;
}

/* How many bytes at s are ASCII, eight at a time: names, ids, emails and datetimes are all
 * ASCII, so most strings never reach the multibyte code. A string of 8 bytes or more ends
 * with one last word that may overlap the one before, instead of a loop over its tail. */
static size_t ascii_run(const unsigned char *s, size_t len) {
  size_t i = 0;
  if (len >= 8) {
    for (; len - i >= 8; i += 8) {
      if (word_at(s + i) & HIGH_BITS) goto bytes;
    }
    if (!(word_at(s + len - 8) & HIGH_BITS)) return len;
  }
bytes:
  while (i < len && s[i] < 0x80) i++;
  return i;
}

/* The length of the sequence that lead byte c starts, and the range its second byte must be
 * in; the narrower ranges after E0, ED, F0 and F4 are what refuse overlong forms, UTF-16
 * surrogates (U+D800..U+DFFF) and code points above U+10FFFF. 0 for a byte that cannot lead. */
static unsigned sequence(unsigned c, unsigned *lo, unsigned *hi) {
  *lo = 0x80;
  *hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) return 2;
  if (c >= 0xE0 && c <= 0xEF) {
    if (c == 0xE0) *lo = 0xA0;
    if (c == 0xED) *hi = 0x9F;
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (c == 0xF0) *lo = 0x90;
    if (c == 0xF4) *hi = 0x8F;
    return 4;
  }
  return 0;
}

size_t referrals_utf8_sequence(const unsigned char *s, size_t avail) {
  unsigned lo, hi;
  unsigned n = sequence(s[0], &lo, &hi);
  if (n == 0 || avail < n || s[1] < lo || s[1] > hi) return 0;
  for (unsigned k = 2; k < n; k++) {
    if ((s[k] & 0xC0) != 0x80) return 0;
  }
  return n;
}

int referrals_utf8_valid(const char *str, size_t len) {
  const unsigned char *s = (const unsigned char *)str;
  size_t i = 0;
  for (;;) {
    i += ascii_run(s + i, len - i);
    if (i == len) return 1;
    size_t n = referrals_utf8_sequence(s + i, len - i);
    if (n == 0) return 0;
    i += n;
  }
}
