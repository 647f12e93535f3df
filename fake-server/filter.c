/* $filter parsing and matching (see filter.h). Grammar, case-insensitive
 * keywords, whitespace = spaces or tabs:
 *   expr  := term { ws "and" (ws | "(") term }
 *   term  := "(" expr ")" | field ws+ "eq" ws+ value
 *   value := "'" { char | "''" } "'" | guid
 * Parenthesised groups nest at most MAX_DEPTH deep so hostile input cannot
 * recurse without bound. */
#include "filter.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_DEPTH 16
#define MAX_CONDITIONS 64

const char *const ref_field_names[RF_COUNT] = {
    "engagementId",    "status",        "substatus",           "type",
    "direction",       "qualification", "externalReferenceId", "createdDateTime",
    "updatedDateTime",
};

struct parser {
    const char *s;
    size_t pos;
    int depth;
    struct filter *f;
    strbuf *err;
};

static int fail(struct parser *p, const char *what)
{
    if (p->err->len == 0)
        sb_printf(p->err, "unsupported $filter: %s at position %zu", what, p->pos);
    return -1;
}

static size_t skip_ws(struct parser *p)
{
    size_t start = p->pos;
    while (p->s[p->pos] == ' ' || p->s[p->pos] == '\t')
        p->pos++;
    return p->pos - start;
}

/* Consumes keyword kw (any case) if it is there and followed by a boundary
 * character from after (or the end of the text when after contains '\0'). */
static int keyword(struct parser *p, const char *kw, const char *after)
{
    size_t n = strlen(kw);
    char next;
    if (strncasecmp(p->s + p->pos, kw, n) != 0)
        return 0;
    next = p->s[p->pos + n];
    if (!strchr(after, next)) /* strchr finds the terminating '\0' too */
        return 0;
    p->pos += n;
    return 1;
}

static int is_guid_at(const char *s)
{
    int i;
    for (i = 0; i < 36; i++) {
        int dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
            return 0;
    }
    return !isalnum((unsigned char)s[36]) && s[36] != '-' && s[36] != '_';
}

static int parse_value(struct parser *p, strbuf *out)
{
    const char *s = p->s;
    if (s[p->pos] == '\'') {
        p->pos++;
        for (;;) {
            if (s[p->pos] == '\0')
                return fail(p, "unterminated string literal");
            if (s[p->pos] == '\'') {
                if (s[p->pos + 1] != '\'')
                    break;
                p->pos++; /* '' is an escaped quote */
            }
            sb_addc(out, s[p->pos++]);
        }
        p->pos++;
        return 0;
    }
    if (is_guid_at(s + p->pos)) {
        sb_add(out, s + p->pos, 36);
        p->pos += 36;
        return 0;
    }
    return fail(p, "expected a quoted string or a GUID");
}

static int parse_condition(struct parser *p)
{
    size_t start = p->pos, len;
    int field;
    strbuf value = STRBUF_INIT;
    while (isalpha((unsigned char)p->s[p->pos]))
        p->pos++;
    len = p->pos - start;
    for (field = 0; field < RF_FILTERABLE; field++)
        if (strlen(ref_field_names[field]) == len &&
            strncmp(ref_field_names[field], p->s + start, len) == 0)
            break;
    if (field == RF_FILTERABLE) {
        p->pos = start;
        return fail(p, "expected one of engagementId, status, substatus, type, direction, "
                       "qualification, externalReferenceId");
    }
    if (!skip_ws(p) || !keyword(p, "eq", " \t") || !skip_ws(p))
        return fail(p, "expected ' eq '");
    if (parse_value(p, &value) < 0) {
        sb_free(&value);
        return -1;
    }
    if (p->f->count == MAX_CONDITIONS) {
        sb_free(&value);
        return fail(p, "too many conditions");
    }
    GROW(p->f->conds, p->f->cap, p->f->count + 1);
    p->f->conds[p->f->count].field = (enum ref_field)field;
    p->f->conds[p->f->count].value = sb_detach(&value, NULL);
    p->f->count++;
    return 0;
}

static int parse_expr(struct parser *p);

static int parse_term(struct parser *p)
{
    skip_ws(p);
    if (p->s[p->pos] != '(')
        return parse_condition(p);
    if (++p->depth > MAX_DEPTH)
        return fail(p, "parentheses nested too deeply");
    p->pos++;
    if (parse_expr(p) < 0)
        return -1;
    skip_ws(p);
    if (p->s[p->pos] != ')')
        return fail(p, "expected ')'");
    p->pos++;
    p->depth--;
    return 0;
}

static int parse_expr(struct parser *p)
{
    if (parse_term(p) < 0)
        return -1;
    for (;;) {
        size_t before = p->pos;
        skip_ws(p);
        if (!keyword(p, "and", " \t(")) {
            p->pos = before;
            return 0;
        }
        if (parse_term(p) < 0)
            return -1;
    }
}

int filter_parse(struct filter *f, const char *text, strbuf *err)
{
    struct parser p;
    p.s = text;
    p.pos = 0;
    p.depth = 0;
    p.f = f;
    p.err = err;
    if (parse_expr(&p) < 0)
        return -1;
    skip_ws(&p);
    if (text[p.pos] != '\0')
        return fail(&p, "unexpected text");
    return 0;
}

int filter_matches(const struct filter *f, char *const values[RF_COUNT])
{
    size_t i;
    for (i = 0; i < f->count; i++) {
        const char *v = values[f->conds[i].field];
        if (!v || strcmp(v, f->conds[i].value) != 0)
            return 0;
    }
    return 1;
}

void filter_free(struct filter *f)
{
    size_t i;
    for (i = 0; i < f->count; i++)
        free(f->conds[i].value);
    free(f->conds);
    f->conds = NULL;
    f->count = f->cap = 0;
}
