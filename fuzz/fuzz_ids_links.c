/*
 * fuzz_ids_links.c: libFuzzer target for the id check and the next-link check (url.c), the
 * two ways outside text becomes a URL the client sends its token to (issue 13). The first
 * byte picks the check, the rest is the id or the link.
 * - An id the check accepts, put into the item URL, comes back from libcurl's parser as the
 *   same path: nothing in it is a dot segment or otherwise normalized away.
 * - A link the check accepts becomes a URL on the base URL's scheme, host and port whose
 *   path is the collection's: never another host, never another resource.
 */
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

static referrals_base_url base;

static char *part(CURLU *u, CURLUPart p) {
  char *v = NULL;
  return curl_url_get(u, p, &v, 0) == CURLUE_OK ? v : NULL;
}

/* url parsed by libcurl: its path must be want (exact), its host and port the base's. */
static void check_url(const char *url, const char *want_path) {
  CURLU *u = curl_url();
  if (!u) return;
  if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) abort();
  char *path = part(u, CURLUPART_PATH), *host = part(u, CURLUPART_HOST);
  if (!path || !host || strcasecmp(host, base.host) != 0) abort(); /* DNS names: any case */
  if (want_path && strcmp(path, want_path) != 0) abort();
  if (!want_path && strcmp(path, REFERRALS_COLLECTION_PATH) != 0) abort();
  curl_free(path);
  curl_free(host);
  curl_url_cleanup(u);
}

static void check_id(const char *id, size_t len) {
  if (!referrals_id_valid(id, len)) return;
  referrals_buffer b;
  referrals_buffer_init(&b);
  referrals_buffer_append(&b, REFERRALS_COLLECTION_PATH "/", sizeof REFERRALS_COLLECTION_PATH);
  referrals_url_encode(&b, id, len);
  if (!b.failed) {
    char *path = strdup(b.data);
    b.len = 0;
    referrals_buffer_append(&b, base.url, strlen(base.url));
    referrals_buffer_append(&b, path, strlen(path));
    if (path && !b.failed) check_url(b.data, path);
    free(path);
  }
  referrals_buffer_free(&b);
}

static void check_link(const char *link, size_t len) {
  referrals_buffer out;
  referrals_buffer_init(&out);
  referrals_error err;
  referrals_error_clear(&err);
  if (referrals_next_link_fix(&base, link, len, &out, &err) == REFERRALS_OK) {
    check_url(out.data, NULL);
  } else if (err.category != REFERRALS_E_VALIDATION && err.category != REFERRALS_E_MEMORY) {
    abort();
  }
  referrals_buffer_free(&out);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
  if (!base.url[0]) {
    referrals_error err;
    if (referrals_base_url_parse("https://api.partner.microsoft.com", &base, &err)) abort();
  }
  if (size == 0) return 0;
  if (data[0] & 1)
    check_link((const char *)data + 1, size - 1);
  else
    check_id((const char *)data + 1, size - 1);
  return 0;
}
