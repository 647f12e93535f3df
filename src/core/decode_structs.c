/*
 * decode_structs.c: the struct sink of the decode walk (decode_sink.h), and referrals_decode:
 * every value lands in place in a struct of the arena; an unknown member or a value in an
 * unexpected shape is kept as compact raw JSON (REFERRALS_RAW, the unknown list), so that
 * encode writes it back verbatim.
 */
#include <string.h>

#include "decode_sink.h"

/* An open container: an object being filled, or an array whose items are stacked. */
typedef struct frame {
  void *obj; /* object */
  const referrals_type *t;
  referrals_unknown **tail; /* object: where the next unknown member goes (wire order) */
  referrals_value *dest;    /* array: the value it becomes */
  size_t items_start;       /* array: its first item on the stack */
} frame;

typedef struct structs {
  referrals_arena *arena;
  referrals_error *err;
  frame frames[REFERRALS_MAX_DEPTH + 1]; /* the scanner refuses deeper containers */
  int depth;
  /* items of the open arrays, stacked; each array copies its own out when it closes */
  referrals_value *items;
  size_t nitems, items_cap;
  referrals_value root;
} structs;

static void *alloc(structs *b, size_t n, int zero) {
  void *p = zero ? referrals_arena_alloc(b->arena, n) : referrals_arena_alloc_uninit(b->arena, n);
  if (!p) referrals_error_out_of_memory(b->err);
  return p;
}

/* The value of a scanned string, NUL-terminated, in the arena. */
static int copy_string(structs *b, const referrals_json_string *str, const char **out,
                       uint32_t *len) {
  char *copy = alloc(b, str->len + 1, 0);
  if (!copy) return -1;
  size_t n = str->escaped ? referrals_json_unescape(str, copy) : str->len;
  if (!str->escaped) memcpy(copy, str->raw, n);
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

/* The value the slot at names: a member of the open object, a new item of the open array,
 * or the document's root. NULL when out of memory. */
static referrals_value *target(structs *b, const referrals_slot *at) {
  switch (at->where) {
    case REFERRALS_AT_MEMBER: {
      const frame *top = &b->frames[b->depth - 1];
      return REFERRALS_FIELD_VALUE(top->obj, top->t, at->field);
    }
    case REFERRALS_AT_ITEM:
      if (b->nitems == b->items_cap) { /* grows in the arena: freed with it */
        size_t cap = b->items_cap ? b->items_cap * 2 : 32;
        referrals_value *p = alloc(b, cap * sizeof *p, 0);
        if (!p) return NULL;
        if (b->nitems) memcpy(p, b->items, b->nitems * sizeof *p);
        b->items = p;
        b->items_cap = cap;
      }
      memset(&b->items[b->nitems], 0, sizeof *b->items);
      return &b->items[b->nitems++];
    default: return &b->root;
  }
}

static int object_begin(void *ud, const referrals_slot *at, const referrals_type *t) {
  structs *b = ud;
  referrals_value *v = target(b, at);
  void *obj = v ? alloc(b, t->size, 1) : NULL;
  if (!obj) return -1;
  v->state = REFERRALS_SET;
  v->as.object = obj;
  frame *f = &b->frames[b->depth++];
  f->obj = obj;
  f->t = t;
  f->tail = REFERRALS_UNKNOWN(obj, t);
  return 0;
}

static int container_end(void *ud, const referrals_slot *at, const referrals_type *t) {
  (void)at;
  (void)t;
  ((structs *)ud)->depth--;
  return 0;
}

static int array_begin(void *ud, const referrals_slot *at) {
  structs *b = ud;
  referrals_value *v = target(b, at); /* a member: arrays are not items of arrays */
  if (!v) return -1;
  frame *f = &b->frames[b->depth++];
  f->dest = v;
  f->items_start = b->nitems;
  return 0;
}

static int array_end(void *ud, const referrals_slot *at, size_t n) {
  (void)at;
  structs *b = ud;
  frame *f = &b->frames[--b->depth];
  referrals_value *items = NULL;
  if (n) {
    if (!(items = alloc(b, n * sizeof *items, 0))) return -1;
    memcpy(items, b->items + f->items_start, n * sizeof *items);
  }
  b->nitems = f->items_start;
  f->dest->state = REFERRALS_SET;
  f->dest->as.items = items;
  f->dest->len = (uint32_t)n;
  return 0;
}

static int string(void *ud, const referrals_slot *at, const referrals_json_string *s) {
  structs *b = ud;
  referrals_value *v = target(b, at);
  if (!v || copy_string(b, s, &v->as.string, &v->len)) return -1;
  v->state = REFERRALS_SET;
  v->code = at->kind == REFERRALS_KIND_ENUM && at->field->enumeration
                ? (int16_t)referrals_enum_find(at->field->enumeration, v->as.string, v->len)
                : -1;
  return 0;
}

static int scalar(void *ud, const referrals_slot *at, const referrals_value *v) {
  referrals_value *to = target(ud, at);
  if (!to) return -1;
  *to = *v;
  return 0;
}

static int raw(void *ud, const referrals_slot *at, const char *json, size_t len, uint8_t state) {
  structs *b = ud;
  char *copy = alloc(b, len + 1, 0);
  if (!copy) return -1;
  len = compact(json, len, copy);
  copy[len] = '\0';
  if (at->where == REFERRALS_AT_UNKNOWN) {
    frame *top = &b->frames[b->depth - 1];
    referrals_unknown *u = alloc(b, sizeof *u, 1);
    uint32_t key_len;
    if (!u || copy_string(b, at->key, &u->key, &key_len)) return -1;
    u->key_len = key_len;
    u->json = copy;
    u->json_len = len;
    *top->tail = u; /* appended: the wire order is kept */
    top->tail = &u->next;
    return 0;
  }
  referrals_value *v = target(b, at);
  if (!v) return -1;
  v->state = state;
  v->as.string = copy;
  v->len = (uint32_t)len;
  return 0;
}

static const referrals_decode_sink struct_sink = {
    object_begin, container_end, array_begin, array_end, string, scalar, raw};

int referrals_decode(const referrals_type *t, const char *json, size_t len, referrals_arena *a,
                     void **out, referrals_error *err) {
  structs b;
  b.arena = a;
  b.err = err;
  b.depth = 0;
  b.items = NULL;
  b.nitems = b.items_cap = 0;
  memset(&b.root, 0, sizeof b.root);
  *out = NULL;
  int rc = referrals_decode_to(t, json, len, &struct_sink, &b, err);
  if (rc == REFERRALS_OK) *out = b.root.as.object;
  return rc;
}
