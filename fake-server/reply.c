/* Responses under construction (see reply.h). */
#include "reply.h"

#include <stdarg.h>
#include <stdlib.h>

#include "json.h"

void reply_init(struct reply *r)
{
    r->status = 500;
    r->body.data = NULL;
    r->body.len = r->body.cap = 0;
    r->content_type = NULL;
    r->headers = NULL;
    r->nheaders = r->cap = 0;
}

void reply_free(struct reply *r)
{
    size_t i;
    for (i = 0; i < r->nheaders; i++) {
        free(r->headers[i].name);
        free(r->headers[i].value);
    }
    free(r->headers);
    free(r->content_type);
    sb_free(&r->body);
    reply_init(r);
}

void reply_header(struct reply *r, const char *name, const char *value)
{
    GROW(r->headers, r->cap, r->nheaders + 1);
    r->headers[r->nheaders].name = xstrdup(name);
    r->headers[r->nheaders].value = xstrdup(value);
    r->nheaders++;
}

void reply_error(struct reply *r, unsigned status, const char *code, const char *target,
                 const char *fmt, ...)
{
    strbuf msg = STRBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(&msg, fmt, ap);
    va_end(ap);
    r->status = status;
    sb_reset(&r->body);
    sb_adds(&r->body, "{\"error\":{\"code\":");
    json_write_cstr(&r->body, code);
    sb_adds(&r->body, ",\"message\":");
    json_write_string(&r->body, msg.data ? msg.data : "", msg.len);
    if (target) {
        sb_adds(&r->body, ",\"target\":");
        json_write_cstr(&r->body, target);
    }
    sb_adds(&r->body, "}}");
    sb_free(&msg);
}

void reply_method_not_allowed(struct reply *r, const char *method, const char *allow)
{
    reply_error(r, 405, error_code_for_status(405), NULL, "Method %s is not allowed here", method);
    reply_header(r, "Allow", allow);
}

const char *error_code_for_status(unsigned status)
{
    switch (status) {
    case 400:
        return "invalidRequest";
    case 401:
        return "unauthenticated";
    case 403:
        return "accessDenied";
    case 404:
        return "itemNotFound";
    case 405:
        return "methodNotAllowed";
    case 409:
        return "conflict";
    case 412:
        return "preconditionFailed";
    case 413:
        return "requestEntityTooLarge";
    case 428:
        return "preconditionFailed";
    case 429:
        return "tooManyRequests";
    case 503:
        return "serviceNotAvailable";
    default:
        return "generalException";
    }
}
