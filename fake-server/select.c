/* $select parsing and projection (see select.h). */
#include "select.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

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

/* Whether the member whose key (a JSON string, quotes included) begins at key is selected.
 * Names hold no '"' or '\\', so a key with an escape never matches. */
static int selected(const struct select *s, const char *key)
{
    size_t i;
    for (i = 0; i < s->count; i++) {
        size_t n = strlen(s->names[i]);
        if (strncmp(key + 1, s->names[i], n) == 0 && key[n + 1] == '"')
            return 1;
    }
    return 0;
}

void select_write(const struct select *s, const char *json, size_t len, const uint32_t *starts,
                  size_t members, strbuf *out)
{
    size_t i, written = 0;
    if (!s->count || !members) { /* every member; a stored text is never empty otherwise */
        sb_add(out, json, len);
        return;
    }
    sb_addc(out, '{');
    for (i = 0; i < members; i++) {
        size_t end = i + 1 < members ? starts[i + 1] - 1 : len - 1; /* before ',' or '}' */
        if (!selected(s, json + starts[i]))
            continue;
        if (written++)
            sb_addc(out, ',');
        sb_add(out, json + starts[i], end - starts[i]);
    }
    sb_addc(out, '}');
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
