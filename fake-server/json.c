/* JSON tree, parser front end and serializer (see json.h). */
#include "json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

/* Deep enough for any referral (about 6 levels); shallow enough that the
 * recursive copy/free/write below can never exhaust a thread's stack. */
#define JSON_MAX_DEPTH 256

jv *jv_new(jv_kind kind)
{
    jv *v = xcalloc(1, sizeof *v);
    v->kind = kind;
    return v;
}

static jv *jv_text(jv_kind kind, const char *s)
{
    jv *v = jv_new(kind);
    v->text = xstrdup(s);
    return v;
}

void jv_free(jv *v)
{
    size_t i;
    if (!v)
        return;
    for (i = 0; i < v->count; i++) {
        if (v->keys)
            free(v->keys[i]);
        jv_free(v->items[i]);
    }
    free(v->keys);
    free(v->items);
    free(v->text);
    free(v);
}

static void jv_push(jv *v, char *key, jv *item)
{
    if (v->count == v->cap) {
        v->cap = next_capacity(v->cap, v->count + 1, sizeof *v->items);
        v->items = xrealloc(v->items, v->cap * sizeof *v->items);
        if (v->kind == JV_OBJECT)
            v->keys = xrealloc(v->keys, v->cap * sizeof *v->keys);
    }
    if (v->kind == JV_OBJECT)
        v->keys[v->count] = key;
    v->items[v->count++] = item;
}

jv *jv_copy(const jv *v)
{
    size_t i;
    jv *c = jv_new(v->kind);
    if (v->text)
        c->text = xstrdup(v->text);
    for (i = 0; i < v->count; i++)
        jv_push(c, v->keys ? xstrdup(v->keys[i]) : NULL, jv_copy(v->items[i]));
    return c;
}

jv *jv_get(const jv *obj, const char *key)
{
    size_t i;
    if (!obj || obj->kind != JV_OBJECT)
        return NULL;
    for (i = 0; i < obj->count; i++)
        if (strcmp(obj->keys[i], key) == 0)
            return obj->items[i];
    return NULL;
}

const char *jv_get_str(const jv *obj, const char *key)
{
    const jv *v = jv_get(obj, key);
    return v && v->kind == JV_STRING ? v->text : NULL;
}

void jv_set(jv *obj, const char *key, jv *val)
{
    size_t i;
    for (i = 0; i < obj->count; i++) {
        if (strcmp(obj->keys[i], key) == 0) {
            jv_free(obj->items[i]);
            obj->items[i] = val;
            return;
        }
    }
    jv_push(obj, xstrdup(key), val);
}

void jv_set_str(jv *obj, const char *key, const char *s)
{
    jv_set(obj, key, jv_text(JV_STRING, s));
}

void jv_append(jv *arr, jv *val)
{
    jv_push(arr, NULL, val);
}

/* ---- parsing ---- */

/* Rejects what yajl_tree would accept or silently alter (see json.h) and
 * bounds the nesting depth before any recursive code sees the document. */
static const char *prescan(const char *s, size_t len)
{
    size_t i, depth = 0;
    int in_string = 0;
    if (memchr(s, '\0', len))
        return "the JSON text contains a NUL byte";
    for (i = 0; i < len; i++) {
        char c = s[i];
        if (in_string) {
            if (c == '\\') {
                if (i + 5 < len && s[i + 1] == 'u' && memcmp(s + i + 2, "0000", 4) == 0)
                    return "strings containing \\u0000 are not supported";
                i++; /* the escaped character cannot end the string */
            } else if (c == '"') {
                in_string = 0;
            }
        } else if (c == '"') {
            in_string = 1;
        } else if (c == '{' || c == '[') {
            if (++depth > JSON_MAX_DEPTH)
                return "JSON nesting is too deep";
        } else if (c == '}' || c == ']') {
            if (depth)
                depth--;
        } else if (c == '/') {
            return "comments are not allowed in JSON";
        }
    }
    return NULL;
}

static jv *from_yajl(yajl_val y)
{
    jv *v;
    size_t i;
    switch (y->type) {
    case yajl_t_string:
        return jv_text(JV_STRING, y->u.string);
    case yajl_t_number:
        return jv_text(JV_NUMBER, y->u.number.r);
    case yajl_t_true:
        return jv_new(JV_TRUE);
    case yajl_t_false:
        return jv_new(JV_FALSE);
    case yajl_t_object:
        v = jv_new(JV_OBJECT);
        for (i = 0; i < y->u.object.len; i++)
            jv_push(v, xstrdup(y->u.object.keys[i]), from_yajl(y->u.object.values[i]));
        return v;
    case yajl_t_array:
        v = jv_new(JV_ARRAY);
        for (i = 0; i < y->u.array.len; i++)
            jv_push(v, NULL, from_yajl(y->u.array.values[i]));
        return v;
    default:
        return jv_new(JV_NULL);
    }
}

