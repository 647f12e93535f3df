/*
 * decode.c: JSON text -> C structs, in one pass of yajl's SAX parser driven by the
 * descriptors (no DOM). Each open object or array is a frame on a fixed stack; each event
 * lands in the value the current frame points at.
 *
 * Reading is tolerant, because the service sends more than it documents (spec §6.7): a
 * member the schema does not know is kept as raw JSON in the struct's unknown list, and a
 * known member in an unexpected shape is kept as raw JSON in place (REFERRALS_RAW). Both
 * are written back verbatim by encode.
 */
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "referrals.h"

typedef struct frame {
  const referrals_type *type;   /* object frames: the struct's type; NULL in array frames */
  void *obj;                    /* object frames: the struct being filled */
  const referrals_field *field; /* object: the current key's field (NULL: unknown key);
                                   array: the array field */
  const char *key;              /* object frames: the current key when it is unknown */
  size_t key_len;
  unsigned hint;          /* object frames: where to look for the next key (schema order) */
  referrals_value *array; /* array frames: the value that receives the items */
  size_t items_start;     /* array frames: first item of this array in the scratch */
} frame;

/* Where a raw capture ends up when it completes. */
typedef struct capture_target {
  referrals_value *value; /* a member's value (JSON kind or shape mismatch), or NULL */
  size_t item;            /* else, when in_array: index of the item in the scratch */
  int in_array;
  frame *object; /* else: the object whose unknown list gets key/json */
  const char *key;
  size_t key_len;
  uint8_t state; /* REFERRALS_SET for JSON-kind members, else REFERRALS_RAW */
} capture_target;

typedef struct decoder {
  referrals_arena *arena;
  referrals_error *err;
  frame stack[REFERRALS_MAX_DEPTH];
  int depth;
  void *root;
  const referrals_type *root_type;
  /* items of the open arrays, stacked; each array copies its own out when it closes */
  referrals_value *items;
  size_t nitems, items_cap;
  /* raw capture of one value (unknown member, JSON kind, or unexpected shape) */
  int capturing; /* nesting depth inside the captured value, 0 when not capturing */
  int capture_needs_comma;
  referrals_buffer capture;
  capture_target target;
  int failed; /* set with err before returning 0 from a callback */
} decoder;

static int fail(decoder *d, const char *code, const char *fmt, const char *what) {
  referrals_error_set(d->err, REFERRALS_E_JSON, code, NULL, fmt, what);
  d->failed = 1;
  return 0;
}

static int out_of_memory(decoder *d) {
  referrals_error_set(d->err, REFERRALS_E_MEMORY, "ENOMEM", NULL, "out of memory");
  d->failed = 1;
  return 0;
}

/* ---- where the next value goes -------------------------------------------------------- */

typedef struct dest {
  referrals_value *value; /* NULL: an unknown member (raw capture into the object) */
  uint8_t kind;
  const referrals_type *type;
  const referrals_enum *enumeration;
  int in_array;
  size_t item;
} dest;

static referrals_value *push_item(decoder *d, size_t *index) {
  if (d->nitems == d->items_cap) { /* grows in the arena: freed with it, like everything else */
    size_t cap = d->items_cap ? d->items_cap * 2 : 32;
    referrals_value *p = referrals_arena_alloc(d->arena, cap * sizeof *p);
    if (!p) return NULL;
    if (d->nitems) memcpy(p, d->items, d->nitems * sizeof *p);
    d->items = p;
    d->items_cap = cap;
  }
  *index = d->nitems;
  referrals_value *v = &d->items[d->nitems++];
  memset(v, 0, sizeof *v);
  return v;
}

/* Resolves the destination of the value that starts now. Returns 0 on failure. */
static int next_dest(decoder *d, dest *out) {
  memset(out, 0, sizeof *out);
  if (d->depth == 0) { /* the root value */
    out->kind = REFERRALS_KIND_OBJECT;
    out->type = d->root_type;
    return 1;
  }
  frame *f = &d->stack[d->depth - 1];
  if (f->type) {             /* in an object: the member named by the last key */
    if (!f->field) return 1; /* unknown key: value stays NULL */
    out->value = REFERRALS_FIELD_VALUE(f->obj, f->type, f->field);
    out->kind = f->field->kind;
    out->type = f->field->type;
    out->enumeration = f->field->enumeration;
    return 1;
  }
  /* in an array: a new item */
  out->in_array = 1;
  out->value = push_item(d, &out->item);
  if (!out->value) return out_of_memory(d);
  out->kind =
      f->field->kind == REFERRALS_KIND_OBJECT_ARRAY ? REFERRALS_KIND_OBJECT : REFERRALS_KIND_STRING;
  out->type = f->field->type;
  return 1;
}

