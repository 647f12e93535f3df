/*
 * referrals_webhook.h: verifies the signed events Partner Center POSTs to a webhook receiver.
 * The body is signed with RSASSA-PKCS1-v1_5 / SHA-256 by the key of the certificate named in
 * X-MS-Certificate-Url. The verifier checks the URL before any request (https, allowed host,
 * path /cert/<name>.cer, no userinfo, query or fragment), fetches the certificate once per URL
 * while it is valid (no redirects, size cap, timeout), verifies its chain against ca_file or
 * the system store, requires the issuer's and the subject's O= to be issuer_organization,
 * and then the signature. Refusals are REFERRALS_E_WEBHOOK with err->code one of
 * "missing_header", "algorithm", "certificate_url", "certificate_fetch", "certificate_chain",
 * "certificate_issuer", "certificate_expired", "signature", "json".
 */
#ifndef REFERRALS_WEBHOOK_H
#define REFERRALS_WEBHOOK_H

#include <stddef.h>

#include "referrals.h"

#ifdef __cplusplus
extern "C" {
#endif
/* Built with hidden visibility: what this header declares is the API (tools/check-symbols.sh). */
#if defined(__GNUC__)
#pragma GCC visibility push(default)
#endif

typedef struct referrals_webhook_options {
  const char *const *certificate_hosts; /* "host" or "host:port"; NULL: Microsoft's host */
  size_t certificate_host_count;
  const char *ca_file;             /* PEM bundle for the fetch and the chain; NULL: system */
  const char *issuer_organization; /* NULL: "Microsoft Corporation" */
  long timeout_ms;                 /* 0: 5000 */
  size_t max_certificate_size;     /* 0: 64 KiB */
  size_t max_body_size;            /* 0: 1 MiB */
} referrals_webhook_options;

typedef struct referrals_webhook_verifier referrals_webhook_verifier;

/* A verifier with a copy of opts; NULL when out of memory. */
referrals_webhook_verifier *referrals_webhook_verifier_new(const referrals_webhook_options *opts);
void referrals_webhook_verifier_free(referrals_webhook_verifier *v);

/* The headers of one request, values as received (NULL when absent). signature is the value
 * of Authorization or x-ms-signature: "Signature <base64>" or bare base64. */
typedef struct referrals_webhook_request {
  const char *signature;
  const char *certificate_url;
  const char *algorithm;
  const char *body;
  size_t body_len;
} referrals_webhook_request;

/* REFERRALS_OK when the body is signed by an accepted certificate, else the error. */
int referrals_webhook_verify(referrals_webhook_verifier *v, const referrals_webhook_request *r,
                             referrals_error *err);

/* Checks a certificate URL without fetching it ("certificate_url" on refusal). */
int referrals_webhook_check_url(const referrals_webhook_verifier *v, const char *url,
                                referrals_error *err);

/* Checks a certificate (DER or PEM) as the verifier would after fetching it: chain,
 * organizations, validity. Used by verify, and by the fuzzer with a fixed certificate. */
int referrals_webhook_check_signature(referrals_webhook_verifier *v, const unsigned char *cert,
                                      size_t cert_len, const referrals_webhook_request *r,
                                      referrals_error *err);

/* Certificate downloads made so far (one per URL while its certificate is valid). */
unsigned long referrals_webhook_fetch_count(const referrals_webhook_verifier *v);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif
#ifdef __cplusplus
}
#endif

#endif
