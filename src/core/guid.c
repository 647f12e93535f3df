/*
 * guid.c: the client-request-id of every request, a fresh GUID per call (spec §1.1: "new
 * GUID per call"). Random bytes come from the kernel (getrandom, else /dev/urandom), so two
 * clients in two processes started in the same clock tick still differ, and there is no
 * generator state to keep or seed.
 */
#include <errno.h>
#include <stdio.h>
#if defined(__linux__)
#include <sys/random.h>
#endif

#include "internal.h"

static int urandom(unsigned char *out, size_t n) {
  FILE *f = fopen("/dev/urandom", "rb");
  if (!f) return -1;
  size_t got = fread(out, 1, n, f);
  fclose(f);
  return got == n ? 0 : -1;
}

int referrals_random_bytes(unsigned char *out, size_t n) {
#if defined(__linux__)
  ssize_t got;
  do got = getrandom(out, n, 0);
  while (got < 0 && errno == EINTR);
  if (got == (ssize_t)n) return 0; /* at most 256 bytes never come back short */
#endif
  return urandom(out, n);
}

int referrals_guid(char *out) {
  static const char hex[] = "0123456789abcdef";
  unsigned char b[16];
  if (referrals_random_bytes(b, sizeof b) != 0) return -1;
  b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 (RFC 4122 §4.4) */
  b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* variant 10 */
  for (int i = 0; i < 16; i++) {
    if (i == 4 || i == 6 || i == 8 || i == 10) *out++ = '-';
    *out++ = hex[b[i] >> 4];
    *out++ = hex[b[i] & 15];
  }
  return 0;
}
