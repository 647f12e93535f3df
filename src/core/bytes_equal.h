/*
 * bytes_equal.h: equality of two short byte strings (wire keys, enum values) without a libc
 * call, and of names whose case does not matter. The first without libc because a memcmp call costs
 * more than the compare itself for the 4-30 byte keys of the schema, and every member of every walk
 * compares one (issue 5 profile). Not installed.
 */
#ifndef REFERRALS_BYTES_EQUAL_H
#define REFERRALS_BYTES_EQUAL_H

#include <stdint.h>
#include <string.h>
#include <strings.h>

/* Whether a[0..len) == b[0..len). */
static inline int referrals_bytes_equal(const char *a, const char *b, size_t len) {
  if (len < 8) {
    for (size_t i = 0; i < len; i++)
      if (a[i] != b[i]) return 0;
    return 1;
  }
  /* Whole words, the last one overlapping the one before when len is not a multiple of 8. */
  uint64_t x, y;
  for (size_t i = 0; i + 8 < len; i += 8) {
    memcpy(&x, a + i, 8);
    memcpy(&y, b + i, 8);
    if (x != y) return 0;
  }
  memcpy(&x, a + len - 8, 8);
  memcpy(&y, b + len - 8, 8);
  return x == y;
}

/* Whether name[0..len) is the name want, ignoring ASCII case: header names, the API's error
 * members, media types (the protocols say their case does not matter). */
static inline int referrals_name_is(const char *name, size_t len, const char *want) {
  return strlen(want) == len && strncasecmp(name, want, len) == 0;
}

#endif
