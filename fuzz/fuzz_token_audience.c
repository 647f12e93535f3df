/*
 * fuzz_token_audience.c: libFuzzer target for what a 401 reads from the token sent
 * (token_audience.c). The input is the claims text of a JWT (so the fuzzer explores JSON, not
 * base64): it is made into "<header>.<base64url(input)>.<signature>", as a token function may
 * return anything. Whatever the claims hold:
 * - the audience read is terminal-safe (no control byte) and fits its field;
 * - the 401's message stays terminal-safe, is terminated, and never holds the token.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define HEADER "eyJhbGciOiJub25lIn0." /* {"alg":"none"} */
#define SIGNATURE ".c2lnbmF0dXJl"

static void base64url(const unsigned char *s, size_t len, char *out) {
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  unsigned long bits = 0;
  int held = 0;
  for (size_t i = 0; i < len; i++) {
    bits = (bits << 8) | s[i];
    held += 8;
    while (held >= 6) {
      held -= 6;
      *out++ = alphabet[(bits >> held) & 63];
    }
    bits &= (1ul << held) - 1;
  }
  if (held) *out++ = alphabet[(bits << (6 - held)) & 63];
  *out = '\0';
}

static void check_safe(const char *s, size_t size) {
  size_t n = strnlen(s, size);
  if (n == size) abort(); /* not terminated within its field */
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) abort();
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
  if (size > 16384) return 0;
  size_t cap = sizeof HEADER + (size * 4 + 2) / 3 + sizeof SIGNATURE + 1;
  char *token = malloc(cap);
  if (!token) return 0;
  memcpy(token, HEADER, sizeof HEADER - 1);
  base64url(data, size, token + sizeof HEADER - 1);
  strcat(token, SIGNATURE);
  size_t len = strlen(token);

  referrals_error err;
  referrals_error_clear(&err);
  char aud[sizeof err.audience];
  if (referrals_token_audience(token, len, aud, sizeof aud)) check_safe(aud, sizeof aud);

  strcpy(err.message, "The bearer token is not valid");
  referrals_explain_unauthorized(&err, token, len, REFERRALS_AUDIENCE);
  check_safe(err.message, sizeof err.message);
  check_safe(err.audience, sizeof err.audience);
  if (strstr(err.message, token)) abort();
  free(token);
  return 0;
}
