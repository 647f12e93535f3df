/*
 * schema.c: the descriptor tables, generated from the one description in referrals_schema.h.
 * Nothing here lists a field by hand.
 */
#include <string.h>

#include "bytes_equal.h"
#include "referrals.h"

/* ---- enums ---- */
#define VALUE_STRING_(e, v) #v,
#define ENUM_DEF_(ename, lua)                                                             \
  static const char *const ename##_values[] = {REFERRALS_ENUM_##ename(VALUE_STRING_, _)}; \
  const referrals_enum referrals_enum_##ename = {                                         \
      #ename, #lua, ename##_values, sizeof ename##_values / sizeof ename##_values[0]};
REFERRALS_ENUMS(ENUM_DEF_)

#define ENUM_REF_(ename, lua) &referrals_enum_##ename,
const referrals_enum *const referrals_all_enums[] = {REFERRALS_ENUMS(ENUM_REF_)};
const unsigned referrals_all_enums_count =
    sizeof referrals_all_enums / sizeof referrals_all_enums[0];

/* ---- fields: what each KIND refers to ---- */
#define SUB_STRING(s) NULL, NULL
#define SUB_DATETIME(s) NULL, NULL
#define SUB_BOOL(s) NULL, NULL
#define SUB_NUMBER(s) NULL, NULL
#define SUB_JSON(s) NULL, NULL
#define SUB_STRING_ARRAY(s) NULL, NULL
#define SUB_ENUM(s) NULL, &referrals_enum_##s
#define SUB_OBJECT(s) &referrals_type_##s, NULL
#define SUB_OBJECT_ARRAY(s) &referrals_type_##s, NULL

#define FIELD_KEY_(name, key, kind, sub, flags) \
  {key, "\"" key "\":", sizeof(key) - 1, REFERRALS_KIND_##kind, (flags), SUB_##kind(sub)},
#define FIELD_(name, kind, sub, flags) FIELD_KEY_(name, #name, kind, sub, flags)

#define TYPE_FIELDS_(tname, wire) \
  static const referrals_field tname##_fields[] = {REFERRALS_FIELDS_##tname(FIELD_, FIELD_KEY_)};
REFERRALS_TYPES(TYPE_FIELDS_)

/* A field's index is its offset (REFERRALS_FIELD_VALUE): check at compile time that each
 * struct is exactly its values in schema order followed by the unknown list. */
#define LAYOUT_CHECK_(tname, wire)                                                      \
  typedef char tname##_layout_check[(offsetof(referrals_##tname, unknown) ==            \
                                     sizeof tname##_fields / sizeof tname##_fields[0] * \
                                         sizeof(referrals_value))                       \
                                        ? 1                                             \
                                        : -1];
REFERRALS_TYPES(LAYOUT_CHECK_)

#define TYPE_INDEX_(tname, wire) tname##_index,
enum { REFERRALS_TYPES(TYPE_INDEX_) type_count };

#define TYPE_DEF_(tname, wire)                    \
  const referrals_type referrals_type_##tname = { \
      tname##_index,  #tname,                     \
      wire,           sizeof(referrals_##tname),  \
      tname##_fields, sizeof tname##_fields / sizeof tname##_fields[0]};
REFERRALS_TYPES(TYPE_DEF_)

#define TYPE_REF_(tname, wire) &referrals_type_##tname,
const referrals_type *const referrals_all_types[] = {REFERRALS_TYPES(TYPE_REF_)};
const unsigned referrals_all_types_count =
    sizeof referrals_all_types / sizeof referrals_all_types[0];

const referrals_field *referrals_field_find(const referrals_type *t, const char *key, size_t len,
                                            unsigned *hint) {
  unsigned start = hint && *hint < t->nfields ? *hint : 0;
  for (unsigned n = 0, i = start; n < t->nfields; n++, i = i + 1 == t->nfields ? 0 : i + 1) {
    const referrals_field *f = &t->fields[i];
    if (f->key_len == len && referrals_bytes_equal(f->key, key, len)) {
      if (hint) *hint = i + 1;
      return f;
    }
  }
  return NULL;
}

unsigned referrals_type_depth(const referrals_type *t) {
  unsigned deepest = 0;
  for (unsigned i = 0; i < t->nfields; i++) {
    const referrals_field *f = &t->fields[i];
    if (f->kind != REFERRALS_KIND_OBJECT && f->kind != REFERRALS_KIND_OBJECT_ARRAY) continue;
    unsigned d = referrals_type_depth(f->type);
    if (d > deepest) deepest = d;
  }
  return 1 + deepest;
}

int referrals_enum_find(const referrals_enum *e, const char *s, size_t len) {
  /* Byte by byte, no strlen or memcmp call: every value of a walk comes through here, the
   * values are short and most candidates differ at the first byte (issue 5). A value ends at
   * its NUL, so the loop never reads past it; no value is empty. */
  if (len == 0) return -1;
  for (unsigned i = 0; i < e->count; i++) {
    const char *v = e->values[i];
    if (v[0] != s[0]) continue;
    size_t k = 0;
    while (k < len && v[k] && v[k] == s[k]) k++;
    if (k == len && v[k] == '\0') return (int)i;
  }
  return -1;
}
