/*
 * webhook_url.c: the certificate URL is read from an unauthenticated request, so it is
 * checked before any request is made: https, a host (and port) on the allow-list, the path
 * /cert/<name>.cer, and no userinfo, query or fragment.
 */
#include <string.h>
#include <strings.h>

#include "webhook_internal.h"

static int refuse(referrals_error *err, const char *why) {
  return referrals_error_set(err, REFERRALS_E_WEBHOOK, "certificate_url", NULL,
                             "the certificate URL is refused: %s", why);
}

static int host_allowed(const referrals_webhook_verifier *v, const char *host, size_t len) {
  for (size_t i = 0; i < v->host_count; i++)
    if (strlen(v->hosts[i]) == len && strncasecmp(v->hosts[i], host, len) == 0) return 1;
  return 0;
}

int referrals_webhook_check_url(const referrals_webhook_verifier *v, const char *url,
                                referrals_error *err) {
  static const char scheme[] = "https://";
  if (!url || strncasecmp(url, scheme, sizeof scheme - 1) != 0)
    return refuse(err, "it is not https");
  const char *host = url + sizeof scheme - 1;
  size_t host_len = strcspn(host, "/?#@");
  if (host[host_len] == '@') return refuse(err, "it carries user information");
  if (host_len == 0 || !host_allowed(v, host, host_len))
    return refuse(err, "its host is not allowed");
  const char *path = host + host_len;
  if (strpbrk(path, "?#")) return refuse(err, "it has a query or a fragment");
  static const char prefix[] = "/cert/", suffix[] = ".cer";
  size_t len = strlen(path);
  if (len <= sizeof prefix - 1 + sizeof suffix - 1 || strncmp(path, prefix, sizeof prefix - 1) ||
      strcmp(path + len - (sizeof suffix - 1), suffix))
    return refuse(err, "its path is not /cert/<name>.cer");
  const char *name = path + sizeof prefix - 1;
  for (const char *c = name; c < path + len - (sizeof suffix - 1); c++) {
    int ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
             *c == '.' || *c == '-' || *c == '_';
    if (!ok || (c == name && *c == '.')) return refuse(err, "its path is not /cert/<name>.cer");
  }
  return REFERRALS_OK;
}
