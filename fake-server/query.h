/* URL query strings and x-www-form-urlencoded bodies: decoding and encoding. */
#ifndef FAKE_QUERY_H
#define FAKE_QUERY_H

#include <stddef.h>

#include "buf.h"

struct param {
    char *name;
    char *value;
};

struct params {
    struct param *items;
    size_t count;
    size_t cap;
};

#define PARAMS_INIT                                                                                \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

/* Parses "a=1&b=x+y%21" into decoded name/value pairs ('+' is a space, as in
 * HTML forms and as OData clients send it). Returns 0, or -1 with a reason in
 * err for malformed percent-escapes or an encoded NUL. Parses what it can
 * either way; the caller frees p. */
int params_parse(struct params *p, const char *raw, size_t len, strbuf *err);

/* The value of the first parameter called name, or NULL. */
const char *params_get(const struct params *p, const char *name);

void params_free(struct params *p);

/* Appends s percent-encoded (everything except RFC 3986 unreserved
 * characters), suitable for a query value. */
void url_encode(strbuf *b, const char *s);

#endif
