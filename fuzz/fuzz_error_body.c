/*
 * fuzz_error_body.c: libFuzzer target for the API error-body parser (json_error_body.c, spec §5).
 * Any body either is an API's error JSON -- then the record holds a non-empty code or, for a
 * throttled answer that has none, a non-empty message, and NUL-terminated, terminal-safe texts
 * that fit their fields -- or is refused, leaving the record untouched.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int terminated(const char *s, size_t size) { return memchr(s, '\0', size) != NULL; }

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
  referrals_error err;
  referrals_error_clear(&err);
  if (referrals_api_error_parse((const char *)data, size, &err)) {
    if (err.category != REFERRALS_E_API || (!err.code[0] && !err.message[0])) abort();
    if (!terminated(err.code, sizeof err.code) || !terminated(err.message, sizeof err.message) ||
        !terminated(err.target, sizeof err.target))
      abort();
    /* the server's text is terminal-safe (issue 13): no control byte in what a log shows */
    if (!referrals_text_is_safe(err.code, strlen(err.code)) ||
        !referrals_text_is_safe(err.message, strlen(err.message)) ||
        !referrals_text_is_safe(err.target, strlen(err.target)))
      abort();
  } else if (err.category != REFERRALS_OK || err.code[0]) {
    abort();
  }
  return 0;
}
