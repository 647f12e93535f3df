/*
 * test_token_audience.c: what a 401 says of the token sent (src/core/token_audience.c): the
 * `aud` claim of a JWT read without verifying, only at the top level of its claims, escapes
 * undone and control bytes made terminal-safe; nothing from an opaque or broken token; the
 * message naming the audience needed, never the token.
 */
#include <string.h>

#include "internal.h"
#include "tap.h"

#define PLAIN "eyJhbGciOiJub25lIn0.eyJuIjpbMSx7ImF1ZCI6ImlubmVyIn1dLCJpc3MiOiJ4IiwiYXVkIjoiaHR0cHM6Ly9hcGkucGFydG5lcmNlbnRlci5taWNyb3NvZnQuY29tIn0.c2ln"
#define ESCAPED "eyJhbGciOiJub25lIn0.eyJhdWQiOiJodHRwczpcL1wvYXBpLnBhcnRuZXIubWljcm9zb2Z0LmNvbVwvIn0.c2ln"
#define NO_AUD "eyJhbGciOiJub25lIn0.eyJ0aWQiOiJ0IiwidXBuIjoiYUBiIn0.c2ln"
#define NUMBER_AUD "eyJhbGciOiJub25lIn0.eyJhdWQiOjQyfQ.c2ln"
#define CONTROL_AUD "eyJhbGciOiJub25lIn0.eyJhdWQiOiJldmlsXHUwMDFiWzMxbSJ9.c2ln"
#define NOT_JSON "eyJhbGciOiJub25lIn0.eyJhdWQiOg.c2ln"

static int audience(const char *token, char *out, size_t size) {
  out[0] = '\0';
  return referrals_token_audience(token, strlen(token), out, size);
}

static void test_audience(void) {
  char aud[256];
  CHECK(audience(PLAIN, aud, sizeof aud), "a JWT's aud is read");
  CHECK_STR(aud, "https://api.partnercenter.microsoft.com", "the top-level aud, not a nested one");
  CHECK(audience(ESCAPED, aud, sizeof aud), "an escaped aud is read");
  CHECK_STR(aud, "https://api.partner.microsoft.com/", "its escapes undone");
  CHECK(audience(CONTROL_AUD, aud, sizeof aud), "an aud with a control byte is read");
  CHECK(strchr(aud, 0x1b) == NULL, "made terminal-safe");
  CHECK(!audience(NO_AUD, aud, sizeof aud), "no aud claim: nothing");
  CHECK(!audience(NUMBER_AUD, aud, sizeof aud), "an aud that is no string: nothing");
  CHECK(!audience(NOT_JSON, aud, sizeof aud), "claims that are not JSON: nothing");
  CHECK(!audience("opaque-token-123", aud, sizeof aud), "an opaque token: nothing");
  CHECK(!audience("a.b", aud, sizeof aud), "two parts: nothing");
  CHECK(!audience("a.!!!.c", aud, sizeof aud), "a payload that is no base64url: nothing");
  CHECK(!audience("a..c", aud, sizeof aud), "an empty payload: nothing");
  CHECK(audience(PLAIN, aud, 9) && strcmp(aud, "https://") == 0, "cut to the room given");
}

static void test_explain(void) {
  const char *needed = "https://api.partner.microsoft.com";
  referrals_error err;
  referrals_error_clear(&err);
  strcpy(err.message, "The bearer token is not valid");
  referrals_explain_unauthorized(&err, PLAIN, strlen(PLAIN), needed);
  CHECK_STR(err.needed_audience, needed, "the audience needed is named");
  CHECK_STR(err.audience, "https://api.partnercenter.microsoft.com", "the token's is kept");
  CHECK_STR(err.message,
            "The bearer token is not valid; the token's audience is "
            "https://api.partnercenter.microsoft.com, but this API needs "
            "https://api.partner.microsoft.com (ask for a token for that resource: az account "
            "get-access-token --resource https://api.partner.microsoft.com)",
            "the message says they differ and names the right one");
  CHECK(strstr(err.message, "eyJ") == NULL, "never the token");

  referrals_error_clear(&err);
  strcpy(err.message, "expired");
  referrals_explain_unauthorized(&err, ESCAPED, strlen(ESCAPED), needed);
  CHECK_STR(err.message,
            "expired; the token's audience is https://api.partner.microsoft.com, the one this "
            "API needs (the token may have expired, or the account lack the permission)",
            "the same audience, a trailing slash aside: said so");

  referrals_error_clear(&err);
  strcpy(err.message, "The bearer token is not valid");
  referrals_explain_unauthorized(&err, "opaque", 6, needed);
  CHECK_STR(err.message, "The bearer token is not valid", "an opaque token: the message stays");
  CHECK_STR(err.needed_audience, needed, "and the audience needed is still named");
  CHECK_STR(err.audience, "", "with no audience of the token's");
  referrals_explain_unauthorized(&err, NULL, 0, needed);
  CHECK_STR(err.audience, "", "no token at all: nothing");
}

static void test_needed(void) {
  CHECK_STR(referrals_audience_for_url("https://api.partner.microsoft.com/v1.0/engagements/referrals"),
            REFERRALS_AUDIENCE, "the Referrals API's");
  CHECK_STR(referrals_audience_for_url("http://127.0.0.1:8080/webhooks/v1/registration"),
            REFERRALS_WEBHOOK_AUDIENCE, "the webhook registration API's, whatever the host");
  CHECK_STR(referrals_audience_for_url("https://h/v1.0/webhooks/x"), REFERRALS_AUDIENCE,
            "only a path that starts with /webhooks/");
}

int main(void) {
  test_audience();
  test_needed();
  test_explain();
  return tap_done();
}
