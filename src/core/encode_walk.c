/*
 * encode_walk.c: the one walk from a resource to its checks and its JSON (encode_walk.h).
 * Over the descriptors, in schema order: each member present (or required, on create) is
 * checked by the rules of validate.c, written by json_encode.c, and looked into when it is
 * an object or an array; then the unknown members are written as they are. The resource is
 * read through a source, one object at a time: structs here, a Lua table in the binding.
 *
 * Once a rule refused something, nothing more is written (the text would not be sent) but
 * a checker with a sink still sees every problem; a value its source cannot read, or one
 * encode refuses, ends the walk.
 */
#include <string.h>

#include "encode_walk.h"
#include "json_text.h"

typedef referrals_encode_walk walk;
typedef referrals_path path;

/* Room for the members of any resource: the largest struct's values. */
#define ANY_RESOURCE_(tname, wire) referrals_##tname tname;
typedef union any_resource {
  REFERRALS_TYPES(ANY_RESOURCE_)
} any_resource;
#define MAX_FIELDS (sizeof(any_resource) / sizeof(referrals_value))

/* Once a rule refused something, the text will not be sent: nothing more is written. */
static inline int writing(const walk *w) { return w->writing; }
static inline void refused(walk *w, int rc) {
  if (rc) w->writing = 0;
}

/* After a member's or item's problem: go on only for a sink that wants every problem, or
 * (no rules) to read the rest. */
static int stop(const walk *w, int rc) {
  return rc && (w->stopped || (w->check && !w->check->sink));
}

static int stopped(walk *w, int rc) {
  w->stopped = 1;
  w->stop_rc = rc;
  return rc;
}

static inline void append(const walk *w, const char *s, size_t n) {
  if (writing(w)) referrals_buffer_append(w->out, s, n);
}

static int walk_object(walk *w, const referrals_type *t, const void *handle, const path *at,
                       int depth);

static int walk_items(walk *w, const referrals_field *f, const referrals_value *v, const path *at,
                      int depth);

/* Looks into an object or array value, or writes any other. depth: of its container. */
static int walk_inside(walk *w, const referrals_field *f, uint8_t kind, const referrals_value *v,
                       const path *at, int depth) {
  if (v->state == REFERRALS_SET) {
    if (kind == REFERRALS_KIND_OBJECT) return walk_object(w, f->type, v->as.object, at, depth + 1);
    if (kind == REFERRALS_KIND_OBJECT_ARRAY || kind == REFERRALS_KIND_STRING_ARRAY)
      return walk_items(w, f, v, at, depth);
  }
  if (!writing(w)) return REFERRALS_OK;
  int rc = referrals_write_scalar(f, kind, v, w->check != NULL, w->out, w->err);
  refused(w, rc);
  return rc;
}

/* The items of an OBJECT_ARRAY (OBJECT values) or a STRING_ARRAY (STRING values). */
static int walk_items(walk *w, const referrals_field *f, const referrals_value *v, const path *at,
                      int depth) {
  const uint8_t item_kind =
      f->kind == REFERRALS_KIND_OBJECT_ARRAY ? REFERRALS_KIND_OBJECT : REFERRALS_KIND_STRING;
  int result = REFERRALS_OK;
  append(w, "[", 1);
  for (uint32_t i = 0; i < v->len; i++) {
    const path here = {at, NULL, 0, i + 1};
    referrals_value storage;
    const referrals_value *item;
    int rc = w->source->item_open(w->ud, f, v, i, &here, &storage, &item);
    if (rc) return stopped(w, rc);
    if (i) append(w, ",", 1);
    if (w->check) refused(w, rc = referrals_check_item(f, item, &here, w->check));
    if (!rc) rc = walk_inside(w, f, item_kind, item, &here, depth);
    w->source->item_close(w->ud);
    if (rc && !result) result = rc;
    if (stop(w, rc)) return result;
  }
  append(w, "]", 1);
  return result;
}

