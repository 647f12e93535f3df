/*
 * test_codec.c: JSON -> struct -> JSON is stable: a second round trip writes the same text as
 * the first, for the numbers whose text is easiest to get wrong. fuzz/fuzz_decode.c checks
 * the same property on random input; each case here is one it or a review found.
 */
#include "referrals.h"
#include "tap.h"

/* Decodes json, encodes it, and returns the text (in out); NULL when either step failed. */
static const char *round_trip(const char *json, referrals_arena *a, referrals_buffer *out) {
  referrals_error err;
  referrals_error_clear(&err);
  void *ref;
  out->len = 0;
  if (referrals_decode(&referrals_type_referral, json, strlen(json), a, &ref, &err) != REFERRALS_OK)
    return NULL;
  if (referrals_encode(&referrals_type_referral, ref, out, &err) != REFERRALS_OK) return NULL;
  return out->data;
}

int main(void) {
  static const struct {
    const char *in, *once;
  } cases[] = {
      {"{\"details\":{\"dealValue\":-0e5}}", "{\"details\":{\"dealValue\":-0.0}}"},
      {"{\"details\":{\"dealValue\":-0.0}}", "{\"details\":{\"dealValue\":-0.0}}"},
      {"{\"details\":{\"dealValue\":-0}}", "{\"details\":{\"dealValue\":0}}"},
      {"{\"details\":{\"dealValue\":50000.0}}", "{\"details\":{\"dealValue\":50000}}"},
      {"{\"details\":{\"dealValue\":0.1}}", "{\"details\":{\"dealValue\":0.1}}"},
      {"{\"details\":{\"dealValue\":1e15}}", "{\"details\":{\"dealValue\":1e+15}}"},
      {"{\"details\":{\"dealValue\":9007199254740993}}",
       "{\"details\":{\"dealValue\":9007199254740993}}"},
      {"{\"details\":{\"dealValue\":1e300}}", "{\"details\":{\"dealValue\":1e+300}}"},
  };
  referrals_arena *a = referrals_arena_new();
  referrals_buffer once, twice;
  referrals_buffer_init(&once);
  referrals_buffer_init(&twice);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *first = round_trip(cases[i].in, a, &once);
    CHECK_STR(first ? first : "(failed)", cases[i].once, cases[i].in);
    const char *second = first ? round_trip(first, a, &twice) : NULL;
    CHECK_STR(second ? second : "(failed)", cases[i].once, "the second round trip writes the same");
  }
  referrals_buffer_free(&once);
  referrals_buffer_free(&twice);
  referrals_arena_free(a);
  return tap_done();
}
