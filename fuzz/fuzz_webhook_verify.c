/*
 * fuzz_webhook_verify.c: libFuzzer target for the webhook verifier. The input is a saved
 * request: header lines ("Name: value"), an empty line, the body. The certificate is the
 * committed test leaf (no network in the fuzzer): every input must be accepted or refused
 * with a webhook error, and the URL check must give the same answer twice.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "referrals_webhook.h"

static referrals_webhook_verifier *verifier;
static unsigned char cert[1 << 16];
static size_t cert_len;

static void setup(void) {
  static const char *const hosts[] = {"127.0.0.1", "3psostorageacct.blob.core.windows.net"};
  referrals_webhook_options o = {
      hosts, 2, REFERRALS_SOURCE_DIR "/tests/fixtures/webhook/trusted.pem", NULL, 0, 0, 0};
  verifier = referrals_webhook_verifier_new(&o);
  FILE *f = fopen(REFERRALS_SOURCE_DIR "/tests/fixtures/webhook/leaf.pem", "rb");
  if (!verifier || !f) abort();
  cert_len = fread(cert, 1, sizeof cert, f);
  fclose(f);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
  if (!verifier) setup();
  char *text = malloc(size + 1);
  memcpy(text, data, size);
  text[size] = '\0';
  referrals_webhook_request r = {NULL, NULL, NULL, "", 0};
  char *body = strstr(text, "\n\n");
  if (body) {
    *body = '\0';
    r.body = body + 2;
    r.body_len = size - (size_t)(r.body - text);
  }
  for (char *line = text, *next; line && (!body || line < body); line = next) {
    next = strchr(line, '\n');
    if (next) *next++ = '\0';
    char *colon = strchr(line, ':');
    if (!colon) continue;
    *colon = '\0';
    char *value = colon + 1 + (colon[1] == ' ');
    if (!strcasecmp(line, "authorization") || !strcasecmp(line, "x-ms-signature"))
      r.signature = value;
    else if (!strcasecmp(line, "x-ms-certificate-url"))
      r.certificate_url = value;
    else if (!strcasecmp(line, "x-ms-signature-algorithm"))
      r.algorithm = value;
  }
  referrals_error err;
  int rc = referrals_webhook_check_signature(verifier, cert, cert_len, &r, &err);
  if (rc != REFERRALS_OK && rc != REFERRALS_E_WEBHOOK) abort();
  if (r.certificate_url) {
    int a = referrals_webhook_check_url(verifier, r.certificate_url, &err);
    if (a != referrals_webhook_check_url(verifier, r.certificate_url, &err)) abort();
  }
  free(text);
  return 0;
}
