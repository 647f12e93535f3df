/* State shared by every part of the fake service, and the request as the
 * route handlers see it (already read in full by http.c). */
#ifndef FAKE_SERVER_H
#define FAKE_SERVER_H

#include <pthread.h>
#include <stddef.h>

#include "faults.h"
#include "ids.h"
#include "options.h"
#include "reqlog.h"
#include "store.h"
#include "tokens.h"

struct registration;
struct events;

/* Larger request bodies get 413; a referral is a few kilobytes. */
#define MAX_BODY_BYTES (4u * 1024u * 1024u)

struct server {
    const struct options *opt;
    struct store *store;
    struct reqlog *log;
    struct faults *faults;
    struct tokens *tokens;
    struct registration *registration;  /* the webhook registration (registration.c) */
    struct events *events;              /* the signed events it gets (events.c) */
    char organization_id[GUID_LEN + 1]; /* fixed per run, like a partner's */
    unsigned port;                      /* the port actually bound */
    /* Delayed responses wait on this so shutdown need not wait for them. */
    pthread_mutex_t wait_lock;
    pthread_cond_t wait_cond;
    int stopping;
};

struct request {
    const char *method;
    const char *path;     /* percent-decoded by libmicrohttpd: used for routing */
    const char *raw_path; /* as sent: recorded and matched by faults */
    const char *query;    /* raw query string without '?', "" if none */
    const char *body;     /* NUL-terminated; may be empty */
    size_t body_len;
    /* Headers the handlers use; NULL when absent. */
    const char *authorization;
    const char *content_type;
    const char *if_match;
    const char *prefer;
};

#endif
