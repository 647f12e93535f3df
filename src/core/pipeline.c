/*
 * pipeline.c: one operation's way through the policies of issue 4, in the Azure SDK for C's
 * order: token -> retry -> log -> transport. The decisions are retry.c's pure functions; this
 * file brings the clock, the random numbers for the jitter, the waits and the hooks.
 *
 * The hooks run between transfers, never from inside a libcurl callback, so a binding may
 * run code there that longjmps (under its own protection: client.c uses lua_pcall).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "internal.h"

#define LOG_HEADERS 16 /* more than http.c ever links */

static double monotonic_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void pause_for(double seconds) {
  struct timespec ts;
  ts.tv_sec = (time_t)seconds;
  ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

/* In [0, 1), fresh from the kernel: no generator state to keep. Without randomness the
 * middle of the range, which still spreads nothing but waits a sane time. */
static double jitter(void) {
  uint32_t r;
  if (referrals_random_bytes((unsigned char *)&r, sizeof r) != 0) return 0.5;
  return (double)r / 4294967296.0;
}

static const char *method_name(referrals_method m) {
  return m == REFERRALS_GET ? "GET" : m == REFERRALS_POST ? "POST" : "PATCH";
}

static void emit(const referrals_pipeline *p, referrals_event *ev) {
  if (p->log) p->log(p->ud, ev);
}

/* The seconds left of the deadline, or -1 for none. */
static double left_of(double deadline, double start) {
  return deadline > 0 ? deadline - (monotonic_now() - start) : -1;
}

int referrals_pipeline_run(referrals_pipeline *p, referrals_client *c, referrals_http *h,
                           const referrals_request *rq, referrals_error *err) {
  double deadline = p->deadline, start = monotonic_now();
  p->deadline = 0;
  referrals_request one = *rq;
  const char *headers[LOG_HEADERS];
  referrals_event ev;
  memset(&ev, 0, sizeof ev);
  ev.method = method_name(rq->method);
  ev.url = rq->url;
  int retries = 0, refreshed = 0, force = 0;
  for (int attempt = 1;; attempt++) {
    ev.attempt = attempt;
    if (p->token) {
      int rc = p->token(p->ud, c, force, err);
      if (rc != REFERRALS_OK) {
        err->attempts = attempt - 1;
        return rc;
      }
    }
    force = 0;
    double left = left_of(deadline, start);
    if (deadline > 0 && left <= 0) {
      referrals_error_set(err, REFERRALS_E_TRANSPORT, "TIMEOUT", NULL,
                          "the call's deadline passed before attempt %d", attempt);
      err->attempts = attempt - 1;
      return REFERRALS_E_TRANSPORT;
    }
    one.timeout = left > 0 ? left : 0;

    ev.kind = REFERRALS_EVENT_REQUEST;
    double began = monotonic_now();
    int rc = referrals_http_perform(h, &one, err);
    if (p->log && rc != REFERRALS_E_VALIDATION) {
      /* the request event after the fact: the headers are only linked by the perform */
      ev.headers = headers;
      ev.nheaders = referrals_http_headers(h, headers, LOG_HEADERS);
      if (ev.nheaders > LOG_HEADERS) ev.nheaders = LOG_HEADERS;
      emit(p, &ev);
      ev.headers = NULL;
      ev.nheaders = 0;
    }
    const referrals_response *r = referrals_http_response(h);
    ev.kind = REFERRALS_EVENT_RESPONSE;
    ev.status = r->status;
    ev.duration = monotonic_now() - began;
    ev.error = rc == REFERRALS_OK ? NULL : err;
    emit(p, &ev);
    err->attempts = attempt;
    if (rc != REFERRALS_OK && rc != REFERRALS_E_TRANSPORT) return rc; /* validation, memory */

    /* spec §4: a token refused may have been revoked or expired early: ask once more */
    if (rc == REFERRALS_OK && r->status == 401 && p->token && !refreshed) {
      refreshed = force = 1;
      ev.kind = REFERRALS_EVENT_RETRY;
      ev.delay = 0;
      emit(p, &ev);
      continue;
    }
    if (rc == REFERRALS_OK && !referrals_retry_status(r->status)) return REFERRALS_OK;

    referrals_outcome outcome = {
        rc == REFERRALS_OK ? r->status : 0,
        rc == REFERRALS_OK ? REFERRALS_FAIL_NONE : referrals_http_failure(h)};
    int safe = referrals_retry_allowed(rq->method, rq->if_match != NULL, outcome);
    double delay = referrals_retry_decide(&p->policy, ++retries, rq->method, rq->if_match != NULL,
                                          outcome, rc == REFERRALS_OK ? r->retry_after : -1,
                                          left_of(deadline, start), jitter());
    if (delay < 0) {
      if (rc != REFERRALS_OK) err->retryable = safe;
      return rc; /* an answer: the caller turns it into the error record */
    }
    ev.kind = REFERRALS_EVENT_RETRY;
    ev.delay = delay;
    emit(p, &ev);
    pause_for(delay);
  }
}
