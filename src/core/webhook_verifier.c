/*
 * webhook_verifier.c: the verifier's life, its certificate cache (one fetch per URL while
 * the certificate is valid) and the fetch itself: libcurl, https only, no redirects, a size
 * cap and a short timeout, the ca_file as trust store when given.
 */
#include <curl/curl.h>
#include <openssl/asn1.h>
#include <openssl/err.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "webhook_internal.h"

static const char *const default_hosts[] = {"3psostorageacct.blob.core.windows.net"};

static char *copy(const char *s) {
  if (!s) return NULL;
  size_t n = strlen(s) + 1;
  char *c = malloc(n);
  if (c) memcpy(c, s, n);
  return c;
}

referrals_webhook_verifier *referrals_webhook_verifier_new(const referrals_webhook_options *o) {
  referrals_webhook_options none = {0};
  if (!o) o = &none;
  referrals_webhook_verifier *v = calloc(1, sizeof *v);
  if (!v) return NULL;
  const char *const *hosts = o->certificate_hosts ? o->certificate_hosts : default_hosts;
  size_t count = o->certificate_hosts ? o->certificate_host_count : 1;
  v->hosts = calloc(count ? count : 1, sizeof *v->hosts);
  int ok = v->hosts != NULL;
  for (size_t i = 0; ok && i < count; i++, v->host_count++)
    ok = (v->hosts[i] = copy(hosts[i])) != NULL;
  v->issuer_organization =
      copy(o->issuer_organization ? o->issuer_organization : "Microsoft Corporation");
  ok = ok && v->issuer_organization;
  if (o->ca_file) ok = ok && (v->ca_file = copy(o->ca_file)) != NULL;
  v->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 5000;
  v->max_certificate_size = o->max_certificate_size ? o->max_certificate_size : 64 * 1024;
  v->max_body_size = o->max_body_size ? o->max_body_size : 1024 * 1024;
  if (!ok) {
    referrals_webhook_verifier_free(v);
    return NULL;
  }
  return v;
}

void referrals_webhook_verifier_free(referrals_webhook_verifier *v) {
  if (!v) return;
  for (size_t i = 0; i < v->host_count; i++) free(v->hosts[i]);
  free(v->hosts);
  free(v->ca_file);
  free(v->issuer_organization);
  for (webhook_cached_cert *c = v->cache, *next; c; c = next) {
    next = c->next;
    free(c->url);
    X509_free(c->cert);
    free(c);
  }
  free(v);
}

unsigned long referrals_webhook_fetch_count(const referrals_webhook_verifier *v) {
  return v->fetches;
}

typedef struct fetch_sink {
  unsigned char *data;
  size_t len, cap;
} fetch_sink;

static size_t fetch_write(char *p, size_t size, size_t n, void *userdata) {
  fetch_sink *s = userdata;
  size_t len = size * n;
  if (len > s->cap - s->len) return 0; /* over the cap: libcurl stops the transfer */
  memcpy(s->data + s->len, p, len);
  s->len += len;
  return len;
}

static int fetch(referrals_webhook_verifier *v, const char *url, fetch_sink *sink,
                 referrals_error *err) {
  CURL *curl = curl_easy_init();
  if (!curl) return referrals_error_set(err, REFERRALS_E_MEMORY, "memory", NULL, "out of memory");
  curl_easy_setopt(curl, CURLOPT_URL, url);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, v->timeout_ms);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)v->max_certificate_size);
  if (v->ca_file) curl_easy_setopt(curl, CURLOPT_CAINFO, v->ca_file);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, fetch_write);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, sink);
  v->fetches++;
  CURLcode cc = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(curl);
  if (cc != CURLE_OK)
    return referrals_error_set(err, REFERRALS_E_WEBHOOK, "certificate_fetch", NULL,
                               "the certificate could not be fetched: %s", curl_easy_strerror(cc));
  if (status != 200)
    return referrals_error_set(err, REFERRALS_E_WEBHOOK, "certificate_fetch", NULL,
                               "the certificate could not be fetched: HTTP %ld", status);
  return REFERRALS_OK;
}

