/*
 * webhook_certificate.c: what makes a fetched certificate acceptable (Microsoft's steps and
 * ours): it parses as DER or PEM, its chain verifies against ca_file or the system store, the
 * issuer's and the subject's O= are issuer_organization, it is within its validity; and the
 * RSASSA-PKCS1-v1_5 SHA-256 check of the body with its key. All cryptography is libcrypto's.
 */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>
#include <string.h>

#include "webhook_internal.h"

static X509 *parse(const unsigned char *data, size_t len) {
  const unsigned char *p = data;
  X509 *cert = d2i_X509(NULL, &p, (long)len);
  if (cert) return cert;
  BIO *bio = BIO_new_mem_buf(data, (int)len);
  if (!bio) return NULL;
  cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
  BIO_free(bio);
  return cert;
}

/* Every O= of the name must be org, and there must be one. */
static int organization_is(X509_NAME *name, const char *org) {
  int found = 0;
  for (int i = -1; (i = X509_NAME_get_index_by_NID(name, NID_organizationName, i)) >= 0;) {
    ASN1_STRING *s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
    size_t len = strlen(org);
    if ((size_t)ASN1_STRING_length(s) != len || memcmp(ASN1_STRING_get0_data(s), org, len))
      return 0;
    found = 1;
  }
  return found;
}

static int verify_chain(const referrals_webhook_verifier *v, X509 *cert, referrals_error *err) {
  X509_STORE *store = X509_STORE_new();
  X509_STORE_CTX *ctx = X509_STORE_CTX_new();
  int rc = REFERRALS_OK, ok = 0;
  if (!store || !ctx) {
    rc = referrals_error_set(err, REFERRALS_E_MEMORY, "memory", NULL, "out of memory");
    goto done;
  }
  ok = v->ca_file ? X509_STORE_load_file(store, v->ca_file) : X509_STORE_set_default_paths(store);
  if (ok) ok = X509_STORE_CTX_init(ctx, store, cert, NULL);
  if (ok) ok = X509_verify_cert(ctx) == 1;
  if (!ok) {
    int e = X509_STORE_CTX_get_error(ctx);
    if (e == X509_V_ERR_CERT_HAS_EXPIRED || e == X509_V_ERR_CERT_NOT_YET_VALID)
      rc = referrals_error_set(err, REFERRALS_E_WEBHOOK, "certificate_expired", NULL,
                               "the signing certificate is not valid now");
    else
      rc = referrals_error_set(err, REFERRALS_E_WEBHOOK, "certificate_chain", NULL,
                               "the signing certificate's chain does not verify: %s",
                               X509_verify_cert_error_string(e));
  }
done:
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  return rc;
}

int webhook_certificate_accept(const referrals_webhook_verifier *v, const unsigned char *data,
                               size_t len, X509 **out, referrals_error *err) {
  X509 *cert = parse(data, len);
  if (!cert)
    return referrals_error_set(err, REFERRALS_E_WEBHOOK, "certificate_fetch", NULL,
                               "the certificate is neither DER nor PEM");
  int rc = REFERRALS_OK;
  if (X509_cmp_current_time(X509_get0_notAfter(cert)) <= 0 ||
      X509_cmp_current_time(X509_get0_notBefore(cert)) >= 0)
    rc = referrals_error_set(err, REFERRALS_E_WEBHOOK, "certificate_expired", NULL,
                             "the signing certificate is not valid now");
  else if (!organization_is(X509_get_issuer_name(cert), v->issuer_organization) ||
           !organization_is(X509_get_subject_name(cert), v->issuer_organization))
    rc = referrals_error_set(err, REFERRALS_E_WEBHOOK, "certificate_issuer", NULL,
                             "the signing certificate is not issued to and by O=%s",
                             v->issuer_organization);
  else
    rc = verify_chain(v, cert, err);
  if (rc != REFERRALS_OK) {
    X509_free(cert);
    return rc;
  }
  *out = cert;
  return REFERRALS_OK;
}

int webhook_signature_check(X509 *cert, const referrals_webhook_request *r, referrals_error *err) {
  const char *b64 = r->signature;
  if (strncmp(b64, "Signature ", 10) == 0) b64 += 10;
  size_t b64_len = strlen(b64);
  unsigned char *sig = OPENSSL_malloc(b64_len / 4 * 3 + 3);
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  EVP_PKEY *key = X509_get0_pubkey(cert);
  int rc = REFERRALS_OK;
  if (!sig || !md) {
    rc = referrals_error_set(err, REFERRALS_E_MEMORY, "memory", NULL, "out of memory");
    goto done;
  }
  int n = b64_len % 4 == 0 ? EVP_DecodeBlock(sig, (const unsigned char *)b64, (int)b64_len) : -1;
  if (n > 0 && b64_len >= 1 && b64[b64_len - 1] == '=') n--;
  if (n > 0 && b64_len >= 2 && b64[b64_len - 2] == '=') n--;
  if (n <= 0 || !key || EVP_PKEY_base_id(key) != EVP_PKEY_RSA ||
      EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
      EVP_DigestVerify(md, sig, (size_t)n, (const unsigned char *)r->body, r->body_len) != 1)
    rc = referrals_error_set(err, REFERRALS_E_WEBHOOK, "signature", NULL,
                             "the body's signature does not verify");
done:
  EVP_MD_CTX_free(md);
  OPENSSL_free(sig);
  return rc;
}
