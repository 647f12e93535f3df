/*
 * error.c: the error record (DESIGN.md "Errors"). Fixed-size fields, so reporting an error
 * never allocates and cannot fail.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "referrals.h"

static void copy_text(char *dst, size_t size, const char *src) {
  if (!src) src = "";
  size_t n = strlen(src);
  if (n >= size) n = size - 1;
  memcpy(dst, src, n);
  dst[n] = '\0';
}

void referrals_error_clear(referrals_error *err) {
  memset(err, 0, sizeof *err);
  err->position = -1;
  err->retry_after = -1;
}

int referrals_error_set(referrals_error *err, referrals_category category, const char *code,
                        const char *field, const char *fmt, ...) {
  err->category = category;
  copy_text(err->code, sizeof err->code, code);
  copy_text(err->field, sizeof err->field, field);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->message, sizeof err->message, fmt, ap);
  va_end(ap);
  return (int)category;
}

int referrals_error_out_of_memory(referrals_error *err) {
  return referrals_error_set(err, REFERRALS_E_MEMORY, "ENOMEM", NULL, "out of memory");
}

const char *referrals_category_name(referrals_category c) {
  switch (c) {
    case REFERRALS_OK: return "ok";
    case REFERRALS_E_VALIDATION: return "validation";
    case REFERRALS_E_TRANSPORT: return "transport";
    case REFERRALS_E_HTTP: return "http";
    case REFERRALS_E_API: return "api";
    case REFERRALS_E_JSON: return "json";
    case REFERRALS_E_AUTH: return "auth";
    case REFERRALS_E_MEMORY: return "memory";
    case REFERRALS_E_WEBHOOK: return "webhook";
  }
  return "unknown";
}
