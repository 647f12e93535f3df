/*
 * json_decode.c: JSON text -> C structs, one recursive-descent pass over the scanner
 * (json_scan.h) driven by the descriptors: each member's field says what to expect, and
 * the value lands in place. No DOM, no events to route back.
 *
 * Reading is tolerant, because the service sends more than it documents (spec §6.7): a
 * member the schema does not know is kept as raw JSON in the struct's unknown list, and a
 * known member in an unexpected shape is kept as raw JSON in place (REFERRALS_RAW). Both
 * are written back verbatim by encode.
 */
#include <stdlib.h>
#include <string.h>

#include "json_scan.h"
#include "referrals.h"

typedef struct decoder {
  referrals_scanner s;
  referrals_arena *arena;
  referrals_error *err;
  /* items of the open arrays, stacked; each array copies its own out when it closes */
  referrals_value *items;
  size_t nitems, items_cap;
  size_t budget; /* arena bytes the rest of the document may still take */
} decoder;

static int out_of_memory(decoder *d) {
  referrals_error_out_of_memory(d->err);
  return -1;
}

static int too_large(decoder *d) {
  referrals_error_set(d->err, REFERRALS_E_JSON, "too_large", NULL, "string too long");
  return -1;
}

static int decoded_too_large(decoder *d) {
  referrals_error_set(d->err, REFERRALS_E_JSON, "decoded_too_large", NULL,
                      "the document decodes to more than %u times its length plus 1 MiB",
                      REFERRALS_DECODE_RATIO);
  return -1;
}

/* n bytes of the arena, counted against the budget (issue 13: 16 MiB of [{},{},...] would
 * otherwise decode to gigabytes of structs); zeroed when zero. NULL after failing. */
static void *take(decoder *d, size_t n, int zero) {
  if (n > d->budget) {
    decoded_too_large(d);
    return NULL;
  }
  d->budget -= n;
  void *p = zero ? referrals_arena_alloc(d->arena, n) : referrals_arena_alloc_uninit(d->arena, n);
  if (!p) out_of_memory(d);
  return p;
}

/* The value of a scanned string, NUL-terminated, in the arena. */
static int copy_string(decoder *d, const referrals_json_string *str, const char **out,
                       uint32_t *len) {
  if (str->len > UINT32_MAX) return too_large(d);
  char *copy = take(d, str->len + 1, 0);
  if (!copy) return -1;
  size_t n = str->len;
  if (str->escaped)
    n = referrals_json_unescape(str, copy);
  else
    memcpy(copy, str->raw, n);
  copy[n] = '\0';
  *out = copy;
  *len = (uint32_t)n;
  return 0;
}

/* Copies checked JSON text without the whitespace between its tokens. */
static size_t compact(const char *p, size_t n, char *out) {
  size_t o = 0;
  int in_string = 0;
  for (size_t i = 0; i < n; i++) {
    char c = p[i];
    if (in_string) {
      if (c == '\\') {
        out[o++] = c;
        c = p[++i];
      } else if (c == '"') {
        in_string = 0;
      }
    } else if (c == '"') {
      in_string = 1;
    } else if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
      continue;
    }
    out[o++] = c;
  }
  return o;
}

/* Steps over the value at the scanner (in a container at nesting `depth`), checking it,
 * and keeps its text. */
static int read_raw(decoder *d, int depth, const char **json, uint32_t *len) {
  const char *start = d->s.p;
  if (referrals_scan_skip(&d->s, depth)) return -1;
  size_t n = (size_t)(d->s.p - start);
  if (n > UINT32_MAX) return too_large(d);
  char *copy = take(d, n + 1, 0);
  if (!copy) return -1;
  n = compact(start, n, copy);
  copy[n] = '\0';
  *json = copy;
  *len = (uint32_t)n;
  return 0;
}

static int read_object(decoder *d, const referrals_type *t, int depth, void **out);
static int read_array(decoder *d, const referrals_field *f, referrals_value *v, int depth);

static int accepts(uint8_t kind, int c) {
  switch (c) {
    case '"':
      return kind == REFERRALS_KIND_STRING || kind == REFERRALS_KIND_DATETIME ||
             kind == REFERRALS_KIND_ENUM;
    case '{': return kind == REFERRALS_KIND_OBJECT;
    case '[': return kind == REFERRALS_KIND_OBJECT_ARRAY || kind == REFERRALS_KIND_STRING_ARRAY;
    case 't':
    case 'f': return kind == REFERRALS_KIND_BOOL;
    case 'n': return 1; /* null is null whatever the kind */
    default: return kind == REFERRALS_KIND_NUMBER && (c == '-' || (c >= '0' && c <= '9'));
  }
}

/* Reads the value of field f (kind: f's, or its items' in an array) into v. depth is the
 * nesting of the container the value is in. */
static int read_value(decoder *d, const referrals_field *f, uint8_t kind, referrals_value *v,
                      int depth) {
  int c = referrals_scan_peek(&d->s);
  if (!accepts(kind, c)) {
    v->state = kind == REFERRALS_KIND_JSON ? REFERRALS_SET : REFERRALS_RAW;
    return read_raw(d, depth, &v->as.string, &v->len);
  }
  switch (c) {
    case '"': {
      referrals_json_string str;
      if (referrals_scan_string(&d->s, &str) || copy_string(d, &str, &v->as.string, &v->len))
        return -1;
      v->state = REFERRALS_SET;
      v->code = kind == REFERRALS_KIND_ENUM && f->enumeration
                    ? (int16_t)referrals_enum_find(f->enumeration, v->as.string, v->len)
                    : -1;
      return 0;
    }
    case '{': {
      void *obj;
      if (read_object(d, f->type, depth + 1, &obj)) return -1;
      v->state = REFERRALS_SET;
      v->as.object = obj;
      return 0;
    }
    case '[': return read_array(d, f, v, depth + 1);
    case 't':
    case 'f':
    case 'n': {
      int b;
      if (referrals_scan_literal(&d->s, &b)) return -1;
      v->state = b < 0 ? REFERRALS_NULL : REFERRALS_SET;
      v->as.boolean = b > 0;
      return 0;
    }
    default: return referrals_scan_number(&d->s, v);
  }
}

