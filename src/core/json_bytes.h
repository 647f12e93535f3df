/*
 * json_bytes.h: the bytes of a JSON string that need attention, tested 8 at a time. The
 * writer (json_write.c) escapes them; the scanner (json_scan.c) stops at them. Not
 * installed.
 */
#ifndef REFERRALS_JSON_BYTES_H
#define REFERRALS_JSON_BYTES_H

#include <stdint.h>
#include <string.h>

#define REFERRALS_ONES8 0x0101010101010101u
#define REFERRALS_HIGHS8 0x8080808080808080u

/* The high bit of each of the 8 bytes of w that is a control byte, '"' or '\\' (the bytes
 * JSON escapes): the classic "has a zero byte" trick, applied to w, w ^ '"'x8 and
 * w ^ '\\'x8. It may also flag bytes above a flagged one (a borrow runs upwards), never
 * below: in memory order (little-endian) the lowest flag is exact. Strings are mostly
 * plain text, so most of them are handled 8 bytes per step. */
static inline uint64_t referrals_json_escape_mask(uint64_t w) {
  uint64_t ctl = (w - REFERRALS_ONES8 * 0x20) & ~w;
  uint64_t quote = w ^ (REFERRALS_ONES8 * '"'), backslash = w ^ (REFERRALS_ONES8 * '\\');
  return (ctl | ((quote - REFERRALS_ONES8) & ~quote) |
          ((backslash - REFERRALS_ONES8) & ~backslash)) &
         REFERRALS_HIGHS8;
}

/* Where to look for the first flagged byte of a non-zero mask of the above: its offset on
 * a little-endian machine; elsewhere 0 (the caller then steps byte by byte). */
static inline unsigned referrals_json_first_flagged(uint64_t mask) {
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  return (unsigned)__builtin_ctzll(mask) >> 3;
#else
  (void)mask;
  return 0;
#endif
}

#if defined(__SSE2__)
#include <emmintrin.h>

/* The same test for 16 bytes, where SSE2 is (every x86-64): bit i of the result is set when
 * byte i is '"', '\\' or a control byte. Exact for every byte. */
static inline unsigned referrals_json_escape_mask16(__m128i v) {
  __m128i quote = _mm_cmpeq_epi8(v, _mm_set1_epi8('"'));
  __m128i backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'));
  __m128i control = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1F)), v);
  return (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, backslash), control));
}

static inline __m128i referrals_json_load16(const char *s) {
  return _mm_loadu_si128((const __m128i *)(const void *)s);
}
#endif

static inline uint64_t referrals_json_word(const char *s) {
  uint64_t w;
  memcpy(&w, s, 8);
  return w;
}

#endif
