/*
 * validate.c: checks a referral before it is sent, so that a mistake is reported with the
 * path of the field at fault instead of as the service's bare 400. The rules the encode walk
 * (encode_walk.c) applies to each member, whatever it reads the referral from (structs, a
 * Lua table): every rule follows from a field's kind and flags, none names a field, except
 * the status/substatus pair (spec §3.1), which is a rule about two of them.
 *
 * Error codes (category REFERRALS_E_VALIDATION; err->field is the path, and the message
 * starts with it):
 *   required     a REFERRALS_F_REQUIRED field absent or null on create (spec §1.4)
 *   read_only    a REFERRALS_F_RO field present on create, even as null (spec §2 "RO")
 *   enum         an ENUM string the enum does not list, case-exact (spec §2.2)
 *   datetime     a DATETIME string that is not a spec datetime (spec §2)
 * Messages never quote the value (it may be customer data that ends up in a log); enum and
 * datetime keep it in err->value for scripts.
 *   utf8         a string that is not valid UTF-8
 *   number       a NUMBER that is NaN or infinite (JSON has neither)
 *   type         on create, a value in a shape its field does not take (REFERRALS_RAW): an
 *                object for the target array, "10000" for dealValue (spec §6 pitfalls 2, 10)
 *   status_pair  status and substatus that do not go together (spec §3.1)
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "encode_walk.h"

typedef referrals_checker checker;
typedef referrals_path path;

size_t referrals_path_render(const path *at, char *out, size_t size) {
  if (!at) {
    if (size) out[0] = '\0';
    return 0;
  }
  size_t n = referrals_path_render(at->up, out, size);
  if (at->key)
    n += (size_t)snprintf(out + n, size - n, "%s%.*s", n ? "." : "", (int)at->key_len, at->key);
  else
    n += (size_t)snprintf(out + n, size - n, "[%lu]", (unsigned long)at->item);
  return n < size ? n : size - 1;
}

/* Keeps the refused string in err->value (cut at a character), out of the message. */
static void keep_value(referrals_error *err, const referrals_value *v) {
  size_t n = v->len;
  if (n >= sizeof err->value) {
    n = sizeof err->value - 1;
    while (n && (v->as.string[n] & 0xC0) == 0x80) n--;
  }
  memcpy(err->value, v->as.string, n);
  err->value[n] = '\0';
}

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static int
fail(checker *ck, const path *at, const char *code, const char *fmt, ...) {
  referrals_error later;
  referrals_error *e = ck->rc ? &later : ck->err;
  char field[sizeof e->field], what[sizeof e->message];
  referrals_path_render(at, field, sizeof field);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  if (e == &later || ck->clear_first) referrals_error_clear(e);
  int rc = referrals_error_set(e, REFERRALS_E_VALIDATION, code, field, "%s: %s", field, what);
  if (ck->value) keep_value(e, ck->value);
  ck->value = NULL;
  if (!ck->rc) ck->rc = rc;
  if (ck->sink) ck->sink(ck->ud, e);
  return rc;
}

/* "None, New, Active, Closed" */
static const char *enum_list(const referrals_enum *e, char *out, size_t size) {
  size_t n = 0;
  out[0] = '\0';
  for (unsigned i = 0; i < e->count && n < size; i++)
    n += (size_t)snprintf(out + n, size - n, "%s%s", i ? ", " : "", e->values[i]);
  return out;
}

static int check_utf8(const referrals_value *v, const path *at, checker *ck) {
  if (referrals_utf8_valid(v->as.string, v->len)) return REFERRALS_OK;
  return fail(ck, at, "utf8", "not valid UTF-8");
}

static int check_enum(const referrals_field *f, const referrals_value *v, const path *at,
                      referrals_mode mode, checker *ck) {
  /* The service itself sends "" for an enum it has no value for (customerProfile.size,
   * spec §2.2); a referral read and written back must not be refused for it. */
  if (mode == REFERRALS_MODE_UPDATE && v->len == 0) return REFERRALS_OK;
  /* From the string, not v->code: a value built by hand may carry a stale code. */
  if (referrals_enum_find(f->enumeration, v->as.string, v->len) >= 0) return REFERRALS_OK;
  char allowed[512];
  const char *near = referrals_suggest_value(f->enumeration, v->as.string, v->len);
  ck->value = v;
  return fail(ck, at, "enum", "not one of %s (case matters)%s%s%s",
              enum_list(f->enumeration, allowed, sizeof allowed), near ? "; did you mean \"" : "",
              near ? near : "", near ? "\"?" : "");
}

static int check_datetime(const referrals_value *v, const path *at, checker *ck) {
  if (referrals_datetime_valid(v->as.string, v->len)) return REFERRALS_OK;
  ck->value = v;
  return fail(ck, at, "datetime", "not a UTC datetime like 2019-02-23T02:05:23.2931817Z");
}

/* How a value of the kind is written in JSON. */
static const char *kind_shape(referrals_kind kind) {
  switch (kind) {
    case REFERRALS_KIND_STRING:
    case REFERRALS_KIND_DATETIME:
    case REFERRALS_KIND_ENUM: return "string";
    case REFERRALS_KIND_BOOL: return "boolean";
    case REFERRALS_KIND_NUMBER: return "number";
    case REFERRALS_KIND_OBJECT: return "object";
    case REFERRALS_KIND_OBJECT_ARRAY:
    case REFERRALS_KIND_STRING_ARRAY: return "array";
    case REFERRALS_KIND_JSON: break; /* takes any shape, so is never raw */
  }
  return "JSON";
}