/* The accepted certificate of url: from the cache while valid, else fetched and checked. */
static int certificate_for(referrals_webhook_verifier *v, const char *url, X509 **out,
                           referrals_error *err) {
  time_t now = time(NULL);
  for (webhook_cached_cert **p = &v->cache; *p;) {
    webhook_cached_cert *c = *p;
    if (c->not_after <= now) { /* expired: forget it, fetch again */
      *p = c->next;
      free(c->url);
      X509_free(c->cert);
      free(c);
      continue;
    }
    if (strcmp(c->url, url) == 0) {
      *out = c->cert;
      return REFERRALS_OK;
    }
    p = &c->next;
  }
  fetch_sink sink = {malloc(v->max_certificate_size), 0, v->max_certificate_size};
  if (!sink.data)
    return referrals_error_set(err, REFERRALS_E_MEMORY, "memory", NULL, "out of memory");
  X509 *cert = NULL;
  int rc = fetch(v, url, &sink, err);
  if (rc == REFERRALS_OK) rc = webhook_certificate_accept(v, sink.data, sink.len, &cert, err);
  free(sink.data);
  if (rc != REFERRALS_OK) return rc;
  webhook_cached_cert *c = calloc(1, sizeof *c);
  int days = 0, secs = 0;
  if (!c || !(c->url = copy(url)) ||
      ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(cert)) != 1) {
    free(c);
    X509_free(cert);
    return referrals_error_set(err, REFERRALS_E_MEMORY, "memory", NULL, "out of memory");
  }
  c->cert = cert;
  c->not_after = now + (time_t)days * 86400 + secs;
  c->next = v->cache;
  v->cache = c;
  *out = cert;
  return REFERRALS_OK;
}

static int check_request(const referrals_webhook_verifier *v, const referrals_webhook_request *r,
                         referrals_error *err) {
  if (!r->signature || !*r->signature || !r->certificate_url || !r->algorithm)
    return referrals_error_set(err, REFERRALS_E_WEBHOOK, "missing_header", NULL,
                               "the signature, certificate URL or algorithm header is missing");
  if (strcasecmp(r->algorithm, "rsa-sha256") != 0)
    return referrals_error_set(err, REFERRALS_E_WEBHOOK, "algorithm", NULL,
                               "the signature algorithm is not rsa-sha256");
  if (r->body_len > v->max_body_size)
    return referrals_error_set(err, REFERRALS_E_WEBHOOK, "signature", NULL,
                               "the body is larger than max_body_size");
  return REFERRALS_OK;
}

int referrals_webhook_verify(referrals_webhook_verifier *v, const referrals_webhook_request *r,
                             referrals_error *err) {
  referrals_error_clear(err);
  X509 *cert = NULL;
  int rc = check_request(v, r, err);
  if (rc == REFERRALS_OK) rc = referrals_webhook_check_url(v, r->certificate_url, err);
  if (rc == REFERRALS_OK) rc = certificate_for(v, r->certificate_url, &cert, err);
  if (rc == REFERRALS_OK) rc = webhook_signature_check(cert, r, err);
  ERR_clear_error();
  return rc;
}

int referrals_webhook_check_signature(referrals_webhook_verifier *v, const unsigned char *data,
                                      size_t len, const referrals_webhook_request *r,
                                      referrals_error *err) {
  referrals_error_clear(err);
  X509 *cert = NULL;
  int rc = check_request(v, r, err);
  if (rc == REFERRALS_OK) rc = webhook_certificate_accept(v, data, len, &cert, err);
  if (rc == REFERRALS_OK) rc = webhook_signature_check(cert, r, err);
  X509_free(cert);
  ERR_clear_error();
  return rc;
}
