/* Injected faults: a queue of misbehaviours the control API sets up and API
 * requests consume, so client tests can exercise throttling, server errors,
 * slow responses and broken connections or bodies. Thread-safe. */
#ifndef FAKE_FAULTS_H
#define FAKE_FAULTS_H

#include <stddef.h>

#include "json.h"
#include "reply.h"

struct fault {
    long status;        /* reply with this instead of processing; 0 = process */
    char *body;         /* replacement body, NULL = keep */
    char *content_type; /* for body; NULL = application/json */
    char *retry_after;  /* Retry-After header, NULL = none */
    struct header *headers;
    size_t nheaders;
    long delay_ms;      /* wait before answering */
    long drip_ms;       /* send the body one byte every drip_ms (a slow-drip server) */
    int drop;           /* send part of the body, then close the connection */
    int malformed;      /* break the JSON syntax of the body */
    int truncated;      /* send only the first half of the body */
    char *close;        /* "before_apply", "after_apply", "when_idle" or NULL (see README) */
    char *match_method; /* NULL = any method */
    char *match_path;   /* path prefix; NULL = any path under /v1.0/ */
    long remaining;     /* how many more requests it applies to */
};

struct faults;

struct faults *faults_new(void);
void faults_free(struct faults *q);
void faults_clear(struct faults *q);
size_t faults_pending(struct faults *q); /* sum of remaining counts */

/* Queues the faults described by spec (one fault object or an array of
 * them). All or nothing: returns the number queued, or -1 with a 400 in r. */
long faults_add(struct faults *q, const jv *spec, struct reply *r);

/* Consumes one application of the first queued fault matching a request and
 * returns a copy for the caller to free with fault_free; NULL if none. */
struct fault *faults_take(struct faults *q, const char *method, const char *path);

void fault_free(struct fault *f);

/* Whether f (may be NULL) closes the connection at when: "before_apply", "after_apply",
 * "when_idle". */
int fault_closes(const struct fault *f, const char *when);

#endif
