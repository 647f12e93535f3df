/*
 * json_decode.c: JSON text -> a resource, one recursive-descent pass over the scanner
 * (json_scan.h) driven by the descriptors: each member's field says what to expect, and the
 * value goes to the sink (decode_sink.h) at its place. No DOM, no events to route back.
 *
 * Reading is tolerant, because the service sends more than it documents (spec §6.7): a
 * member the schema does not know is kept as raw JSON (the sink's unknown member), and a
 * known member in an unexpected shape is kept as raw JSON in place (REFERRALS_RAW). Both
 * are written back verbatim by encode.
 *
 * The walk holds no memory: a sink that raises a Lua error in the middle (the binding's)
 * leaves nothing behind here.
 */
#include <string.h>

#include "decode_sink.h"

typedef struct walker {
  referrals_scanner s;
  const referrals_decode_sink *sink;
  void *ud;
  referrals_error *err;
  /* what the rest of the document may still decode to, in the bytes its structs, strings
   * and arrays take (issue 13: 16 MiB of [{},{},...] would otherwise decode to gigabytes);
   * counted the same whatever the sink builds */
  size_t budget;
} walker;

static int too_large(walker *w) {
  referrals_error_set(w->err, REFERRALS_E_JSON, "too_large", NULL, "string too long");
  return -1;
}

static int charge(walker *w, size_t n) {
  if (n <= w->budget) {
    w->budget -= n;
    return 0;
  }
  referrals_error_set(w->err, REFERRALS_E_JSON, "decoded_too_large", NULL,
                      "the document decodes to more than %u times its length plus 1 MiB",
                      REFERRALS_DECODE_RATIO);
  return -1;
}

/* Steps over the value at the scanner (in a container at nesting `depth`), checking it,
 * and hands its text to the sink. */
static int read_raw(walker *w, const referrals_slot *at, int depth, uint8_t state) {
  const char *start = w->s.p;
  if (referrals_scan_skip(&w->s, depth)) return -1;
  size_t n = (size_t)(w->s.p - start);
  if (n > UINT32_MAX) return too_large(w);
  if (charge(w, n + 1)) return -1;
  return w->sink->raw(w->ud, at, start, n, state);
}

static int read_object(walker *w, const referrals_slot *at, const referrals_type *t, int depth);
static int read_array(walker *w, const referrals_slot *at, int depth);

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

/* Reads the value for the slot at (its kind: the field's, or its items'). depth is the
 * nesting of the container the value is in. */
static int read_value(walker *w, const referrals_slot *at, int depth) {
  int c = referrals_scan_peek(&w->s);
  if (!accepts(at->kind, c))
    return read_raw(w, at, depth, at->kind == REFERRALS_KIND_JSON ? REFERRALS_SET : REFERRALS_RAW);
  referrals_value v;
  switch (c) {
    case '"': {
      referrals_json_string str;
      if (referrals_scan_string(&w->s, &str)) return -1;
      if (str.len > UINT32_MAX) return too_large(w);
      if (charge(w, str.len + 1)) return -1;
      return w->sink->string(w->ud, at, &str);
    }
    case '{': return read_object(w, at, at->field->type, depth + 1);
    case '[': return read_array(w, at, depth + 1);
    case 't':
    case 'f':
    case 'n': {
      int b;
      if (referrals_scan_literal(&w->s, &b)) return -1;
      memset(&v, 0, sizeof v);
      v.state = b < 0 ? REFERRALS_NULL : REFERRALS_SET;
      v.as.boolean = b > 0;
      return w->sink->scalar(w->ud, at, &v);
    }
    default:
      memset(&v, 0, sizeof v);
      if (referrals_scan_number(&w->s, &v)) return -1;
      return w->sink->scalar(w->ud, at, &v);
  }
}

/* The array of the slot's field (object or string items), opened at nesting depth. */
static int read_array(walker *w, const referrals_slot *at, int depth) {
  if (referrals_scan_open(&w->s, depth) || w->sink->array_begin(w->ud, at)) return -1;
  referrals_slot item = {.where = REFERRALS_AT_ITEM, .field = at->field};
  item.kind = at->field->kind == REFERRALS_KIND_OBJECT_ARRAY ? REFERRALS_KIND_OBJECT
                                                             : REFERRALS_KIND_STRING;
  size_t n = 0;
  for (;; n++) {
    int r = referrals_scan_item(&w->s, n);
    if (r < 0) return -1;
    if (r == 0) break;
    item.index = n;
    if (read_value(w, &item, depth)) return -1;
  }
  if (n > UINT32_MAX) return too_large(w);
  if (charge(w, n * sizeof(referrals_value))) return -1;
  return w->sink->array_end(w->ud, at, n);
}

