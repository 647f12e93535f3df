/*
 * pipeline.c: one request's way through the policies, in the Azure SDK for C's order:
 * token -> retry/deadline -> log -> transport, written once for every call (issue 12): the
 * sequential operations drive it with referrals_pipeline_run, the bulk driver (bulk.c) calls
 * the same stages around each transfer of its multi handle. The decisions are retry.c's
 * pure functions; this file brings the clock, the random numbers for the jitter, the token
 * cache and the hooks.
 *
 * The hooks run between transfers, never from inside a libcurl callback, so a binding may
 * run code there that longjmps (under its own protection: the binding uses lua_pcall).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "internal.h"

#define LOG_HEADERS 16 /* more than http.c ever links */

/* spec §4: a token is refreshed about five minutes before it expires. */
#define TOKEN_MARGIN 300.0

double referrals_monotonic(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double referrals_deadline_left(double deadline, double start) {
  if (deadline <= 0) return -1;
  double left = deadline - (referrals_monotonic() - start);
  return left > 0 ? left : 0; /* passed: 0, never "none" */
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
  return m == REFERRALS_GET    ? "GET"
         : m == REFERRALS_POST ? "POST"
         : m == REFERRALS_PUT  ? "PUT"
                               : "PATCH";
}

static void emit(const referrals_pipeline *p, const referrals_exchange *x,
                 referrals_event_kind kind, referrals_event *ev) {
  if (!p->log) return;
  ev->kind = kind;
  ev->method = method_name(x->rq.method);
  ev->url = x->rq.url;
  ev->attempt = x->attempt;
  ev->index = x->index;
  p->log(p->ud, ev);
}

/* A replay of the request cannot apply it twice: GET, PUT (a whole replacement), and PATCH
 * with If-Match (an applied PATCH changed the eTag, so its replay gets 412). */
static int idempotent(const referrals_request *rq) {
  return rq->method == REFERRALS_GET || rq->method == REFERRALS_PUT ||
         (rq->method == REFERRALS_PATCH && rq->if_match != NULL);
}

void referrals_exchange_init(referrals_exchange *x, const referrals_request *rq, long index,
                             double deadline) {
  memset(x, 0, sizeof *x);
  x->rq = *rq;
  x->index = index;
  x->deadline = deadline > 0 ? deadline : 0;
  x->start = referrals_monotonic();
}

/* The token stage: the hook is asked when forced (after a 401) or when the token it gave
 * last is not known to be good for TOKEN_MARGIN more seconds. */
static int token_stage(referrals_pipeline *p, referrals_client *c, int force,
                       referrals_error *err) {
  if (!p->token || (!force && referrals_monotonic() < p->token_until)) return REFERRALS_OK;
  double expires_in = -1;
  int rc = p->token(p->ud, c, force, &expires_in, err);
  p->token_until = rc == REFERRALS_OK && expires_in > TOKEN_MARGIN
                       ? referrals_monotonic() + expires_in - TOKEN_MARGIN
                       : 0;
  return rc;
}

int referrals_pipeline_before(referrals_pipeline *p, referrals_client *c, referrals_exchange *x,
                              referrals_error *err) {
  x->attempt++;
  int rc = token_stage(p, c, x->force, err);
  x->force = 0;
  if (rc == REFERRALS_OK) {
    /* after the token function, which may have taken its time */
    double left = referrals_deadline_left(x->deadline, x->start);
    x->expired = left == 0;
    if (x->expired)
      rc = referrals_error_set(err, REFERRALS_E_TRANSPORT, "TIMEOUT", NULL,
                               "the call's deadline passed before attempt %d", x->attempt);
    x->rq.timeout = left > 0 ? left : 0;
  }
  if (rc != REFERRALS_OK) {
    err->attempts = x->attempt - 1;
    return rc;
  }
  x->began = referrals_monotonic();
  return REFERRALS_OK;
}

void referrals_pipeline_sent(referrals_pipeline *p, referrals_exchange *x, referrals_http *h) {
  if (!p->log) return;
  const char *headers[LOG_HEADERS];
  referrals_event ev;
  memset(&ev, 0, sizeof ev);
  ev.headers = headers;
  ev.nheaders = referrals_http_headers(h, headers, LOG_HEADERS);
  if (ev.nheaders > LOG_HEADERS) ev.nheaders = LOG_HEADERS;
  emit(p, x, REFERRALS_EVENT_REQUEST, &ev);
}

/* A write whose outcome is unknown: sent, and no answer came (issue 12). A token request
 * (form) changes nothing on the service. */
static void mark_in_doubt(const referrals_request *rq, referrals_failure failure,
                          referrals_error *err) {
  if (idempotent(rq) || rq->form ||
      (failure != REFERRALS_FAIL_AFTER_SEND && failure != REFERRALS_FAIL_TIMEOUT))
    return;
  err->in_doubt = 1;
  size_t n = strlen(err->message);
  snprintf(err->message + n, sizeof err->message - n,
           "; the %s was sent and may have been applied: the referral may exist",
           method_name(rq->method));
}

double referrals_pipeline_after(referrals_pipeline *p, referrals_exchange *x, referrals_http *h,
                                int rc, referrals_error *err) {
  const referrals_response *r = referrals_http_response(h);
  referrals_event ev;
  memset(&ev, 0, sizeof ev);
  ev.status = r->status;
  ev.duration = referrals_monotonic() - x->began;
  ev.error = rc == REFERRALS_OK ? NULL : err;
  emit(p, x, REFERRALS_EVENT_RESPONSE, &ev);
  err->attempts = x->attempt;
  if (rc != REFERRALS_OK && rc != REFERRALS_E_TRANSPORT) return -1; /* validation, memory */

  /* spec §4: a token refused may have been revoked or expired early: ask once more */
  if (rc == REFERRALS_OK && r->status == 401 && p->token && !x->refreshed &&
      referrals_deadline_left(x->deadline, x->start) != 0) {
    x->refreshed = x->force = 1;
    ev.delay = 0;
    emit(p, x, REFERRALS_EVENT_RETRY, &ev);
    return 0;
  }
  if (rc == REFERRALS_OK && !referrals_retry_status(r->status)) return -1;

  referrals_outcome outcome = {rc == REFERRALS_OK ? r->status : 0, rc == REFERRALS_OK
                                                                       ? REFERRALS_FAIL_NONE
                                                                       : referrals_http_failure(h)};
  int has_if_match = x->rq.if_match != NULL;
  double delay = referrals_retry_decide(&p->policy, ++x->retries, x->rq.method, has_if_match,
                                        outcome, rc == REFERRALS_OK ? r->retry_after : -1,
                                        referrals_deadline_left(x->deadline, x->start), jitter());
  if (delay < 0) {
    if (rc != REFERRALS_OK) {
      err->retryable = referrals_retry_allowed(x->rq.method, has_if_match, outcome);
      mark_in_doubt(&x->rq, outcome.failure, err);
    }
    return -1; /* an answer: the caller turns it into the error record */
  }
  ev.delay = delay;
  emit(p, x, REFERRALS_EVENT_RETRY, &ev);
  return delay;
}

int referrals_pipeline_run(referrals_pipeline *p, referrals_client *c, referrals_http *h,
                           const referrals_request *rq, referrals_error *err) {
  referrals_exchange x;
  referrals_exchange_init(&x, rq, p->index, p->deadline);
  p->deadline = 0;
  referrals_error last; /* the outcome of the attempt before a wait */
  int last_rc = REFERRALS_OK;
  for (;;) {
    int rc = referrals_pipeline_before(p, c, &x, err);
    if (rc != REFERRALS_OK && x.expired && x.attempt > 1) {
      *err = last;    /* the deadline passed during the wait: the last answer stands (h still */
      return last_rc; /* holds it: nothing was started since) */
    }
    if (rc != REFERRALS_OK) return rc;
    rc = referrals_http_start(h, &x.rq, err);
    if (rc == REFERRALS_OK) {
      referrals_pipeline_sent(p, &x, h);
      rc = referrals_http_finish(h, curl_easy_perform(referrals_http_easy(h)), err);
    } else if (rc == REFERRALS_E_VALIDATION) {
      err->attempts = x.attempt - 1; /* refused before sending: nothing went out */
      return rc;
    }
    double delay = referrals_pipeline_after(p, &x, h, rc, err);
    if (delay < 0) return rc;
    last = *err;
    last_rc = rc;
    pause_for(delay);
  }
}
