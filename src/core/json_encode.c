/*
 * json_encode.c: C structs -> JSON text, one generic walk over the descriptors. Members are
 * written in schema order, then the unknown members in the order they were read; absent
 * members are left out, nulls written as null, raw values (REFERRALS_RAW, JSON kind)
 * verbatim. Arrays are always JSON arrays, also when empty (spec §2.3: ids is an array).
 */
#include <string.h>

#include "json_text.h"
#include "referrals.h"

static int encode_object(const referrals_type *t, const void *obj, referrals_buffer *b,
                         referrals_error *err, int depth);

static int encode_value(const referrals_field *f, const referrals_value *v, uint8_t kind,
                        referrals_buffer *b, referrals_error *err, int depth);

int referrals_encode_value(const referrals_field *f, const referrals_value *v, int as_item,
                           referrals_buffer *b, referrals_error *err) {
  uint8_t kind = f->kind;
  if (as_item)
    kind = kind == REFERRALS_KIND_OBJECT_ARRAY ? REFERRALS_KIND_OBJECT : REFERRALS_KIND_STRING;
  size_t start = b->len;
  int rc = encode_value(f, v, kind, b, err, 1);
  if (rc == REFERRALS_OK && b->failed) rc = referrals_error_out_of_memory(err);
  if (rc != REFERRALS_OK) b->len = start;
  return rc;
}

static int encode_value(const referrals_field *f, const referrals_value *v, uint8_t kind,
                        referrals_buffer *b, referrals_error *err, int depth) {
  if (v->state == REFERRALS_NULL) {
    referrals_buffer_append(b, "null", 4);
    return REFERRALS_OK;
  }
  if (v->state == REFERRALS_RAW || kind == REFERRALS_KIND_JSON) {
    referrals_buffer_append(b, v->as.string, v->len);
    return REFERRALS_OK;
  }
  switch (kind) {
    case REFERRALS_KIND_STRING:
    case REFERRALS_KIND_DATETIME:
    case REFERRALS_KIND_ENUM:
      /* JSON text is UTF-8 (RFC 8259 §8.1): refused here as in unknown members (issue 13). */
      if (!referrals_utf8_valid(v->as.string, v->len))
        return referrals_error_set(err, REFERRALS_E_VALIDATION, "utf8", f->key,
                                   "%s: not valid UTF-8", f->key);
      referrals_json_write_string(b, v->as.string, v->len);
      return REFERRALS_OK;
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
    case REFERRALS_KIND_OBJECT: return encode_object(f->type, v->as.object, b, err, depth + 1);
    default: { /* OBJECT_ARRAY, STRING_ARRAY */
      uint8_t item_kind =
          kind == REFERRALS_KIND_OBJECT_ARRAY ? REFERRALS_KIND_OBJECT : REFERRALS_KIND_STRING;
      referrals_buffer_append(b, "[", 1);
      for (uint32_t i = 0; i < v->len; i++) {
        if (i) referrals_buffer_append(b, ",", 1);
        int rc = encode_value(f, &v->as.items[i], item_kind, b, err, depth);
        if (rc) return rc;
      }
      referrals_buffer_append(b, "]", 1);
      return REFERRALS_OK;
    }
  }
}

static void write_separator(referrals_buffer *b, int *first) {
  if (!*first) referrals_buffer_append(b, ",", 1);
  *first = 0;
}

static int encode_object(const referrals_type *t, const void *obj, referrals_buffer *b,
                         referrals_error *err, int depth) {
  if (depth > REFERRALS_MAX_DEPTH)
    return referrals_error_set(err, REFERRALS_E_JSON, "too_deep", NULL,
                               "nested deeper than %d levels", REFERRALS_MAX_DEPTH);
  int first = 1;
  referrals_buffer_append(b, "{", 1);
  for (unsigned i = 0; i < t->nfields; i++) {
    const referrals_field *f = &t->fields[i];
    const referrals_value *v = REFERRALS_FIELD_VALUE(obj, t, f);
    if (v->state == REFERRALS_ABSENT) continue;
    write_separator(b, &first);
    referrals_buffer_append(b, f->quoted_key, f->key_len + 3u); /* schema keys need no escaping */
    int rc = encode_value(f, v, f->kind, b, err, depth);
    if (rc) return rc;
  }
  for (const referrals_unknown *u = *REFERRALS_UNKNOWN(obj, t); u; u = u->next) {
    write_separator(b, &first);
    referrals_json_write_string(b, u->key, u->key_len);
    referrals_buffer_append(b, ":", 1);
    referrals_buffer_append(b, u->json, u->json_len);
  }
  referrals_buffer_append(b, "}", 1);
  return REFERRALS_OK;
}

int referrals_encode(const referrals_type *t, const void *obj, referrals_buffer *b,
                     referrals_error *err) {
  size_t start = b->len;
  int rc = encode_object(t, obj, b, err, 1);
  if (rc == REFERRALS_OK && b->failed) rc = referrals_error_out_of_memory(err);
  if (rc != REFERRALS_OK) b->len = start; /* leave nothing half-written */
  return rc;
}
