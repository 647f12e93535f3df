/*
 * test_webhook.c: the webhook verifier's checks with the committed test keys
 * (tests/fixtures/webhook/): the URL rules, each refusal code from a crafted request, DER and
 * PEM. No network: referrals_webhook_check_signature takes the certificate itself (the fetch
 * and its cache are covered by the specs against the bundled server).
 */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>

#include "referrals_webhook.h"
#include "tap.h"

static const char *fixture(const char *name) {
  static char path[1024];
  snprintf(path, sizeof path, "%s/tests/fixtures/webhook/%s", REFERRALS_SOURCE_DIR, name);
  return path;
}

static unsigned char *slurp(const char *name, size_t *len) {
  FILE *f = fopen(fixture(name), "rb");
  if (!f) return NULL;
  unsigned char *data = malloc(1 << 16);
  *len = fread(data, 1, 1 << 16, f);
  fclose(f);
  return data;
}

/* "Signature <base64>" of body under the key in the named PEM file, as Partner Center sends. */
static char *sign(const char *keyfile, const char *body, const EVP_MD *md) {
  FILE *f = fopen(fixture(keyfile), "r");
  EVP_PKEY *key = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
  if (f) fclose(f);
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  unsigned char sig[512];
  size_t n = sizeof sig;
  EVP_DigestSignInit(ctx, NULL, md, NULL, key);
  EVP_DigestSign(ctx, sig, &n, (const unsigned char *)body, strlen(body));
  char *out = malloc(10 + 4 * sizeof sig / 3 + 4);
  memcpy(out, "Signature ", 10);
  EVP_EncodeBlock((unsigned char *)out + 10, sig, (int)n);
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(key);
  return out;
}

static const char body[] =
    "{\"EventName\":\"referral-updated\",\"ResourceUri\":\"https://api.partnercenter.microsoft.com/"
    "engagements/v1/referrals/0b9e1d0c-7f4a-4a7e-9a1e-2f6b1c3d4e5f\",\"ResourceName\":"
    "\"referral\",\"AuditUri\":null,\"ResourceChangeUtcDate\":\"2018-02-17T00:05:39.5485487+00:"
    "00\"}";

static const char *code_of(referrals_webhook_verifier *v, const char *cert, const char *key,
                           const char *sent_body, const char *algorithm, referrals_error *err) {
  size_t len = 0;
  unsigned char *der = slurp(cert, &len);
  char *sig = sign(key, body, EVP_sha256());
  referrals_webhook_request r = {sig, "https://h.test/cert/x.cer", algorithm, sent_body,
                                 strlen(sent_body)};
  int rc = referrals_webhook_check_signature(v, der, len, &r, err);
  free(sig);
  free(der);
  return rc == REFERRALS_OK ? "ok" : err->code;
}

static void test_url(referrals_webhook_verifier *v) {
  referrals_error err;
  static const char *const good[] = {
      "https://h.test/cert/pcnotifications-dispatch.microsoft.com.cer",
      "HTTPS://H.test:8443/cert/a_b-1.cer"};
  static const char *const bad[] = {
      "http://h.test/cert/x.cer",       "https://evil.test/cert/x.cer",
      "https://h.test.evil/cert/x.cer", "https://u:p@h.test/cert/x.cer",
      "https://h.test/cert/x.cer?a=1",  "https://h.test/cert/x.cer#f",
      "https://h.test/other/x.cer",     "https://h.test/cert/../x.cer",
      "https://h.test/cert/x.pem",      "https://h.test/cert/.cer",
      "https://h.test:1/cert/x.cer",    "ftp://h.test/cert/x.cer"};
  for (size_t i = 0; i < sizeof good / sizeof *good; i++)
    CHECK(referrals_webhook_check_url(v, good[i], &err) == REFERRALS_OK, good[i]);
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    int rc = referrals_webhook_check_url(v, bad[i], &err);
    CHECK(rc == REFERRALS_E_WEBHOOK && strcmp(err.code, "certificate_url") == 0, bad[i]);
  }
}

static void test_refusals(referrals_webhook_verifier *v) {
  referrals_error err;
  CHECK_STR(code_of(v, "leaf.pem", "leaf.key", body, "rsa-sha256", &err), "ok", "PEM leaf signs");
  CHECK_STR(code_of(v, "leaf.pem", "leaf.key", body, "RSA-SHA256", &err), "ok",
            "algorithm in any case");
  CHECK_STR(code_of(v, "leaf.pem", "leaf.key", "{\"EventName\":\"x\"}", "rsa-sha256", &err),
            "signature", "tampered body");
  CHECK_STR(code_of(v, "leaf.pem", "untrusted-leaf.key", body, "rsa-sha256", &err), "signature",
            "another key's signature");
  CHECK_STR(code_of(v, "leaf.pem", "leaf.key", body, "rsa-sha1", &err), "algorithm", "rsa-sha1");
  CHECK_STR(code_of(v, "other-issuer.pem", "other-issuer.key", body, "rsa-sha256", &err),
            "certificate_issuer", "other issuer");
  CHECK_STR(code_of(v, "untrusted-leaf.pem", "untrusted-leaf.key", body, "rsa-sha256", &err),
            "certificate_chain", "untrusted chain");
  CHECK_STR(code_of(v, "leaf.key", "leaf.key", body, "rsa-sha256", &err), "certificate_fetch",
            "not a certificate");
  CHECK(err.category == REFERRALS_E_WEBHOOK, "category webhook");

  referrals_webhook_request none = {NULL, "https://h.test/cert/x.cer", "rsa-sha256", body, 3};
  CHECK(referrals_webhook_check_signature(v, NULL, 0, &none, &err) == REFERRALS_E_WEBHOOK &&
            strcmp(err.code, "missing_header") == 0,
        "no signature header");
  referrals_webhook_request junk = {"Signature !!!!", "https://h.test/cert/x.cer", "rsa-sha256",
                                    body, strlen(body)};
  size_t len = 0;
  unsigned char *pem = slurp("leaf.pem", &len);
  CHECK(referrals_webhook_check_signature(v, pem, len, &junk, &err) == REFERRALS_E_WEBHOOK &&
            strcmp(err.code, "signature") == 0,
        "signature not base64");

  /* the same certificate as DER, and a bare base64 signature (x-ms-signature) */
  BIO *bio = BIO_new_mem_buf(pem, (int)len);
  X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
  unsigned char *der = NULL;
  int der_len = i2d_X509(x, &der);
  char *sig = sign("leaf.key", body, EVP_sha256());
  referrals_webhook_request bare = {sig + 10, "https://h.test/cert/x.cer", "rsa-sha256", body,
                                    strlen(body)};
  CHECK(referrals_webhook_check_signature(v, der, (size_t)der_len, &bare, &err) == REFERRALS_OK,
        "DER certificate, bare base64 signature");
  free(sig);
  OPENSSL_free(der);
  X509_free(x);
  BIO_free(bio);
  free(pem);
}

int main(void) {
  const char *hosts[] = {"h.test", "h.test:8443"};
  referrals_webhook_options o = {hosts, 2, NULL, NULL, 0, 0, 0};
  char ca[1024];
  snprintf(ca, sizeof ca, "%s", fixture("trusted.pem"));
  o.ca_file = ca;
  referrals_webhook_verifier *v = referrals_webhook_verifier_new(&o);
  CHECK(v != NULL, "verifier made");
  test_url(v);
  test_refusals(v);
  CHECK(referrals_webhook_fetch_count(v) == 0, "no fetch for any of these");
  referrals_webhook_verifier_free(v);
  return tap_done();
}
