/* webhook_internal.h: the verifier's state, shared by the webhook_*.c files of the core. */
#ifndef REFERRALS_WEBHOOK_INTERNAL_H
#define REFERRALS_WEBHOOK_INTERNAL_H

#include <openssl/x509.h>
#include <time.h>

#include "referrals_webhook.h"

/* One fetched, accepted certificate, kept until its notAfter. */
typedef struct webhook_cached_cert {
  char *url;
  X509 *cert;
  time_t not_after;
  struct webhook_cached_cert *next;
} webhook_cached_cert;

struct referrals_webhook_verifier {
  char **hosts;
  size_t host_count;
  char *ca_file;
  char *issuer_organization;
  long timeout_ms;
  size_t max_certificate_size;
  size_t max_body_size;
  webhook_cached_cert *cache;
  unsigned long fetches;
};

/* webhook_certificate.c: parses DER or PEM and runs the chain, organization and validity
 * checks; *out owns the certificate on success. */
int webhook_certificate_accept(const referrals_webhook_verifier *v, const unsigned char *data,
                               size_t len, X509 **out, referrals_error *err);
/* webhook_certificate.c: the RSASSA-PKCS1-v1_5 SHA-256 check of the body. */
int webhook_signature_check(X509 *cert, const referrals_webhook_request *r, referrals_error *err);

#endif
