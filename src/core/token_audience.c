/*
 * token_audience.c: what a 401 says about the token that was sent (issue 17). The most
 * common 401 of the Partner Center APIs is a token for the other of their two audiences
 * (https://api.partner.microsoft.com for Referrals, https://api.partnercenter.microsoft.com
 * for the webhook registration). An Entra access token is a JWT: its `aud` claim is read from
 * the payload WITHOUT verifying the signature -- only the service can, and nothing is
 * trusted from it: it only words the error. An opaque token says nothing. The token itself
 * never reaches the error record.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "json_scan.h"

#define MAX_PAYLOAD 16384 /* bytes of base64url: far beyond any Entra token's claims */

static int base64url_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

/* Decodes unpadded base64url s[0..len) into out (len * 3 / 4 bytes at most); the decoded
 * length, or -1 for a byte outside the alphabet or a length no encoding has. */
static long base64url_decode(const char *s, size_t len, unsigned char *out) {
  unsigned long bits = 0;
  int held = 0;
  long n = 0;
  if (len % 4 == 1) return -1;
  for (size_t i = 0; i < len; i++) {
    int v = base64url_value(s[i]);
    if (v < 0) return -1;
    bits = (bits << 6) | (unsigned long)v;
    held += 6;
    if (held >= 8) {
      held -= 8;
      out[n++] = (unsigned char)(bits >> held);
      bits &= (1ul << held) - 1;
    }
  }
  return n;
}

/* The string member "aud" of the claims object text[0..len) into out (cut to size);
 * 1 when there is one. */
static int read_aud(const char *text, size_t len, char *out, size_t size) {
  referrals_error ignored;
  referrals_scanner s;
  if (referrals_scan_init(&s, text, len, &ignored) != '{' || referrals_scan_open(&s, 1)) return 0;
  for (size_t i = 0;; i++) {
    referrals_json_string key;
    int r = referrals_scan_member(&s, i, NULL, 0, &key);
    if (r <= 0) return 0;
    if (key.len == 3 && !key.escaped && memcmp(key.raw, "aud", 3) == 0 &&
        referrals_scan_peek(&s) == '"') {
      referrals_json_string aud;
      if (referrals_scan_string(&s, &aud)) return 0;
      if (!aud.escaped) {
        referrals_text_safe(out, size, aud.raw, aud.len);
        return 1;
      }
      char *value = malloc(aud.len ? aud.len : 1); /* "https:\/\/..." from some writers */
      if (!value) return 0;
      referrals_text_safe(out, size, value, referrals_json_unescape(&aud, value));
      free(value);
      return 1;
    }
    if (referrals_scan_skip(&s, 1)) return 0;
  }
}

int referrals_token_audience(const char *token, size_t len, char *out, size_t size) {
  const char *dot = token ? memchr(token, '.', len) : NULL;
  if (!dot) return 0;
  const char *payload = dot + 1;
  const char *end = memchr(payload, '.', len - (size_t)(payload - token));
  if (!end || end == payload || (size_t)(end - payload) > MAX_PAYLOAD) return 0;
  size_t n = (size_t)(end - payload);
  unsigned char *json = malloc(n * 3 / 4 + 1);
  if (!json) return 0; /* only the wording of an error is lost */
  long decoded = base64url_decode(payload, n, json);
  int found = decoded > 0 && read_aud((const char *)json, (size_t)decoded, out, size);
  free(json);
  return found;
}

const char *referrals_audience_for_url(const char *url) {
  const char *host = url ? strstr(url, "://") : NULL;
  const char *path = host ? strchr(host + 3, '/') : NULL;
  return path && strncmp(path, "/webhooks/", 10) == 0 ? REFERRALS_WEBHOOK_AUDIENCE
                                                      : REFERRALS_AUDIENCE;
}

/* Whether two audiences are the same, one trailing slash aside (Entra writes both). */
static int same_audience(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la && a[la - 1] == '/') la--;
  if (lb && b[lb - 1] == '/') lb--;
  return la == lb && memcmp(a, b, la) == 0;
}

void referrals_explain_unauthorized(referrals_error *err, const char *token, size_t len,
                                    const char *needed) {
  char aud[sizeof err->audience];
  size_t used = strlen(err->message);
  snprintf(err->needed_audience, sizeof err->needed_audience, "%s", needed);
  if (!referrals_token_audience(token, len, aud, sizeof aud)) return;
  memcpy(err->audience, aud, sizeof aud);
  if (same_audience(aud, needed))
    snprintf(err->message + used, sizeof err->message - used,
             "; the token's audience is %s, the one this API needs (the token may have expired, "
             "or the account lack the permission)", needed);
  else
    snprintf(err->message + used, sizeof err->message - used,
             "; the token's audience is %s, but this API needs %s (ask for a token for that "
             "resource: az account get-access-token --resource %s)", aud, needed, needed);
}
