/*
 * fuzz_headers.c: libFuzzer target for the retry headers and decision (retry.c). The input
 * is "name: value" lines; every header is fed to referrals_retry_after_header, and the wait
 * it yields goes through referrals_retry_decide. Whatever the bytes: a wait is never
 * negative (other than "stop"), NaN, or longer than the policy or the deadline allows.
 */
#include <stdlib.h>
#include <string.h>

#include "referrals_retry.h"

static void check(const referrals_retry_after *ra, unsigned char salt) {
  referrals_retry_policy p;
  referrals_retry_policy_init(&p);
  referrals_outcome o = {salt & 1 ? 429 : 503, (referrals_failure)(salt % 5)};
  double deadline = salt & 2 ? 5.0 : -1;
  for (int attempt = 0; attempt <= p.retries + 1; attempt++) {
    double d = referrals_retry_decide(&p, attempt, (referrals_method)(salt % 3), salt & 4, o,
                                      ra->seconds, deadline, (double)(salt % 100) / 100.0);
    if (d == -1) continue;
    if (!(d >= 0) || d > p.max_retry_delay || (deadline >= 0 && d >= deadline)) abort();
  }
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
  referrals_retry_after ra;
  referrals_retry_after_init(&ra);
  const char *p = (const char *)data, *end = p + size;
  while (p < end) {
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    if (!eol) eol = end;
    const char *colon = memchr(p, ':', (size_t)(eol - p));
    if (colon) {
      const char *value = colon + 1;
      while (value < eol && *value == ' ') value++;
      referrals_retry_after_header(&ra, p, (size_t)(colon - p), value, (size_t)(eol - value),
                                   (time_t)1767225600);
      if (!(ra.seconds == -1 || ra.seconds >= 0)) abort(); /* NaN or a negative wait */
    }
    p = eol + (eol < end);
  }
  check(&ra, size ? data[0] : 0);
  return 0;
}
