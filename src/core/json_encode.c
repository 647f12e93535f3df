/*
 * json_encode.c: the JSON of one value that is no object or array, as the encode walk
 * (encode_walk.c) writes it: nulls as null, raw values (REFERRALS_RAW, JSON kind)
 * verbatim, strings escaped, numbers exactly; and the C API's referrals_encode and
 * referrals_encode_value, the walk over structs without the rules. Members are written in
 * schema order, then the unknown members; absent members are left out. Arrays are always
 * JSON arrays, also when empty (spec §2.3: ids is an array).
 */
#include <string.h>

#include "encode_walk.h"
#include "json_text.h"

int referrals_write_scalar(const referrals_field *f, uint8_t kind, const referrals_value *v,
                           int checked, referrals_buffer *b, referrals_error *err) {
  if (v->state == REFERRALS_NULL) {
    referrals_buffer_append(b, "null", 4);
    return REFERRALS_OK;
  }
  if (v->state == REFERRALS_RAW || kind == REFERRALS_KIND_JSON) {
    referrals_buffer_append(b, v->as.string, v->len);
    return REFERRALS_OK;
  }
  switch (kind) {
    case REFERRALS_KIND_BOOL:
      if (v->as.boolean)
        referrals_buffer_append(b, "true", 4);
      else
        referrals_buffer_append(b, "false", 5);
      return REFERRALS_OK;
    case REFERRALS_KIND_NUMBER:
      if (referrals_json_write_number(b, v) != 0)
        return referrals_error_set(err, REFERRALS_E_VALIDATION, "number", f->key,
                                   "%s: NaN and infinity have no JSON form", f->key);
      return REFERRALS_OK;
    default: /* STRING, DATETIME, ENUM */
      /* JSON text is UTF-8 (RFC 8259 §8.1): refused here as in unknown members (issue 13). */
      if (!checked && !referrals_utf8_valid(v->as.string, v->len))
        return referrals_error_set(err, REFERRALS_E_VALIDATION, "utf8", f->key,
                                   "%s: not valid UTF-8", f->key);
      referrals_json_write_string(b, v->as.string, v->len);
      return REFERRALS_OK;
  }
}

/* The walk's result for a buffer: out of memory when an append failed; nothing of a
 * failed walk is left in b. */
static int finish(referrals_buffer *b, size_t start, int rc, referrals_error *err) {
  if (rc == REFERRALS_OK && b->failed) rc = referrals_error_out_of_memory(err);
  if (rc != REFERRALS_OK) b->len = start;
  return rc;
}

int referrals_encode_value(const referrals_field *f, const referrals_value *v, int as_item,
                           referrals_buffer *b, referrals_error *err) {
  referrals_encode_walk w = {.source = &referrals_struct_source, .out = b, .err = err};
  size_t start = b->len;
  return finish(b, start, referrals_walk_value(&w, f, as_item, v, f->key), err);
}

int referrals_encode(const referrals_type *t, const void *obj, referrals_buffer *b,
                     referrals_error *err) {
  referrals_encode_walk w = {.source = &referrals_struct_source, .out = b, .err = err};
  size_t start = b->len;
  return finish(b, start, referrals_walk_object(&w, t, obj), err);
}
