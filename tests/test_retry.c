/*
 * test_retry.c: the retry rules of issue 4 as pure functions (include/referrals_retry.h):
 * which outcome may be retried for which method, the waits, the deadline, the headers.
 */
#include <time.h>

#include "referrals_retry.h"
#include "tap.h"

static referrals_outcome status(long s) {
  referrals_outcome o = {s, REFERRALS_FAIL_NONE};
  return o;
}
static referrals_outcome failure(referrals_failure f) {
  referrals_outcome o = {0, f};
  return o;
}

static void test_allowed(void) {
  /* never a duplicate: POST only when the service cannot have processed it */
  CHECK(referrals_retry_allowed(REFERRALS_POST, 0, failure(REFERRALS_FAIL_PRE_SEND)),
        "POST, nothing sent");
  CHECK(referrals_retry_allowed(REFERRALS_POST, 0, status(429)), "POST, 429");
  CHECK(referrals_retry_allowed(REFERRALS_POST, 0, status(503)), "POST, 503");
  CHECK(!referrals_retry_allowed(REFERRALS_POST, 0, status(500)), "POST, not after 500");
  CHECK(!referrals_retry_allowed(REFERRALS_POST, 0, status(504)), "POST, not after 504");
  CHECK(!referrals_retry_allowed(REFERRALS_POST, 0, failure(REFERRALS_FAIL_TIMEOUT)),
        "POST, not after a timeout once sent");
  CHECK(!referrals_retry_allowed(REFERRALS_POST, 0, failure(REFERRALS_FAIL_AFTER_SEND)),
        "POST, not after a reset once sent");
  CHECK(referrals_retry_allowed(REFERRALS_PATCH, 1, status(500)), "PATCH with If-Match, 500");
  CHECK(referrals_retry_allowed(REFERRALS_PATCH, 1, failure(REFERRALS_FAIL_TIMEOUT)),
        "PATCH with If-Match, timeout");
  CHECK(!referrals_retry_allowed(REFERRALS_PATCH, 0, failure(REFERRALS_FAIL_TIMEOUT)),
        "PATCH without If-Match, not after a timeout");
  CHECK(referrals_retry_allowed(REFERRALS_PATCH, 0, failure(REFERRALS_FAIL_PRE_SEND)),
        "PATCH without If-Match, nothing sent");
  long statuses[] = {408, 429, 500, 502, 503, 504};
  for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
    CHECK(referrals_retry_allowed(REFERRALS_GET, 0, status(statuses[i])),
          "GET, a retryable status");
  CHECK(referrals_retry_allowed(REFERRALS_GET, 0, failure(REFERRALS_FAIL_TIMEOUT)), "GET, timeout");
  CHECK(!referrals_retry_allowed(REFERRALS_GET, 0, status(404)), "GET, not 404");
  /* PUT replaces the whole resource (the webhook registration): a replay changes nothing */
  CHECK(referrals_retry_allowed(REFERRALS_PUT, 0, failure(REFERRALS_FAIL_TIMEOUT)), "PUT, timeout");
  CHECK(referrals_retry_allowed(REFERRALS_PUT, 0, status(500)), "PUT, 500");
  CHECK(!referrals_retry_allowed(REFERRALS_PUT, 0, status(409)), "PUT, not 409");
  CHECK(!referrals_retry_allowed(REFERRALS_GET, 0, status(412)), "GET, not 412");
  CHECK(!referrals_retry_allowed(REFERRALS_GET, 0, failure(REFERRALS_FAIL_PERMANENT)),
        "GET, not a permanent failure");
}

static void test_decide(void) {
  referrals_retry_policy p = {3, 1.0, 3.0};
  referrals_outcome busy = status(503);
  CHECK(referrals_retry_decide(&p, 1, REFERRALS_GET, 0, busy, -1, -1, 0.5) == 0.5,
        "full jitter: random * retry_delay on the first retry");
  CHECK(referrals_retry_decide(&p, 2, REFERRALS_GET, 0, busy, -1, -1, 0.5) == 1.0, "doubled");
  CHECK(referrals_retry_decide(&p, 3, REFERRALS_GET, 0, busy, -1, -1, 0.999) < 3.0 &&
            referrals_retry_decide(&p, 3, REFERRALS_GET, 0, busy, -1, -1, 0.999) > 2.9,
        "capped at max_retry_delay");
  CHECK(referrals_retry_decide(&p, 4, REFERRALS_GET, 0, busy, -1, -1, 0.5) == -1,
        "stops after retries");
  CHECK(referrals_retry_decide(&p, 1, REFERRALS_GET, 0, busy, 2.0, -1, 0.1) == 2.0,
        "Retry-After is honoured as given");
  CHECK(referrals_retry_decide(&p, 1, REFERRALS_GET, 0, busy, 5.0, -1, 0.1) == -1,
        "a Retry-After beyond max_retry_delay stops");
  CHECK(referrals_retry_decide(&p, 1, REFERRALS_GET, 0, busy, 2.0, 1.5, 0.1) == -1,
        "no wait reaches the deadline");
  CHECK(referrals_retry_decide(&p, 1, REFERRALS_GET, 0, busy, 1.0, 1.5, 0.1) == 1.0,
        "a wait inside the deadline");
  CHECK(referrals_retry_decide(&p, 1, REFERRALS_POST, 0, status(500), -1, -1, 0.5) == -1,
        "an unsafe retry is never decided");
  referrals_retry_policy none = {0, 1.0, 3.0};
  CHECK(referrals_retry_decide(&none, 1, REFERRALS_GET, 0, busy, -1, -1, 0.5) == -1, "retries = 0");
  CHECK(referrals_retry_decide(&p, 1000, REFERRALS_GET, 0, busy, -1, -1, 0.5) == -1,
        "a large attempt number does not overflow");
}

static double header(const char *lines[][2], size_t n) {
  referrals_retry_after ra;
  referrals_retry_after_init(&ra);
  for (size_t i = 0; i < n; i++)
    referrals_retry_after_header(&ra, lines[i][0], strlen(lines[i][0]), lines[i][1],
                                 strlen(lines[i][1]), (time_t)1445412420); /* 07:27:00 UTC */
  return ra.seconds;
}

static void test_headers(void) {
  const char *seconds[][2] = {{"Retry-After", "120"}};
  CHECK(header(seconds, 1) == 120, "Retry-After in seconds");
  const char *date[][2] = {{"retry-after", "Wed, 21 Oct 2015 07:28:00 GMT"}};
  CHECK(header(date, 1) == 60, "Retry-After as an HTTP-date, relative to now");
  const char *ms[][2] = {{"retry-after-ms", "250"}, {"Retry-After", "9"}};
  CHECK(header(ms, 2) == 0.25, "retry-after-ms wins over a later Retry-After");
  const char *xms[][2] = {{"Retry-After", "9"}, {"X-MS-Retry-After-Ms", "1500"}};
  CHECK(header(xms, 2) == 1.5, "x-ms-retry-after-ms wins over an earlier Retry-After");
  const char *bad[][2] = {{"Retry-After", "soon"}, {"retry-after-ms", "-5"}};
  CHECK(header(bad, 2) == -1, "unreadable values are ignored");
  const char *other[][2] = {{"Retry-After-X", "5"}};
  CHECK(header(other, 1) == -1, "other names are not read");
  referrals_retry_after ra;
  referrals_retry_after_init(&ra);
  CHECK(referrals_retry_after_header(&ra, "ETag", 4, "x", 1, 0) == 0,
        "returns 0 for other headers");
}

int main(void) {
  test_allowed();
  test_decide();
  test_headers();
  return tap_done();
}
