/* $select parsing and projection (see select.h). */
#include "select.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

#define MAX_NAMES 64

int select_parse(struct select *s, const char *text, strbuf *err)
{
    size_t cap = 0;
    const char *p = text;
    if (strspn(text, " ") == strlen(text) || strcmp(text + strspn(text, " "), "*") == 0)
        return 0;
    for (;;) {
        const char *start;
        size_t len;
        p += strspn(p, " ");
        start = p;
        while (isalnum((unsigned char)*p) || *p == '_' || *p == '@' || *p == '.')
            p++;
        len = (size_t)(p - start);
        p += strspn(p, " ");
        if (len == 0 || (*p != ',' && *p != '\0')) {
            sb_printf(err, "unsupported $select: expected a member name at position %zu",
                      (size_t)(start - text));
            select_free(s);
            return -1;
        }
        if (s->count == MAX_NAMES) {
            sb_printf(err, "unsupported $select: more than %d names", MAX_NAMES);
            select_free(s);
            return -1;
        }
        GROW(s->names, cap, s->count + 1);
        s->names[s->count] = xmalloc(len + 1);
        memcpy(s->names[s->count], start, len);
        s->names[s->count][len] = '\0';
        s->count++;
        if (*p == '\0')
            return 0;
        p++;
    }
}

static int selected(const struct select *s, const char *key)
{
    size_t i;
    for (i = 0; i < s->count; i++)
        if (strcmp(s->names[i], key) == 0)
            return 1;
    return 0;
}

void select_write(const struct select *s, const char *json, size_t len, strbuf *out)
{
    strbuf err = STRBUF_INIT;
    jv *v = s->count ? jv_parse(json, len, &err) : NULL;
    size_t i, written = 0;
    sb_free(&err);
    if (!v || v->kind != JV_OBJECT) { /* stored text is always an object; be safe */
        sb_add(out, json, len);
        jv_free(v);
        return;
    }
    sb_addc(out, '{');
    for (i = 0; i < v->count; i++) {
        if (!selected(s, v->keys[i]))
            continue;
        if (written++)
            sb_addc(out, ',');
        json_write_cstr(out, v->keys[i]);
        sb_addc(out, ':');
        jv_write(out, v->items[i]);
    }
    sb_addc(out, '}');
    jv_free(v);
}

void select_free(struct select *s)
{
    size_t i;
    for (i = 0; i < s->count; i++)
        free(s->names[i]);
    free(s->names);
    s->names = NULL;
    s->count = 0;
}