/* A raw value, kept as the decoder found it on a shape mismatch, is fine on update: it is
 * the service's own and goes back verbatim. On create it is the caller's mistake. */
static int check_raw(referrals_kind expected, const referrals_value *v, const path *at,
                     referrals_mode mode, checker *ck) {
  if (mode != REFERRALS_MODE_CREATE) return REFERRALS_OK;
  const char *got;
  switch (v->len ? v->as.string[0] : '\0') { /* the decoder writes raw JSON compactly */
    case '{': got = "object"; break;
    case '[': got = "array"; break;
    case '"': got = "string"; break;
    case 't':
    case 'f': got = "boolean"; break;
    default: got = "number"; break;
  }
  return fail(ck, at, "type", "expected %s, got %s", kind_shape(expected), got);
}

int referrals_check_member(const referrals_field *f, const referrals_value *v, const path *at,
                           checker *ck) {
  const referrals_mode mode = ck->mode;
  const int create = mode == REFERRALS_MODE_CREATE;
  if (create && (f->flags & REFERRALS_F_RO) && v->state != REFERRALS_ABSENT)
    return fail(ck, at, "read_only", "read-only, set by the server; remove it before create");
  if (v->state == REFERRALS_RAW) return check_raw((referrals_kind)f->kind, v, at, mode, ck);
  if (create && (f->flags & REFERRALS_F_REQUIRED) && v->state != REFERRALS_SET)
    return fail(ck, at, "required", "required on create%s",
                v->state == REFERRALS_NULL ? ", got null" : "");
  if (v->state != REFERRALS_SET) return REFERRALS_OK; /* any field may be null (spec §2) */
  int rc;
  switch ((referrals_kind)f->kind) {
    case REFERRALS_KIND_STRING: return check_utf8(v, at, ck);
    case REFERRALS_KIND_DATETIME:
      /* UTF-8 first, so that a message never quotes broken text. */
      return (rc = check_utf8(v, at, ck)) ? rc : check_datetime(v, at, ck);
    case REFERRALS_KIND_ENUM:
      return (rc = check_utf8(v, at, ck)) ? rc : check_enum(f, v, at, mode, ck);
    case REFERRALS_KIND_NUMBER:
      if (v->is_integer || isfinite(v->as.number)) return REFERRALS_OK;
      return fail(ck, at, "number",
                  "expected a finite number, got %g (JSON has no NaN or infinity)", v->as.number);
    default: /* objects and arrays: the walk looks inside; BOOL, JSON: nothing to check */
      return REFERRALS_OK;
  }
}

/* An item of an OBJECT_ARRAY (OBJECT values) or a STRING_ARRAY (STRING values) may be
 * null, or raw. */
int referrals_check_item(const referrals_field *f, const referrals_value *item, const path *at,
                         checker *ck) {
  const int objects = f->kind == REFERRALS_KIND_OBJECT_ARRAY;
  if (item->state == REFERRALS_NULL || item->state == REFERRALS_ABSENT) return REFERRALS_OK;
  if (item->state == REFERRALS_RAW)
    return check_raw(objects ? REFERRALS_KIND_OBJECT : REFERRALS_KIND_STRING, item, at, ck->mode,
                     ck);
  return objects ? REFERRALS_OK : check_utf8(item, at, ck);
}

/* Whether v is a value its enum lists (after a walk that reported every problem, a value
 * already refused is not judged again as half of a pair). */
static int listed(const referrals_value *v, const char *key) {
  const referrals_field *f = referrals_field_find(&referrals_type_referral, key, strlen(key), NULL);
  return f && referrals_enum_find(f->enumeration, v->as.string, v->len) >= 0;
}

/* spec §3.1. After the walk, so that each half is known to be a listed value or "" (the
 * service's "no value", accepted on update). Only a pair is judged: a substatus alone, on
 * create too, is left to the service. */
int referrals_check_status_pair(const referrals_value *status, const referrals_value *substatus,
                                checker *ck) {
  const char *reason;
  if (status->state != REFERRALS_SET || substatus->state != REFERRALS_SET || status->len == 0 ||
      substatus->len == 0 || !listed(status, "status") || !listed(substatus, "substatus") ||
      referrals_status_pair_valid(status->as.string, substatus->as.string, &reason))
    return REFERRALS_OK;
  const path at = {NULL, "substatus", sizeof "substatus" - 1, 0};
  return fail(ck, &at, "status_pair", "%s", reason);
}

/* ---- on C structs: the walk with the struct source ------------------------------------- */

int referrals_validate_value(const referrals_field *f, const referrals_value *v,
                             const char *path_text, referrals_mode mode, referrals_error *err) {
  checker ck = {.err = err, .mode = mode};
  referrals_encode_walk w = {.source = &referrals_struct_source, .check = &ck, .err = err};
  return referrals_walk_value(&w, f, 0, v, path_text ? path_text : f->key);
}

int referrals_validate_each(const referrals_referral *r, referrals_mode mode,
                            referrals_problem_fn sink, void *ud, referrals_error *err) {
  checker ck = {.err = err, .sink = sink, .ud = ud, .mode = mode};
  referrals_encode_walk w = {.source = &referrals_struct_source, .check = &ck, .err = err};
  referrals_walk_object(&w, &referrals_type_referral, r);
  return ck.rc;
}

int referrals_validate(const referrals_referral *r, referrals_mode mode, referrals_error *err) {
  return referrals_validate_each(r, mode, NULL, NULL, err);
}