static int push_item(decoder *d, const referrals_value *item) {
  if (d->nitems == d->items_cap) { /* grows in the arena: freed with it, like everything else */
    size_t cap = d->items_cap ? d->items_cap * 2 : 32;
    referrals_value *p = take(d, cap * sizeof *p, 0);
    if (!p) return -1;
    if (d->nitems) memcpy(p, d->items, d->nitems * sizeof *p);
    d->items = p;
    d->items_cap = cap;
  }
  d->items[d->nitems++] = *item;
  return 0;
}

/* The array of field f (object or string items), opened at nesting depth. */
static int read_array(decoder *d, const referrals_field *f, referrals_value *v, int depth) {
  if (referrals_scan_open(&d->s, depth)) return -1;
  uint8_t item_kind =
      f->kind == REFERRALS_KIND_OBJECT_ARRAY ? REFERRALS_KIND_OBJECT : REFERRALS_KIND_STRING;
  size_t start = d->nitems;
  for (size_t i = 0;; i++) {
    int r = referrals_scan_item(&d->s, i);
    if (r < 0) return -1;
    if (r == 0) break;
    referrals_value item;
    memset(&item, 0, sizeof item);
    if (read_value(d, f, item_kind, &item, depth) || push_item(d, &item)) return -1;
  }
  size_t n = d->nitems - start;
  if (n > UINT32_MAX) return too_large(d);
  referrals_value *items = NULL;
  if (n) {
    items = take(d, n * sizeof *items, 0);
    if (!items) return -1;
    memcpy(items, d->items + start, n * sizeof *items);
  }
  d->nitems = start;
  v->state = REFERRALS_SET;
  v->as.items = items;
  v->len = (uint32_t)n;
  return 0;
}

/* The object of type t, opened at nesting depth; *out: the new struct. */
static int read_object(decoder *d, const referrals_type *t, int depth, void **out) {
  if (referrals_scan_open(&d->s, depth)) return -1;
  void *obj = take(d, t->size, 1);
  if (!obj) return -1;
  *out = obj;
  referrals_unknown **tail = REFERRALS_UNKNOWN(obj, t);
  /* The service writes members in schema order: the member after the last one read is
   * tried first, by comparing its bytes (no scan, no lookup); the rest are looked up. */
  unsigned hint = 0;
  for (size_t i = 0;; i++) {
    const referrals_field *next = hint < t->nfields ? &t->fields[hint] : NULL;
    referrals_json_string key;
    int r = referrals_scan_member(&d->s, i, next ? next->quoted_key : NULL,
                                  next ? next->key_len + 3u : 0, &key);
    if (r <= 0) return r;
    const referrals_field *f = next;
    const char *name = NULL;
    uint32_t name_len = 0;
    if (r == 2) {
      hint++;
    } else {
      name = key.raw;
      name_len = (uint32_t)key.len;
      if (key.escaped && copy_string(d, &key, &name, &name_len)) return -1;
      f = referrals_field_find(t, name, name_len, &hint);
    }
    if (f) {
      if (read_value(d, f, f->kind, REFERRALS_FIELD_VALUE(obj, t, f), depth)) return -1;
      continue;
    }
    referrals_unknown *u = take(d, sizeof *u, 1);
    if (!u) return -1;
    uint32_t json_len;
    if ((!key.escaped && copy_string(d, &key, &name, &name_len)) ||
        read_raw(d, depth, &u->json, &json_len))
      return -1;
    u->key = name;
    u->key_len = name_len;
    u->json_len = json_len;
    *tail = u; /* appended: the wire order is kept */
    tail = &u->next;
  }
}

int referrals_decode(const referrals_type *t, const char *json, size_t len, referrals_arena *a,
                     void **out, referrals_error *err) {
  decoder d;
  memset(&d, 0, sizeof d);
  d.arena = a;
  d.err = err;
  d.budget = (size_t)1 << 20;
  d.budget += len > (SIZE_MAX - d.budget) / REFERRALS_DECODE_RATIO ? SIZE_MAX - d.budget
                                                                   : len * REFERRALS_DECODE_RATIO;
  *out = NULL;
  int c = referrals_scan_init(&d.s, json, len, err);
  if (c < 0) return REFERRALS_E_JSON;
  void *root = NULL;
  if (c != '{') {
    /* Invalid text is a syntax error first; valid JSON of another type is the wrong type. */
    const char *start = d.s.p;
    if (referrals_scan_skip(&d.s, 0) == 0) {
      referrals_error_set(err, REFERRALS_E_JSON, "json_type", NULL,
                          "expected a JSON object for a %s", t->wire_name);
      err->position = (long)(start - json);
    }
    return (int)err->category;
  }
  if (read_object(&d, t, 1, &root) || referrals_scan_finish(&d.s)) return (int)err->category;
  *out = root;
  return REFERRALS_OK;
}
