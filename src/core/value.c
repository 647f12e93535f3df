/*
 * value.c: constructors for referrals_value, so that C code builds a referral by naming
 * members (ref->type = referrals_string("Shared")) instead of filling unions by hand.
 */
#include <string.h>

#include "referrals.h"

static referrals_value set_value(void) {
  referrals_value v;
  memset(&v, 0, sizeof v);
  v.state = REFERRALS_SET;
  return v;
}

void *referrals_new(referrals_arena *a, const referrals_type *t) {
  return referrals_arena_alloc(a, t->size);
}

referrals_value referrals_string(const char *s) {
  referrals_value v = set_value();
  v.code = -1;
  v.as.string = s;
  v.len = (uint32_t)strlen(s);
  return v;
}

referrals_value referrals_bool(int b) {
  referrals_value v = set_value();
  v.as.boolean = b != 0;
  return v;
}

referrals_value referrals_integer(long long i) {
  referrals_value v = set_value();
  v.is_integer = 1;
  v.as.integer = i;
  return v;
}

referrals_value referrals_number(double d) {
  referrals_value v = set_value();
  v.as.number = d;
  return v;
}

referrals_value referrals_object(void *obj) {
  if (!obj) return referrals_null();
  referrals_value v = set_value();
  v.as.object = obj;
  return v;
}

referrals_value referrals_null(void) {
  referrals_value v = set_value();
  v.state = REFERRALS_NULL;
  return v;
}

referrals_value referrals_array(referrals_arena *a, const referrals_value *items, size_t n) {
  referrals_value v = set_value();
  v.len = (uint32_t)n;
  if (n) {
    v.as.items = referrals_arena_alloc(a, n * sizeof *items);
    if (!v.as.items) return referrals_null();
    memcpy(v.as.items, items, n * sizeof *items);
  }
  return v;
}
