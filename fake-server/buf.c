/* Memory helpers and a growable byte buffer (see buf.h). */
#include "buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void out_of_memory(void)
{
    fputs("referrals-fake-server: out of memory\n", stderr);
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        out_of_memory();
    return p;
}

void *xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        out_of_memory();
    return p;
}

void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        out_of_memory();
    return p;
}

char *xstrndup(const char *s, size_t n)
{
    char *d = xmalloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

size_t str_hash(const char *s)
{
    uint64_t h = 1469598103934665603u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return (size_t)h;
}

size_t next_capacity(size_t cap, size_t need, size_t elem)
{
    size_t n = cap ? cap : 8;
    while (n < need) {
        if (n > ((size_t)-1) / 2 / elem)
            out_of_memory();
        n *= 2;
    }
    return n;
}

void sb_reserve(strbuf *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    if (need < b->len)
        out_of_memory();
    if (need > b->cap) {
        size_t n = b->cap ? b->cap : 64;
        while (n < need) {
            if (n > ((size_t)-1) / 2)
                out_of_memory();
            n *= 2;
        }
        b->data = xrealloc(b->data, n);
        b->cap = n;
        b->data[b->len] = '\0'; /* keep the buffer a valid string */
    }
}

void sb_add(strbuf *b, const void *data, size_t len)
{
    sb_reserve(b, len);
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void sb_adds(strbuf *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

void sb_addc(strbuf *b, char c)
{
    sb_add(b, &c, 1);
}

void sb_vprintf(strbuf *b, const char *fmt, va_list ap)
{
    va_list again;
    int n;
    va_copy(again, ap);
    n = vsnprintf(NULL, 0, fmt, ap);
    if (n > 0) {
        sb_reserve(b, (size_t)n);
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, again);
        b->len += (size_t)n;
    }
    va_end(again);
}

void sb_printf(strbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(b, fmt, ap);
    va_end(ap);
}

char *sb_detach(strbuf *b, size_t *len)
{
    char *d;
    sb_reserve(b, 0);
    d = b->data;
    if (len)
        *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return d;
}

void sb_reset(strbuf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void sb_free(strbuf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
