/* A small mutable JSON tree, read with yajl_tree and written by our own
 * serializer.
 *
 * Why not keep yajl_val trees: the server has to edit documents (JSON Patch,
 * server fields) and yajl_tree has no API for building or changing a tree.
 * Numbers keep their exact source text and members keep their order, so a
 * document the client sent comes back byte-for-byte equivalent (the fixtures
 * README requires re-encoding "member for member"). */
#ifndef FAKE_JSON_H
#define FAKE_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

typedef enum { JV_NULL, JV_FALSE, JV_TRUE, JV_NUMBER, JV_STRING, JV_ARRAY, JV_OBJECT } jv_kind;

typedef struct jv {
    jv_kind kind;
    char *text;   /* JV_STRING: the content; JV_NUMBER: the exact source text */
    size_t count; /* JV_ARRAY: items; JV_OBJECT: members */
    size_t cap;
    char **keys;       /* JV_OBJECT: member names, parallel to items */
    struct jv **items; /* JV_ARRAY items or JV_OBJECT member values */
} jv;

/* Parses text[0..len) (text[len] must be '\0'). On error returns NULL and puts
 * a one-line reason into err. Besides yajl's own checks it refuses what would
 * make the stored copy differ from what was sent or endanger the server:
 * comments, NUL bytes, "\u0000" in strings, nesting deeper than 256. */
jv *jv_parse(const char *text, size_t len, strbuf *err);

jv *jv_new(jv_kind kind);
jv *jv_copy(const jv *v);
void jv_free(jv *v);

/* Object access; all return NULL when obj is not an object or lacks key. */
jv *jv_get(const jv *obj, const char *key);
const char *jv_get_str(const jv *obj, const char *key); /* NULL unless a string */

/* Sets member key of an object to val (taking ownership): an existing member
 * keeps its position, a new one goes last. */
void jv_set(jv *obj, const char *key, jv *val);
void jv_set_str(jv *obj, const char *key, const char *s);
void jv_append(jv *arr, jv *val);

/* Compact serialization. */
void jv_write(strbuf *b, const jv *v);

/* jv_write of the object obj, b empty, each member's offset in the text into starts
 * (obj->count of them): a $select then copies members without parsing (select_write). */
void jv_write_object(strbuf *b, const jv *obj, uint32_t *starts);

/* Writes s[0..len) as a JSON string literal. Bytes that are not valid UTF-8
 * become U+FFFD so the output is always valid JSON (request bodies recorded by
 * the control API may be arbitrary bytes). */
void json_write_string(strbuf *b, const char *s, size_t len);
void json_write_cstr(strbuf *b, const char *s);

#endif
