/* Query strings and form bodies (see query.h). */
#include "query.h"

#include <stdlib.h>
#include <string.h>

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes s[0..len) into a new string; NULL on a bad or NUL escape. */
static char *decode(const char *s, size_t len)
{
    char *out = xmalloc(len + 1), *o = out;
    size_t i;
    for (i = 0; i < len; i++) {
        if (s[i] == '+') {
            *o++ = ' ';
        } else if (s[i] == '%') {
            int hi, lo;
            if (len - i < 3) {
                free(out);
                return NULL;
            }
            hi = hex_value(s[i + 1]);
            lo = hex_value(s[i + 2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                free(out);
                return NULL;
            }
            *o++ = (char)(hi * 16 + lo);
            i += 2;
        } else {
            *o++ = s[i];
        }
    }
    *o = '\0';
    return out;
}

int params_parse(struct params *p, const char *raw, size_t len, strbuf *err)
{
    size_t start = 0;
    int rc = 0;
    while (start < len) {
        const char *piece = raw + start;
        const char *amp = memchr(piece, '&', len - start);
        size_t plen = amp ? (size_t)(amp - piece) : len - start;
        const char *eq = memchr(piece, '=', plen);
        size_t nlen = eq ? (size_t)(eq - piece) : plen;
        start += plen + 1;
        if (plen == 0)
            continue;
        {
            char *name = decode(piece, nlen);
            char *value = eq ? decode(eq + 1, plen - nlen - 1) : xstrdup("");
            if (!name || !value) {
                if (rc == 0)
                    sb_printf(err, "bad percent-encoding in '%.*s'", (int)(plen > 64 ? 64 : plen),
                              piece);
                rc = -1;
                free(name);
                free(value);
                continue;
            }
            GROW(p->items, p->cap, p->count + 1);
            p->items[p->count].name = name;
            p->items[p->count].value = value;
            p->count++;
        }
    }
    return rc;
}

const char *params_get(const struct params *p, const char *name)
{
    size_t i;
    for (i = 0; i < p->count; i++)
        if (strcmp(p->items[i].name, name) == 0)
            return p->items[i].value;
    return NULL;
}

void params_free(struct params *p)
{
    size_t i;
    for (i = 0; i < p->count; i++) {
        free(p->items[i].name);
        free(p->items[i].value);
    }
    free(p->items);
    p->items = NULL;
    p->count = p->cap = 0;
}

void url_encode(strbuf *b, const char *s)
{
    static const char digits[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~') {
            sb_addc(b, (char)c);
        } else {
            char esc[3] = {'%', digits[c >> 4], digits[c & 15]};
            sb_add(b, esc, 3);
        }
    }
}
