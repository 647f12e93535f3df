/*
 * header_value.c: what may go into a request header or a URL option (issue 13). A NUL cuts a
 * C string short -- "x\0\r\nX-Injected: 1" would be sent as "x" -- and the other control bytes
 * (tab and DEL too) are refused by servers and proxies or read by them as framing, so both
 * are refused before anything is sent, never passed on or trimmed.
 */
#include <string.h>

#include "internal.h"

int referrals_header_value_ok(const char *s, size_t len) {
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x20 || c == 0x7f) return 0;
  }
  return 1;
}

/* RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" */
int referrals_token_ok(const char *s, size_t len) {
  size_t i = 0;
  for (; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
          (c && strchr("-._~+/", c)))) /* strchr finds the NUL of its string too */
      break;
  }
  if (i == 0) return 0;
  while (i < len && s[i] == '=') i++;
  return i == len;
}

static int bad_text(referrals_error *err, const char *field) {
  return referrals_error_set(err, REFERRALS_E_VALIDATION, "header_value", field,
                             "%s: contains a control byte (CR, LF, NUL, tab, DEL ...), which "
                             "cannot be sent in an HTTP header or URL",
                             field);
}

int referrals_option_texts_check(const referrals_client_options *o, referrals_error *err) {
  const struct {
    const char *name, *value;
  } texts[] = {{"user_agent", o->user_agent},
               {"correlation_id", o->correlation_id},
               {"base_url", o->base_url},
               {"proxy", o->proxy}};
  for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
    if (texts[i].value && !referrals_header_value_ok(texts[i].value, strlen(texts[i].value)))
      return bad_text(err, texts[i].name);
  return REFERRALS_OK;
}
