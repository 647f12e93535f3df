/*
 * retry.c: the retry decisions of include/referrals_retry.h, as pure functions (issue 4, the
 * Azure SDK for C's retry policy; spec §5: 429/503 may say when with Retry-After, POST has
 * no idempotency key).
 */
#include <curl/curl.h>
#include <string.h>
#include <strings.h>

#include "bytes_equal.h"
#include "referrals_retry.h"

void referrals_retry_policy_init(referrals_retry_policy *p) {
  p->retries = REFERRALS_RETRIES;
  p->retry_delay = REFERRALS_RETRY_DELAY;
  p->max_retry_delay = REFERRALS_MAX_RETRY_DELAY;
}

int referrals_retry_status(long status) {
  return status == 408 || status == 429 || status == 500 || status == 502 || status == 503 ||
         status == 504;
}

int referrals_retry_allowed(referrals_method method, int has_if_match, referrals_outcome o) {
  /* Refused before any work: 429 and 503 say the service did not take the request. */
  int unprocessed = o.failure == REFERRALS_FAIL_PRE_SEND ||
                    (o.failure == REFERRALS_FAIL_NONE && (o.status == 429 || o.status == 503));
  int transient = o.failure == REFERRALS_FAIL_AFTER_SEND || o.failure == REFERRALS_FAIL_TIMEOUT ||
                  (o.failure == REFERRALS_FAIL_NONE && referrals_retry_status(o.status));
  int idempotent = method == REFERRALS_GET || method == REFERRALS_PUT ||
                   (method == REFERRALS_PATCH && has_if_match);
  return unprocessed || (idempotent && transient);
}

double referrals_retry_decide(const referrals_retry_policy *p, int attempt, referrals_method method,
                              int has_if_match, referrals_outcome outcome, double retry_after,
                              double deadline_remaining, double random) {
  if (attempt < 1 || attempt > p->retries) return -1;
  if (!referrals_retry_allowed(method, has_if_match, outcome)) return -1;
  double delay;
  if (retry_after >= 0) {
    if (retry_after > p->max_retry_delay) return -1;
    delay = retry_after;
  } else {
    /* retry_delay * 2^(attempt-1), doubling only up to the cap (no overflow, no libm) */
    double backoff = p->retry_delay;
    for (int i = 1; i < attempt && backoff < p->max_retry_delay; i++) backoff *= 2;
    if (backoff > p->max_retry_delay) backoff = p->max_retry_delay;
    if (!(random >= 0 && random < 1)) random = 0; /* NaN or out of range: no wait */
    delay = random * backoff;
  }
  if (deadline_remaining >= 0 && delay >= deadline_remaining) return -1;
  return delay;
}

void referrals_retry_after_init(referrals_retry_after *ra) {
  ra->seconds = -1;
  ra->precise = 0;
}

/* 1*DIGIT as a double (no overflow: a huge value is just a long wait), or -1. */
static double digits(const char *s, size_t len) {
  if (len == 0) return -1;
  double v = 0;
  for (size_t i = 0; i < len; i++) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

static double http_date(const char *s, size_t len, time_t now) {
  char text[64]; /* an IMF-fixdate is 29 characters; anything longer is not a date */
  if (len == 0 || len >= sizeof text || memchr(s, '\0', len)) return -1;
  memcpy(text, s, len);
  text[len] = '\0';
  time_t when = curl_getdate(text, NULL);
  if (when < 0) return -1;
  double delta = difftime(when, now);
  return delta > 0 ? delta : 0;
}

int referrals_retry_after_header(referrals_retry_after *ra, const char *name, size_t name_len,
                                 const char *value, size_t value_len, time_t now) {
  if (referrals_name_is(name, name_len, "retry-after-ms") ||
      referrals_name_is(name, name_len, "x-ms-retry-after-ms")) {
    double ms = digits(value, value_len);
    if (ms >= 0) {
      ra->seconds = ms / 1000.0;
      ra->precise = 1;
    }
    return 1;
  }
  if (!referrals_name_is(name, name_len, "retry-after")) return 0;
  if (ra->precise) return 1;
  double s = digits(value, value_len);
  ra->seconds = s >= 0 ? s : http_date(value, value_len, now);
  return 1;
}