static int walk_object(walk *w, const referrals_type *t, const void *handle, const path *at,
                       int depth) {
  if (w->out && depth > REFERRALS_MAX_DEPTH)
    return stopped(w, referrals_error_set(w->err, REFERRALS_E_JSON, "too_deep", NULL,
                                          "nested deeper than %d levels", REFERRALS_MAX_DEPTH));
  referrals_value storage[MAX_FIELDS];
  const referrals_value *vals;
  const referrals_unknown *unknown;
  int result = w->source->object_open(w->ud, handle, t, at, storage, &vals, &unknown);
  if (result) return stopped(w, result);
  /* Most members of a referral are absent; only a required one on create is of interest. */
  const unsigned need =
      w->check && w->check->mode == REFERRALS_MODE_CREATE ? REFERRALS_F_REQUIRED : 0;
  int first = 1;
  append(w, "{", 1);
  for (unsigned i = 0; i < t->nfields; i++) {
    const referrals_field *f = &t->fields[i];
    const referrals_value *v = &vals[i];
    if (v->state == REFERRALS_ABSENT && !(f->flags & need)) continue;
    const path here = {at, f->key, f->key_len, 0};
    int rc = REFERRALS_OK;
    if (w->check) refused(w, rc = referrals_check_member(f, v, &here, w->check));
    if (!rc && v->state != REFERRALS_ABSENT) {
      if (!first) append(w, ",", 1);
      first = 0;
      append(w, f->quoted_key, f->key_len + 3u); /* schema keys need no escaping */
      rc = walk_inside(w, f, f->kind, v, &here, depth);
    } else if (rc && w->source->skipped && v->state == REFERRALS_SET &&
               (f->kind == REFERRALS_KIND_OBJECT || f->kind == REFERRALS_KIND_OBJECT_ARRAY ||
                f->kind == REFERRALS_KIND_STRING_ARRAY)) {
      int read = w->source->skipped(w->ud, f, v, &here);
      if (read) stopped(w, read);
    }
    if (rc && !result) result = rc;
    if (stop(w, rc)) goto done;
  }
  /* spec §3.1: a rule about two members, judged once each is known to be fine alone */
  if (!at && t == &referrals_type_referral && w->check) {
    const referrals_referral *r = (const referrals_referral *)(const void *)vals;
    int rc = referrals_check_status_pair(&r->status, &r->substatus, w->check);
    refused(w, rc);
    if (rc && !result) result = rc;
  }
  for (const referrals_unknown *u = unknown; u && writing(w); u = u->next) {
    if (!first) append(w, ",", 1);
    first = 0;
    referrals_json_write_string(w->out, u->key, u->key_len);
    append(w, ":", 1);
    append(w, u->json, u->json_len);
  }
  append(w, "}", 1);
done:
  w->source->object_close(w->ud);
  return result;
}

int referrals_walk_object(walk *w, const referrals_type *t, const void *handle) {
  w->stopped = 0;
  w->writing = w->out != NULL;
  int rc = walk_object(w, t, handle, NULL, 1);
  return w->stopped ? w->stop_rc : rc;
}

int referrals_walk_value(walk *w, const referrals_field *f, int as_item, const referrals_value *v,
                         const char *path_text) {
  w->stopped = 0;
  w->writing = w->out != NULL;
  const path root = {NULL, path_text, strlen(path_text), 0};
  uint8_t kind = f->kind;
  if (as_item)
    kind = kind == REFERRALS_KIND_OBJECT_ARRAY ? REFERRALS_KIND_OBJECT : REFERRALS_KIND_STRING;
  int rc = REFERRALS_OK;
  if (w->check)
    refused(w, rc = as_item ? referrals_check_item(f, v, &root, w->check)
                            : referrals_check_member(f, v, &root, w->check));
  if (!rc) rc = walk_inside(w, f, kind, v, &root, 1);
  return w->stopped ? w->stop_rc : rc;
}

/* ---- the struct source ----------------------------------------------------------------- */

static int struct_object_open(void *ud, const void *handle, const referrals_type *t, const path *at,
                              referrals_value *storage, const referrals_value **vals,
                              const referrals_unknown **unknown) {
  (void)ud;
  (void)at;
  (void)storage;
  *vals = REFERRALS_FIELD_VALUE(handle, t, t->fields);
  *unknown = *REFERRALS_UNKNOWN(handle, t);
  return REFERRALS_OK;
}

static void struct_close(void *ud) { (void)ud; }

static int struct_item_open(void *ud, const referrals_field *f, const referrals_value *v,
                            uint32_t i, const path *at, referrals_value *storage,
                            const referrals_value **item) {
  (void)ud;
  (void)f;
  (void)at;
  (void)storage;
  *item = &v->as.items[i];
  return REFERRALS_OK;
}

const referrals_encode_source referrals_struct_source = {struct_object_open, struct_close,
                                                         struct_item_open, struct_close, NULL};
