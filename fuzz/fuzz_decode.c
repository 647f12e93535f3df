/*
 * fuzz_decode.c: libFuzzer target for the JSON decoder. Any input must either decode or
 * fail with a JSON error; what decodes must encode, and decode again to the same text.
 */
#include <stdlib.h>
#include <string.h>

#include "referrals.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
  referrals_arena *arena = referrals_arena_new();
  referrals_error err;
  referrals_error_clear(&err);
  void *ref;
  if (referrals_decode(&referrals_type_referral, (const char *)data, size, arena, &ref, &err) ==
      REFERRALS_OK) {
    referrals_buffer once, twice;
    referrals_buffer_init(&once);
    referrals_buffer_init(&twice);
    if (referrals_encode(&referrals_type_referral, ref, &once, &err) != REFERRALS_OK) abort();
    void *again;
    if (referrals_decode(&referrals_type_referral, once.data, once.len, arena, &again, &err) !=
        REFERRALS_OK)
      abort();
    if (referrals_encode(&referrals_type_referral, again, &twice, &err) != REFERRALS_OK) abort();
    if (once.len != twice.len || memcmp(once.data, twice.data, once.len) != 0) abort();
    referrals_buffer_free(&once);
    referrals_buffer_free(&twice);
  } else if (err.category != REFERRALS_E_JSON) {
    abort();
  }
  referrals_arena_free(arena);
  return 0;
}
