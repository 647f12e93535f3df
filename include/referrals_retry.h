/*
 * referrals_retry.h: when a request is tried again, and after how long (issue 4). Modelled on
 * the retry policy of the Azure SDK for C: retry on 408, 429, 500, 502, 503, 504 and on
 * transport failures, honour Retry-After, retry-after-ms and x-ms-retry-after-ms, else wait
 * an exponential backoff with full jitter, capped. Included by referrals.h.
 *
 * Everything here is a pure function of its arguments: no clock, no randomness, no I/O and
 * no libcurl handle. The sequential client (client.c) and a concurrent driver (curl multi)
 * take the same decisions from the same code; each brings its own clock and random numbers.
 */
#ifndef REFERRALS_RETRY_H
#define REFERRALS_RETRY_H

#include <stddef.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif
/* The library is built with hidden visibility: what this header declares is its API, the
 * only symbols a shared object that links it may export (see tools/check-symbols.sh). */
#if defined(__GNUC__)
#pragma GCC visibility push(default)
#endif

/* PUT: the webhook registration API's update (referrals_client_send), a whole replacement, so
 * idempotent like GET. */
typedef enum referrals_method {
  REFERRALS_GET,
  REFERRALS_POST,
  REFERRALS_PATCH,
  REFERRALS_PUT
} referrals_method;

/* How an attempt ended when no HTTP answer arrived. Whether anything was sent decides whether
 * the service can have acted on the request (CURLINFO_REQUEST_SIZE > 0 counts as sent). */
typedef enum referrals_failure {
  REFERRALS_FAIL_NONE = 0,   /* an HTTP answer arrived: its status decides */
  REFERRALS_FAIL_PRE_SEND,   /* transient, nothing sent: refused, reset or timed out while
                                connecting. The service cannot have processed it. */
  REFERRALS_FAIL_AFTER_SEND, /* transient, the request went out: reset, nothing or half an
                                answer back. The service may have processed it. */
  REFERRALS_FAIL_TIMEOUT,    /* the request went out and no full answer came in time */
  REFERRALS_FAIL_PERMANENT   /* trying again cannot help: TLS, name resolution, bad URL,
                                answer too large, out of memory */
} referrals_failure;

typedef struct referrals_outcome {
  long status; /* HTTP status when failure is REFERRALS_FAIL_NONE */
  referrals_failure failure;
} referrals_outcome;

typedef struct referrals_retry_policy {
  int retries;            /* attempts after the first; 0: never retry */
  double retry_delay;     /* seconds: the backoff before the first retry, doubled each time */
  double max_retry_delay; /* seconds: no backoff is longer; a Retry-After longer stops */
} referrals_retry_policy;

#define REFERRALS_RETRIES 3
#define REFERRALS_RETRY_DELAY 0.8 /* the Azure SDK for C's default */
#define REFERRALS_MAX_RETRY_DELAY 60.0

void referrals_retry_policy_init(referrals_retry_policy *p);

/* Whether the status is one the Azure SDK retries: 408, 429, 500, 502, 503, 504. */
int referrals_retry_status(long status);

/* Whether trying the request again is safe and may help (the final error's retryable).
 * A duplicate is never risked (spec §5: POST has no idempotency key):
 *   - nothing sent (PRE_SEND), 429 or 503 (the service refused to process it): any method;
 *   - any other retryable status, AFTER_SEND or TIMEOUT: GET, and PATCH with If-Match (a
 *     replay of an applied PATCH meets a changed eTag and gets 412, it never applies twice);
 *   - PERMANENT, or any other status: never. */
int referrals_retry_allowed(referrals_method method, int has_if_match, referrals_outcome outcome);

/* The decision after attempt number attempt (1 for the first) ended with outcome: the seconds
 * to wait before the next attempt, or -1 to stop. retry_after: the seconds the answer asked
 * for (referrals_retry_after), or < 0 when it did not say. deadline_remaining: seconds left of
 * the call's deadline, or < 0 for none; a wait that would reach it stops instead. random: a
 * number in [0, 1), for the jitter. Without Retry-After the wait is
 *   random * min(max_retry_delay, retry_delay * 2^(attempt - 1))     ("full jitter")
 * and a Retry-After longer than max_retry_delay stops (the answer forbids an earlier try). */
double referrals_retry_decide(const referrals_retry_policy *p, int attempt, referrals_method method,
                              int has_if_match, referrals_outcome outcome, double retry_after,
                              double deadline_remaining, double random);

/* The wait an answer asks for, gathered from its headers one at a time. The -ms headers are
 * more precise and win over Retry-After, whatever their order. */
typedef struct referrals_retry_after {
  double seconds; /* < 0: not said (or not readable) */
  int precise;    /* it came from retry-after-ms or x-ms-retry-after-ms */
} referrals_retry_after;

void referrals_retry_after_init(referrals_retry_after *ra);
/* Reads one response header. Retry-After: delay-seconds or an HTTP-date (RFC 9110 §10.2.3;
 * spec §5), a date being taken relative to now; retry-after-ms, x-ms-retry-after-ms:
 * milliseconds. Names are case-insensitive, values digits only (an unreadable value is
 * ignored). Returns 1 when the header was one of the three, else 0. */
int referrals_retry_after_header(referrals_retry_after *ra, const char *name, size_t name_len,
                                 const char *value, size_t value_len, time_t now);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
}
#endif
#endif
