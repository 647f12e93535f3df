/* What a route handler produces: status, headers and body of one response.
 * Handlers fill a struct reply; http.c turns it into an MHD response, so the
 * handlers never touch libmicrohttpd. */
#ifndef FAKE_REPLY_H
#define FAKE_REPLY_H

#include "buf.h"

struct header {
    char *name;
    char *value;
};

struct reply {
    unsigned status;
    strbuf body;        /* empty = no body */
    char *content_type; /* NULL = application/json (when there is a body) */
    struct header *headers;
    size_t nheaders;
    size_t cap;
};

void reply_init(struct reply *r);
void reply_free(struct reply *r);
void reply_header(struct reply *r, const char *name, const char *value);

/* Replaces the body with the API's error format (spec §5):
 * {"error":{"code":"<code>","message":"<message>","target":"<target>"}}
 * target is omitted when NULL. */
void reply_error(struct reply *r, unsigned status, const char *code, const char *target,
                 const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

/* 405 with an Allow header listing the methods the resource supports. */
void reply_method_not_allowed(struct reply *r, const char *method, const char *allow);

/* The spec §5 error code used for an HTTP status when nothing more specific
 * applies (e.g. 404 itemNotFound, 429 tooManyRequests). */
const char *error_code_for_status(unsigned status);

#endif
