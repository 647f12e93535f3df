/*
 * fuzz_patch_path.c: libFuzzer target for the JSON Patch path parser (patch_path.c), which
 * reads paths given by callers and by the CLI's command line. Any bytes either resolve to a
 * field of the schema, with a JSON Pointer that starts with "/" and resolves to the same
 * field again, or fail with a validation error; the pointer buffer is left as it was then.
 */
#include <stdlib.h>
#include <string.h>

#include "referrals.h"
#include "referrals_client.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
  referrals_buffer pointer;
  referrals_buffer_init(&pointer);
  referrals_patch_target target;
  referrals_error err;
  referrals_error_clear(&err);
  int rc = referrals_patch_path((const char *)data, size, &target, &pointer, &err);
  if (rc == REFERRALS_OK) {
    if (!target.field || pointer.failed || pointer.len == 0 || pointer.data[0] != '/') abort();
    referrals_patch_target again;
    referrals_buffer second;
    referrals_buffer_init(&second);
    if (referrals_patch_path(pointer.data, pointer.len, &again, &second, &err) != REFERRALS_OK ||
        again.field != target.field || again.item != target.item || again.append != target.append ||
        second.len != pointer.len || memcmp(second.data, pointer.data, pointer.len) != 0)
      abort();
    referrals_buffer_free(&second);
  } else if (rc != REFERRALS_E_VALIDATION && rc != REFERRALS_E_MEMORY) {
    abort();
  } else if (rc == REFERRALS_E_VALIDATION && pointer.len != 0) {
    abort();
  }
  referrals_buffer_free(&pointer);
  return 0;
}