/* The item pointer may move when the scratch grows; re-fetch it by index. */
static referrals_value *dest_value(decoder *d, const dest *t) {
  return t->in_array ? &d->items[t->item] : t->value;
}

/* ---- raw capture ----------------------------------------------------------------------- */

static void capture_separator(decoder *d) {
  if (d->capture_needs_comma) referrals_buffer_append(&d->capture, ",", 1);
  d->capture_needs_comma = 1;
}

/* Starts capturing the value whose first event is arriving, for the given destination. */
static void capture_begin(decoder *d, const dest *t) {
  frame *f = d->depth ? &d->stack[d->depth - 1] : NULL;
  d->capture.len = 0;
  d->capture_needs_comma = 0;
  d->capturing = 0;
  memset(&d->target, 0, sizeof d->target);
  if (t->value || t->in_array) {
    d->target.value = t->in_array ? NULL : t->value;
    d->target.in_array = t->in_array;
    d->target.item = t->item;
    d->target.state = t->kind == REFERRALS_KIND_JSON ? REFERRALS_SET : REFERRALS_RAW;
  } else {
    d->target.object = f;
    d->target.key = f->key;
    d->target.key_len = f->key_len;
  }
}

/* Stores the finished capture where it belongs. */
static int capture_end(decoder *d) {
  if (d->capture.failed) return out_of_memory(d);
  char *json =
      referrals_arena_strdup(d->arena, d->capture.data ? d->capture.data : "", d->capture.len);
  if (!json) return out_of_memory(d);
  capture_target *t = &d->target;
  if (t->object) {
    referrals_unknown *u = referrals_arena_alloc(d->arena, sizeof *u);
    if (!u) return out_of_memory(d);
    u->key = t->key;
    u->key_len = t->key_len;
    u->json = json;
    u->json_len = d->capture.len;
    /* append, keeping the wire order */
    referrals_unknown **tail = REFERRALS_UNKNOWN(t->object->obj, t->object->type);
    while (*tail) tail = &(*tail)->next;
    *tail = u;
  } else {
    referrals_value *v = t->in_array ? &d->items[t->item] : t->value;
    v->state = t->state;
    v->as.string = json;
    v->len = (uint32_t)d->capture.len;
  }
  return 1;
}

/* Feeds one scalar or structural token to the capture; ends it when the value is whole. */
static int capture_token(decoder *d, const char *text, size_t len, int opens, int closes) {
  if (!closes) capture_separator(d);
  referrals_buffer_append(&d->capture, text, len);
  if (opens) {
    d->capturing++;
    d->capture_needs_comma = 0;
  }
  if (closes) {
    d->capturing--;
    d->capture_needs_comma = 1;
  }
  return d->capturing == 0 ? capture_end(d) : 1;
}

/* ---- yajl callbacks -------------------------------------------------------------------- */

/* Common entry of every value event: either it continues a capture, or it resolves the
 * destination and decides whether a capture starts (unknown key, JSON kind, wrong shape). */
enum event { EV_NULL, EV_BOOL, EV_NUMBER, EV_STRING, EV_MAP, EV_ARRAY };

static int accepts(uint8_t kind, enum event ev) {
  switch (ev) {
    case EV_NULL: return kind != REFERRALS_KIND_JSON;
    case EV_BOOL: return kind == REFERRALS_KIND_BOOL;
    case EV_NUMBER: return kind == REFERRALS_KIND_NUMBER;
    case EV_STRING:
      return kind == REFERRALS_KIND_STRING || kind == REFERRALS_KIND_DATETIME ||
             kind == REFERRALS_KIND_ENUM;
    case EV_MAP: return kind == REFERRALS_KIND_OBJECT;
    case EV_ARRAY:
      return kind == REFERRALS_KIND_OBJECT_ARRAY || kind == REFERRALS_KIND_STRING_ARRAY;
  }
  return 0;
}

/* Returns 1 when the event was consumed by a capture (new or ongoing), 0 when it should be
 * stored normally in *t, -1 on failure. */
static int route(decoder *d, enum event ev, dest *t) {
  if (d->capturing) return 1;
  if (!next_dest(d, t)) return -1;
  if (d->depth == 0) {
    if (ev == EV_MAP) return 0;
    fail(d, "json_type", "expected a JSON object for a %s", d->root_type->wire_name);
    return -1;
  }
  if (t->value && accepts(t->kind, ev)) return 0;
  if (t->value && ev == EV_NULL) return 0; /* JSON kind: null is a plain null */
  capture_begin(d, t);
  return 1;
}

