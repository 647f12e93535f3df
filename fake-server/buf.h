/* Memory helpers and a growable byte buffer.
 *
 * The fake server treats running out of memory as fatal (it aborts): it is a
 * test tool, and a half-handled allocation failure would only produce
 * misleading test results. Every other error is reported to the client. */
#ifndef FAKE_BUF_H
#define FAKE_BUF_H

#include <stdarg.h>
#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* A hash of a NUL-terminated string (FNV-1a), for the server's hash tables. */
size_t str_hash(const char *s);

/* The capacity (in elements of size elem) to grow an array of cap elements to
 * so that it holds at least need; doubling keeps appends amortised O(1). */
size_t next_capacity(size_t cap, size_t need, size_t elem);

/* Makes the array arr (cap elements allocated) hold at least need elements. */
#define GROW(arr, cap, need)                                                                       \
    do {                                                                                           \
        if ((need) > (cap)) {                                                                      \
            (cap) = next_capacity((cap), (need), sizeof *(arr));                                   \
            (arr) = xrealloc((arr), (cap) * sizeof *(arr));                                        \
        }                                                                                          \
    } while (0)

/* A NUL-terminated byte buffer; data may also hold NUL bytes (len counts). */
typedef struct strbuf {
    char *data;
    size_t len;
    size_t cap;
} strbuf;

#define STRBUF_INIT                                                                                \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

void sb_reserve(strbuf *b, size_t extra);
void sb_add(strbuf *b, const void *data, size_t len);
void sb_adds(strbuf *b, const char *s);
void sb_addc(strbuf *b, char c);
void sb_printf(strbuf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void sb_vprintf(strbuf *b, const char *fmt, va_list ap);
/* Hands the contents over to the caller (never NULL) and empties b. */
char *sb_detach(strbuf *b, size_t *len);
void sb_reset(strbuf *b);
void sb_free(strbuf *b);

#endif