jv *jv_parse(const char *text, size_t len, strbuf *err)
{
    char ybuf[256];
    const char *why;
    yajl_val y;
    jv *v;
    if (len == 0) {
        sb_adds(err, "the body is empty");
        return NULL;
    }
    if ((why = prescan(text, len)) != NULL) {
        sb_adds(err, why);
        return NULL;
    }
    ybuf[0] = '\0';
    y = yajl_tree_parse(text, ybuf, sizeof ybuf);
    if (!y) {
        /* yajl's message is "<reason>\n<excerpt>\n<pointer>": keep the reason. */
        sb_add(err, ybuf, strcspn(ybuf, "\n"));
        if (err->len == 0)
            sb_adds(err, "invalid JSON");
        return NULL;
    }
    v = from_yajl(y);
    yajl_tree_free(y);
    return v;
}

/* ---- writing ---- */

/* Length of the valid UTF-8 sequence at s (n bytes available), 0 if invalid. */
static size_t utf8_sequence(const unsigned char *s, size_t n)
{
    size_t need, i;
    unsigned char lo = 0x80, hi = 0xBF;
    if (s[0] >= 0xC2 && s[0] <= 0xDF)
        need = 1;
    else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
        need = 2;
        if (s[0] == 0xE0)
            lo = 0xA0; /* overlong */
        else if (s[0] == 0xED)
            hi = 0x9F; /* surrogates */
    } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
        need = 3;
        if (s[0] == 0xF0)
            lo = 0x90; /* overlong */
        else if (s[0] == 0xF4)
            hi = 0x8F; /* beyond U+10FFFF */
    } else
        return 0;
    if (need >= n)
        return 0;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (i = 2; i <= need; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return need + 1;
}

void json_write_string(strbuf *b, const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, run = 0;
    sb_reserve(b, len + 2);
    sb_addc(b, '"');
    while (i < len) {
        unsigned char c = u[i];
        const char *esc = NULL;
        char hex[8];
        size_t seq;
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0x80 && (seq = utf8_sequence(u + i, len - i)) != 0) {
            i += seq;
            continue;
        }
        sb_add(b, s + run, i - run);
        switch (c) {
        case '"':
            esc = "\\\"";
            break;
        case '\\':
            esc = "\\\\";
            break;
        case '\b':
            esc = "\\b";
            break;
        case '\f':
            esc = "\\f";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\r':
            esc = "\\r";
            break;
        case '\t':
            esc = "\\t";
            break;
        default:
            if (c < 0x20) {
                static const char digits[] = "0123456789abcdef";
                memcpy(hex, "\\u00", 4);
                hex[4] = digits[c >> 4];
                hex[5] = digits[c & 15];
                hex[6] = '\0';
                esc = hex;
            } else {
                esc = "\\ufffd";
            }
        }
        sb_adds(b, esc);
        run = ++i;
    }
    sb_add(b, s + run, len - run);
    sb_addc(b, '"');
}

void json_write_cstr(strbuf *b, const char *s)
{
    json_write_string(b, s, strlen(s));
}

/* starts (NULL, or obj->count long) gets where each member's text begins in b. */
static void write_members(strbuf *b, const jv *obj, uint32_t *starts)
{
    size_t i;
    for (i = 0; i < obj->count; i++) {
        if (i)
            sb_addc(b, ',');
        if (starts)
            starts[i] = (uint32_t)b->len;
        json_write_cstr(b, obj->keys[i]);
        sb_addc(b, ':');
        jv_write(b, obj->items[i]);
    }
}

void jv_write(strbuf *b, const jv *v)
{
    size_t i;
    switch (v->kind) {
    case JV_NULL:
        sb_adds(b, "null");
        break;
    case JV_TRUE:
        sb_adds(b, "true");
        break;
    case JV_FALSE:
        sb_adds(b, "false");
        break;
    case JV_NUMBER:
        sb_adds(b, v->text);
        break;
    case JV_STRING:
        json_write_cstr(b, v->text);
        break;
    case JV_ARRAY:
        sb_addc(b, '[');
        for (i = 0; i < v->count; i++) {
            if (i)
                sb_addc(b, ',');
            jv_write(b, v->items[i]);
        }
        sb_addc(b, ']');
        break;
    case JV_OBJECT:
        sb_addc(b, '{');
        write_members(b, v, NULL);
        sb_addc(b, '}');
        break;
    }
}

void jv_write_object(strbuf *b, const jv *obj, uint32_t *starts)
{
    sb_addc(b, '{');
    write_members(b, obj, starts);
    sb_addc(b, '}');
}