static int on_null(void *ctx) {
  decoder *d = ctx;
  dest t;
  int r = route(d, EV_NULL, &t);
  if (r < 0) return 0;
  if (r) return capture_token(d, "null", 4, 0, 0);
  dest_value(d, &t)->state = REFERRALS_NULL;
  return 1;
}

static int on_boolean(void *ctx, int b) {
  decoder *d = ctx;
  dest t;
  int r = route(d, EV_BOOL, &t);
  if (r < 0) return 0;
  if (r) return capture_token(d, b ? "true" : "false", b ? 4 : 5, 0, 0);
  referrals_value *v = dest_value(d, &t);
  v->state = REFERRALS_SET;
  v->as.boolean = b != 0;
  return 1;
}

static int on_number(void *ctx, const char *s, size_t len) {
  decoder *d = ctx;
  dest t;
  int r = route(d, EV_NUMBER, &t);
  if (r < 0) return 0;
  referrals_value tmp;
  memset(&tmp, 0, sizeof tmp);
  if (referrals_json_read_number(s, len, &tmp) != 0)
    return fail(d, "number_range", "number out of range: %s", "it does not fit a double");
  if (r) return capture_token(d, s, len, 0, 0);
  referrals_value *v = dest_value(d, &t);
  tmp.state = REFERRALS_SET;
  *v = tmp;
  return 1;
}

static int on_string(void *ctx, const unsigned char *s, size_t len) {
  decoder *d = ctx;
  dest t;
  int r = route(d, EV_STRING, &t);
  if (r < 0) return 0;
  if (r) {
    capture_separator(d);
    referrals_json_write_string(&d->capture, (const char *)s, len);
    return d->capturing == 0 ? capture_end(d) : 1;
  }
  if (len > UINT32_MAX) return fail(d, "too_large", "%s", "string too long");
  char *copy = referrals_arena_strdup(d->arena, (const char *)s, len);
  if (!copy) return out_of_memory(d);
  referrals_value *v = dest_value(d, &t);
  v->state = REFERRALS_SET;
  v->as.string = copy;
  v->len = (uint32_t)len;
  v->code = t.enumeration ? (int16_t)referrals_enum_find(t.enumeration, copy, len) : -1;
  return 1;
}

/* An object or array opens inside a capture: depth-limited like the frames are. */
static int capture_open(decoder *d, const char *bracket) {
  if (d->capturing >= REFERRALS_MAX_DEPTH)
    return fail(d, "too_deep", "JSON nested deeper than %s levels", "64");
  return capture_token(d, bracket, 1, 1, 0);
}

static int push_frame(decoder *d, frame **out) {
  if (d->depth >= REFERRALS_MAX_DEPTH)
    return fail(d, "too_deep", "JSON nested deeper than %s levels", "64");
  *out = &d->stack[d->depth++];
  memset(*out, 0, sizeof **out);
  return 1;
}

static int on_start_map(void *ctx) {
  decoder *d = ctx;
  dest t;
  int r = route(d, EV_MAP, &t);
  if (r < 0) return 0;
  if (r) return capture_open(d, "{");
  void *obj = referrals_arena_alloc(d->arena, t.type->size);
  if (!obj) return out_of_memory(d);
  frame *f;
  if (!push_frame(d, &f)) return 0;
  f->type = t.type;
  f->obj = obj;
  if (t.value || t.in_array) {
    referrals_value *v = dest_value(d, &t);
    v->state = REFERRALS_SET;
    v->as.object = obj;
  } else {
    d->root = obj;
  }
  return 1;
}

static int on_map_key(void *ctx, const unsigned char *key, size_t len) {
  decoder *d = ctx;
  if (d->capturing) {
    capture_separator(d);
    referrals_json_write_string(&d->capture, (const char *)key, len);
    referrals_buffer_append(&d->capture, ":", 1);
    d->capture_needs_comma = 0;
    return 1;
  }
  frame *f = &d->stack[d->depth - 1];
  f->field = referrals_field_find(f->type, (const char *)key, len, &f->hint);
  f->key = NULL;
  if (!f->field) {
    char *copy = referrals_arena_strdup(d->arena, (const char *)key, len);
    if (!copy) return out_of_memory(d);
    f->key = copy;
    f->key_len = len;
  }
  return 1;
}

static int on_end_map(void *ctx) {
  decoder *d = ctx;
  if (d->capturing) return capture_token(d, "}", 1, 0, 1);
  d->depth--;
  return 1;
}

