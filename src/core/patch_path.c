/*
 * patch_path.c: where a JSON Patch path (spec §1.5) lands in the resource. The path is walked
 * through the descriptors of schema.c, member by member and through array items, so the
 * patchable paths are not a second list: a path is patchable when the field it ends at
 * carries REFERRALS_F_PATCH. That gives exactly the connector's list (spec §1.5: /status,
 * /details/dealValue, /team/-, /customerProfile/team, ...) and the deal-registration paths
 * (/registrations/-, /registrations/0/contract/value, ...).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "referrals_client.h"

#if defined(__GNUC__)
__attribute__((format(printf, 5, 6)))
#endif
static int
fail(referrals_error *err, const char *path, size_t len, const char *code, const char *fmt, ...) {
  char field[sizeof err->field], what[200];
  snprintf(field, sizeof field, "%.*s", (int)(len < sizeof field - 1 ? len : sizeof field - 1),
           path);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  return referrals_error_set(err, REFERRALS_E_VALIDATION, code, field, "%s: %s", field, what);
}

/* An array index of RFC 6901: "0" or digits without a leading zero. */
static int array_index(const char *s, size_t len) {
  if (len == 0 || len > 9 || (len > 1 && s[0] == '0')) return 0;
  for (size_t i = 0; i < len; i++)
    if (s[i] < '0' || s[i] > '9') return 0;
  return 1;
}

int referrals_patch_path(const char *path, size_t len, referrals_patch_target *out,
                         referrals_buffer *pointer, referrals_error *err) {
  const referrals_type *members = &referrals_type_referral; /* the next segment is a key */
  const referrals_field *f = NULL;
  int items_next = 0; /* the next segment is an index of the array field f */
  size_t start = pointer->len;
  memset(out, 0, sizeof *out);
  const char *p = path, *end = path + len;
  if (p < end && *p == '/') p++;
  int rc = REFERRALS_OK;
  while (rc == REFERRALS_OK) {
    const char *seg = p;
    while (p < end && *p != '/' && *p != '.') p++;
    size_t n = (size_t)(p - seg);
    if (n == 0) {
      rc = fail(err, path, len, "path", "empty segment");
    } else if (members) {
      f = referrals_field_find(members, seg, n, NULL);
      if (!f) {
        const char *near = referrals_suggest_key(members, seg, n);
        rc =
            fail(err, path, len, "path", "a %s has no member \"%.*s\"%s%s%s", members->wire_name,
                 (int)n, seg, near ? "; did you mean \"" : "", near ? near : "", near ? "\"?" : "");
        break;
      }
      out->item = 0;
      items_next = f->kind == REFERRALS_KIND_OBJECT_ARRAY || f->kind == REFERRALS_KIND_STRING_ARRAY;
      members = f->kind == REFERRALS_KIND_OBJECT ? f->type : NULL;
    } else if (items_next && !out->append && (array_index(seg, n) || (n == 1 && *seg == '-'))) {
      out->item = 1;
      out->append = *seg == '-';
      items_next = 0;
      members = f->kind == REFERRALS_KIND_OBJECT_ARRAY && !out->append ? f->type : NULL;
    } else {
      rc = fail(err, path, len, "path", "\"%.*s\" cannot follow %s", (int)n, seg,
                out->append  ? "\"-\", which ends a path"
                : items_next ? "an array (an index or - does)"
                             : f->key);
    }
    if (rc != REFERRALS_OK) break;
    referrals_buffer_append(pointer, "/", 1);
    referrals_buffer_append(pointer, seg, n);
    if (p == end) break;
    p++;
  }
  if (rc == REFERRALS_OK && !(f->flags & REFERRALS_F_PATCH))
    rc = fail(err, path, len, "not_patchable",
              "%s cannot be changed by PATCH (the reference lists the patchable paths)", f->key);
  if (rc == REFERRALS_OK && pointer->failed) rc = referrals_error_out_of_memory(err);
  if (rc != REFERRALS_OK) pointer->len = start;
  out->field = rc == REFERRALS_OK ? f : NULL;
  return rc;
}
