/* $filter parsing and matching (see filter.h). Grammar, case-insensitive
 * keywords, whitespace = spaces or tabs:
 *   expr  := term { ws "and" (ws | "(") term }
 *   term  := "(" expr ")" | field ws+ op ws+ value
 *   op    := "eq" | "gt" | "ge" | "lt" | "le"   (all but eq: datetimes only)
 *   value := "'" { char | "''" } "'" | guid | datetime
 * A datetime literal is unquoted, as OData writes DateTimeOffset values:
 * 2026-12-02T14:00:00Z, with up to 7 fractional digits.
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

/* An unquoted DateTimeOffset literal: YYYY-MM-DDTHH:MM:SS[.f{1,7}]Z. */
static size_t datetime_literal_at(const char *s)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    size_t i, digits = 0;
    for (i = 0; i < sizeof shape - 1; i++)
        if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != shape[i])
            return 0;
    if (s[i] == '.') {
        for (i++; isdigit((unsigned char)s[i]); i++)
            digits++;
        if (digits == 0 || digits > 7)
            return 0;
    }
    return s[i] == 'Z' && !isalnum((unsigned char)s[i + 1]) ? i + 1 : 0;
}

static int parse_op(struct parser *p, enum filter_op *op)
{
    static const char *const names[] = {"eq", "gt", "ge", "lt", "le"};
    int i;
    for (i = 0; i < 5; i++) {
        if (keyword(p, names[i], " \t")) {
            *op = (enum filter_op)i;
            return 0;
        }
    }
    return -1;
}

static int parse_condition(struct parser *p)
{
    size_t start = p->pos, len;
    int field;
    enum filter_op op;
    strbuf value = STRBUF_INIT;
    while (isalpha((unsigned char)p->s[p->pos]))
        p->pos++;
    len = p->pos - start;
    for (field = 0; field < RF_COUNT; field++)
        if (strlen(ref_field_names[field]) == len &&
            strncmp(ref_field_names[field], p->s + start, len) == 0)
            break;
    if (field == RF_COUNT) {
        p->pos = start;
        return fail(p, "expected one of engagementId, status, substatus, type, direction, "
                       "qualification, externalReferenceId, createdDateTime, updatedDateTime");
    }
    if (!skip_ws(p) || parse_op(p, &op) < 0 || !skip_ws(p))
        return fail(p, "expected ' eq ', ' gt ', ' ge ', ' lt ' or ' le '");
    if (op != OP_EQ && field < RF_DATETIMES)
        return fail(p, "gt, ge, lt and le compare createdDateTime or updatedDateTime only");
    len = field >= RF_DATETIMES ? datetime_literal_at(p->s + p->pos) : 0;
    if (len) {
        sb_add(&value, p->s + p->pos, len);
        p->pos += len;
    } else if (parse_value(p, &value) < 0) {
        sb_free(&value);
        return -1;
    }
    if (p->f->count == MAX_CONDITIONS) {
        sb_free(&value);
        return fail(p, "too many conditions");
    }
    GROW(p->f->conds, p->f->cap, p->f->count + 1);
    p->f->conds[p->f->count].field = (enum ref_field)field;
    p->f->conds[p->f->count].op = op;
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

/* Compares two service datetimes (NULL first). Whole seconds compare as text
 * (fixed-width ISO 8601); fractions compare as 7 digits, so "...:05Z" sorts
 * before "...:05.5Z" although '.' < 'Z' in ASCII. */
int datetime_compare(const char *a, const char *b)
{
    size_t la, lb;
    int c, i;
    const char *fa, *fb;
    if (!a || !b)
        return (a != NULL) - (b != NULL);
    la = strcspn(a, ".Z+");
    lb = strcspn(b, ".Z+");
    c = strncmp(a, b, la < lb ? la : lb);
    if (c || la != lb)
        return c ? c : (la < lb ? -1 : 1);
    fa = a[la] == '.' ? a + la + 1 : "";
    fb = b[lb] == '.' ? b + lb + 1 : "";
    for (i = 0; i < 7; i++) {
        char da = (fa[0] >= '0' && fa[0] <= '9') ? *fa++ : '0';
        char db = (fb[0] >= '0' && fb[0] <= '9') ? *fb++ : '0';
        if (da != db)
            return da < db ? -1 : 1;
    }
    return 0;
}

static int condition_holds(const struct condition *c, const char *v)
{
    int order;
    if (!v)
        return 0;
    if (c->field < RF_DATETIMES)
        return strcmp(v, c->value) == 0;
    order = datetime_compare(v, c->value);
    switch (c->op) {
    case OP_GT:
        return order > 0;
    case OP_GE:
        return order >= 0;
    case OP_LT:
        return order < 0;
    case OP_LE:
        return order <= 0;
    default:
        return order == 0;
    }
}

int filter_matches(const struct filter *f, char *const values[RF_COUNT])
{
    size_t i;
    for (i = 0; i < f->count; i++)
        if (!condition_holds(&f->conds[i], values[f->conds[i].field]))
            return 0;
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