static int on_start_array(void *ctx) {
  decoder *d = ctx;
  dest t;
  int r = route(d, EV_ARRAY, &t);
  if (r < 0) return 0;
  if (r) return capture_open(d, "[");
  frame *parent = &d->stack[d->depth - 1];
  frame *f;
  if (!push_frame(d, &f)) return 0;
  f->field = parent->field;
  f->array = t.value; /* arrays are never items themselves (no array of arrays in the schema) */
  f->items_start = d->nitems;
  return 1;
}

static int on_end_array(void *ctx) {
  decoder *d = ctx;
  if (d->capturing) return capture_token(d, "]", 1, 0, 1);
  frame *f = &d->stack[--d->depth];
  size_t n = d->nitems - f->items_start;
  referrals_value *items = NULL;
  if (n) {
    items = referrals_arena_alloc(d->arena, n * sizeof *items);
    if (!items) return out_of_memory(d);
    memcpy(items, d->items + f->items_start, n * sizeof *items);
  }
  d->nitems = f->items_start;
  f->array->state = REFERRALS_SET;
  f->array->as.items = items;
  f->array->len = (uint32_t)n;
  return 1;
}

static const yajl_callbacks callbacks = {
    on_null,      on_boolean, NULL /* integer */, NULL /* double */, on_number,   on_string,
    on_start_map, on_map_key, on_end_map,         on_start_array,    on_end_array};

/* yajl's verbose error text quotes the input; ours says where, and leaves the data out.
 * at_end: the error came from yajl_complete_parse, i.e. the text stopped early. */
static void describe_parse_error(decoder *d, yajl_handle h, const char *json, size_t len,
                                 int at_end) {
  /* yajl counts the offending token as consumed: step back onto it. */
  size_t consumed = yajl_get_bytes_consumed(h);
  size_t at = at_end ? len : consumed > 0 ? consumed - 1 : 0;
  if (!d->failed) {
    unsigned char *msg = yajl_get_error(h, 0, (const unsigned char *)json, len);
    referrals_error_set(d->err, REFERRALS_E_JSON, at_end ? "truncated" : "syntax", NULL,
                        "invalid JSON at byte %zu: %s", at, msg ? (const char *)msg : "");
    if (msg) yajl_free_error(h, msg);
  }
  d->err->position = (long)at;
}

/* yajl's own allocations (handle, lexer, buffers) come from the call's arena too, which
 * saves a handful of malloc/free pairs per decode; yajl_free then frees nothing. A block
 * keeps its size in front of it, for realloc. */
static void *arena_malloc(void *ctx, size_t size) {
  /* Not zeroed: yajl initialises what it reads (zeroing its 2 KB buffers cost more than
   * the callbacks of a small document, issue 5). */
  size_t *p = referrals_arena_alloc_uninit(ctx, size + 16);
  if (!p) return NULL;
  *p = size;
  return (char *)p + 16;
}

static void *arena_realloc(void *ctx, void *ptr, size_t size) {
  void *np = arena_malloc(ctx, size);
  if (np && ptr) {
    size_t old = *(size_t *)((char *)ptr - 16);
    memcpy(np, ptr, old < size ? old : size);
  }
  return np;
}

static void arena_free(void *ctx, void *ptr) {
  (void)ctx;
  (void)ptr;
}

int referrals_decode(const referrals_type *t, const char *json, size_t len, referrals_arena *a,
                     void **out, referrals_error *err) {
  size_t start = 0;
  while (start < len &&
         (json[start] == ' ' || json[start] == '\t' || json[start] == '\n' || json[start] == '\r'))
    start++;
  if (start == len) {
    referrals_error_set(err, REFERRALS_E_JSON, "empty", NULL, "no JSON value in the input");
    err->position = (long)len;
    return REFERRALS_E_JSON;
  }
  decoder d;
  memset(&d, 0, sizeof d);
  d.arena = a;
  d.err = err;
  d.root_type = t;
  referrals_buffer_init(&d.capture);
  *out = NULL;

  int rc = REFERRALS_OK;
  yajl_alloc_funcs alloc = {arena_malloc, arena_realloc, arena_free, a};
  yajl_handle h = yajl_alloc(&callbacks, &alloc, &d);
  if (!h) return referrals_error_set(err, REFERRALS_E_MEMORY, "ENOMEM", NULL, "out of memory");
  yajl_status st = yajl_parse(h, (const unsigned char *)json, len);
  int at_end = st == yajl_status_ok;
  if (at_end) st = yajl_complete_parse(h);
  if (st != yajl_status_ok) {
    describe_parse_error(&d, h, json, len, at_end);
    rc = (int)err->category;
  } else {
    *out = d.root;
  }
  yajl_free(h);
  referrals_buffer_free(&d.capture);
  return rc;
}
