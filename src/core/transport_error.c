/*
 * transport_error.c: what a failed libcurl transfer becomes: a transport error with a stable
 * code (CONNECT, TIMEOUT, TLS, ...), whether another attempt may succeed, and how it failed
 * for the retry rules (before the request went out, after it, a timeout, for good). http.c
 * says what the transfer saw; the text is libcurl's, redacted and made safe.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* CURLcode -> the stable codes of transport errors; transient: another attempt may succeed
 * (whether it is safe depends on what was sent, referrals_retry_allowed). */
static const struct {
  CURLcode curl;
  const char *code;
  int transient;
} transport_codes[] = {
    {CURLE_OPERATION_TIMEDOUT, "TIMEOUT", 1},
    {CURLE_COULDNT_CONNECT, "CONNECT", 1},
    {CURLE_COULDNT_RESOLVE_HOST, "RESOLVE", 0},
    {CURLE_COULDNT_RESOLVE_PROXY, "RESOLVE", 0},
    {CURLE_SEND_ERROR, "SEND", 1},
    {CURLE_RECV_ERROR, "RECV", 1},
    {CURLE_GOT_NOTHING, "RECV", 1},
    {CURLE_PARTIAL_FILE, "RECV", 1},
    {CURLE_WEIRD_SERVER_REPLY, "RECV", 0},
    {CURLE_SSL_CONNECT_ERROR, "TLS", 0},
    {CURLE_PEER_FAILED_VERIFICATION, "TLS", 0},
    {CURLE_SSL_CACERT_BADFILE, "TLS", 0},
    {CURLE_SSL_CERTPROBLEM, "TLS", 0},
    {CURLE_SSL_CIPHER, "TLS", 0},
    {CURLE_SSL_ISSUER_ERROR, "TLS", 0},
    {CURLE_SSL_CRL_BADFILE, "TLS", 0},
    {CURLE_SSL_PINNEDPUBKEYNOTMATCH, "TLS", 0},
    {CURLE_SSL_INVALIDCERTSTATUS, "TLS", 0},
    {CURLE_UNSUPPORTED_PROTOCOL, "PROTOCOL", 0},
    {CURLE_URL_MALFORMAT, "URL", 0},
};

/* libcurl 7.x reports a response header line over its limit (100 KiB) as out of memory,
 * without a word in the error buffer (newer versions say CURLE_TOO_LARGE, or "Rejected N
 * bytes header"). An out-of-memory between the status line and the end of the headers is
 * taken for that: it is the server's doing far more often than a failed allocation. */
static int header_too_large(const referrals_transfer_outcome *o) {
#if LIBCURL_VERSION_NUM >= 0x080600
  if (o->rc == CURLE_TOO_LARGE) return 1;
#endif
  return o->rc == CURLE_OUT_OF_MEMORY &&
         (o->in_headers ||
          (strncmp(o->errbuf, "Rejected ", 9) == 0 && strstr(o->errbuf, "header") != NULL));
}

static referrals_failure failure_of(const referrals_transfer_outcome *o, int transient) {
  if (!transient) return REFERRALS_FAIL_PERMANENT;
  if (!o->sent) return REFERRALS_FAIL_PRE_SEND;
  return o->rc == CURLE_OPERATION_TIMEDOUT ? REFERRALS_FAIL_TIMEOUT : REFERRALS_FAIL_AFTER_SEND;
}

referrals_failure referrals_transport_error(const referrals_transfer_outcome *o,
                                            referrals_error *err) {
  CURLcode rc = (CURLcode)o->rc;
  if (header_too_large(o)) {
    referrals_error_set(err, REFERRALS_E_TRANSPORT, "HEADER_TOO_LARGE", NULL,
                        "a response header is too large (libcurl's limit is 100 KiB)");
    return REFERRALS_FAIL_PERMANENT;
  }
  if (o->out_of_memory || rc == CURLE_OUT_OF_MEMORY) {
    referrals_error_out_of_memory(err);
    return REFERRALS_FAIL_PERMANENT;
  }
  if (o->too_large) {
    referrals_error_set(err, REFERRALS_E_TRANSPORT, "TOO_LARGE", NULL,
                        "the answer is larger than max_response (%zu bytes)", o->max_body);
    return REFERRALS_FAIL_PERMANENT;
  }
  if (o->rewind_refused) {
    referrals_error_set(err, REFERRALS_E_TRANSPORT, "NO_ANSWER", NULL,
                        "the connection closed after the request was sent, before any answer");
    err->retryable = 0;
    return REFERRALS_FAIL_AFTER_SEND;
  }
  char code[24];
  snprintf(code, sizeof code, "CURL_%d", (int)rc);
  int transient = 0;
  for (size_t i = 0; i < sizeof transport_codes / sizeof transport_codes[0]; i++) {
    if (transport_codes[i].curl == rc) {
      snprintf(code, sizeof code, "%s", transport_codes[i].code);
      transient = transport_codes[i].transient;
      break;
    }
  }
  /* libcurl's own text: it names host and port, never a header, but may quote a proxy URL
   * with its user:password, and a host name the server sent: redacted, made safe. */
  char text[CURL_ERROR_SIZE];
  snprintf(text, sizeof text, "%s", o->errbuf[0] ? o->errbuf : curl_easy_strerror(rc));
  referrals_text_redact_userinfo(text);
  referrals_error_set(err, REFERRALS_E_TRANSPORT, code, NULL, "%s", text);
  referrals_text_safe(err->message, sizeof err->message, text, strlen(text));
  err->retryable = transient;
  err->status = o->status;
  memcpy(err->request_id, o->request_id, sizeof err->request_id);
  return failure_of(o, transient);
}
