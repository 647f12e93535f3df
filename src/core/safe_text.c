/*
 * safe_text.c: text that came from the network (the API's error members, a Content-Type,
 * libcurl's messages, which quote URLs) made safe to show in a terminal or a log (issue 13):
 * a control byte (C0, DEL, the C1 controls U+0080..U+009F, which terminals read as escape
 * sequences too) or a byte that is not UTF-8 becomes the four characters \xNN; and the
 * user:password of any scheme://user:password@host in it becomes [redacted].
 */
#include <string.h>

#include "internal.h"
#include "json_text.h"

/* The length of the printable UTF-8 character at s, or 0 when it is to be escaped. */
static size_t printable(const unsigned char *s, size_t avail) {
  if (s[0] < 0x20 || s[0] == 0x7f) return 0;
  if (s[0] < 0x80) return 1;
  size_t n = referrals_utf8_sequence(s, avail);
  if (n == 2 && s[0] == 0xc2 && s[1] < 0xa0) return 0; /* C1: U+0080..U+009F */
  return n;
}

size_t referrals_text_safe(char *dst, size_t size, const char *src, size_t len) {
  static const char hex[] = "0123456789abcdef";
  const unsigned char *s = (const unsigned char *)src;
  size_t o = 0;
  for (size_t i = 0; i < len;) {
    size_t n = printable(s + i, len - i);
    size_t out = n ? n : 4;
    if (o + out >= size) break; /* cut at a whole character or escape */
    if (n) {
      memcpy(dst + o, s + i, n);
      i += n;
    } else {
      dst[o] = '\\';
      dst[o + 1] = 'x';
      dst[o + 2] = hex[s[i] >> 4];
      dst[o + 3] = hex[s[i] & 15];
      i++;
    }
    o += out;
  }
  if (size) dst[o] = '\0';
  return o;
}

int referrals_text_is_safe(const char *s, size_t len) {
  for (size_t i = 0; i < len;) {
    size_t n = printable((const unsigned char *)s + i, len - i);
    if (!n) return 0;
    i += n;
  }
  return 1;
}

/* Where the authority that starts at p ends: at a path, query, fragment, quote or space. */
static size_t authority_len(const char *p) { return strcspn(p, "/?#'\" \t\r\n<>"); }

void referrals_text_redact_userinfo(char *text) {
  static const char mark[] = "[redacted]";
  for (char *p = strstr(text, "://"); p; p = strstr(p, "://")) {
    p += 3;
    size_t n = authority_len(p);
    char *at = NULL;
    for (size_t i = 0; i < n; i++)
      if (p[i] == '@') at = p + i;
    if (!at) continue;
    size_t user = (size_t)(at - p), rest = strlen(at) + 1;
    if (user < sizeof mark - 1) { /* no room for the mark in place: stars, as many */
      memset(p, '*', user);
      continue;
    }
    memcpy(p, mark, sizeof mark - 1);
    memmove(p + sizeof mark - 1, at, rest);
    p += sizeof mark - 1;
  }
}