/* The longest key text that may still name a field once unescaped: no schema key is
 * longer than 64 bytes, each byte at most 6 escaped ("\u0041"). */
#define KEY_TEXT_MAX (6 * 64)

/* *f: the field of t a scanned key names, or NULL. -1 over the budget. */
static int find_field(walker *w, const referrals_type *t, const referrals_json_string *key,
                      unsigned *hint, const referrals_field **f) {
  *f = NULL;
  if (!key->escaped) {
    *f = referrals_field_find(t, key->raw, key->len, hint);
    return 0;
  }
  if (charge(w, key->len + 1)) return -1; /* an escaped key is kept unescaped */
  if (key->len > KEY_TEXT_MAX) return 0;
  char name[KEY_TEXT_MAX];
  *f = referrals_field_find(t, name, referrals_json_unescape(key, name), hint);
  return 0;
}

/* The object of type t, opened at nesting depth, for the slot at. */
static int read_object(walker *w, const referrals_slot *at, const referrals_type *t, int depth) {
  if (referrals_scan_open(&w->s, depth) || charge(w, t->size) ||
      w->sink->object_begin(w->ud, at, t))
    return -1;
  /* The service writes members in schema order: the member after the last one read is
   * tried first, by comparing its bytes (no scan, no lookup); the rest are looked up. */
  unsigned hint = 0;
  referrals_slot member = {.where = REFERRALS_AT_MEMBER};
  for (size_t i = 0;; i++) {
    const referrals_field *next = hint < t->nfields ? &t->fields[hint] : NULL;
    referrals_json_string key;
    int r = referrals_scan_member(&w->s, i, next ? next->quoted_key : NULL,
                                  next ? next->key_len + 3u : 0, &key);
    if (r < 0) return -1;
    if (r == 0) return w->sink->object_end(w->ud, at, t);
    const referrals_field *f = next;
    if (r == 2) {
      hint++;
    } else {
      if (find_field(w, t, &key, &hint, &f)) return -1;
    }
    if (f) {
      member.field = f;
      member.kind = f->kind;
      if (read_value(w, &member, depth)) return -1;
      continue;
    }
    referrals_slot unknown = {
        .where = REFERRALS_AT_UNKNOWN, .kind = REFERRALS_KIND_JSON, .key = &key};
    if (charge(w, sizeof(referrals_unknown)) || (!key.escaped && charge(w, key.len + 1)) ||
        read_raw(w, &unknown, depth, REFERRALS_RAW))
      return -1;
  }
}

int referrals_decode_to(const referrals_type *t, const char *json, size_t len,
                        const referrals_decode_sink *sink, void *ud, referrals_error *err) {
  walker w;
  memset(&w, 0, sizeof w);
  w.sink = sink;
  w.ud = ud;
  w.err = err;
  w.budget = (size_t)1 << 20;
  w.budget += len > (SIZE_MAX - w.budget) / REFERRALS_DECODE_RATIO ? SIZE_MAX - w.budget
                                                                   : len * REFERRALS_DECODE_RATIO;
  int c = referrals_scan_init(&w.s, json, len, err);
  if (c < 0) return REFERRALS_E_JSON;
  if (c != '{') {
    /* Invalid text is a syntax error first; valid JSON of another type is the wrong type. */
    const char *start = w.s.p;
    if (referrals_scan_skip(&w.s, 0) == 0) {
      referrals_error_set(err, REFERRALS_E_JSON, "json_type", NULL,
                          "expected a JSON object for a %s", t->wire_name);
      err->position = (long)(start - json);
    }
    return (int)err->category;
  }
  const referrals_slot root = {.where = REFERRALS_AT_ROOT, .kind = REFERRALS_KIND_OBJECT};
  if (read_object(&w, &root, t, 1) || referrals_scan_finish(&w.s)) return (int)err->category;
  return REFERRALS_OK;
}
