/*
 * test_json_scan.c: the JSON reader (src/core/json_scan.c under json_decode.c and
 * json_error_body.c) against RFC 8259: what it must accept and what it reads, what it must refuse,
 * and where it says the problem is. Decoded text goes back out through encode, so each accepted
 * case shows the values exactly as the reader understood them.
 */
#include <stdio.h>

#include "internal.h"
#include "tap.h"

#define DEEP63 "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
#define DEEP63_END "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"

static const struct {
  const char *in, *out;
} accepted[] = {
    {"{\"name\":\"caf\\u00e9\"}", "{\"name\":\"caf\xC3\xA9\"}"},
    {"{\"name\":\"\\ud83d\\ude00\"}", "{\"name\":\"\xF0\x9F\x98\x80\"}"}, /* a surrogate pair */
    {"{\"name\":\"\\ud800x\"}", "{\"name\":\"\xEF\xBF\xBDx\"}"},          /* alone: U+FFFD */
    {"{\"name\":\"\\udc00\"}", "{\"name\":\"\xEF\xBF\xBD\"}"},
    {"{\"name\":\"a\\/b\\\"c\\\\d\\n\\t\\b\\f\\r\"}",
     "{\"name\":\"a/b\\\"c\\\\d\\n\\t\\b\\f\\r\"}"},
    {"{\"name\":\"\\u0000\"}", "{\"name\":\"\\u0000\"}"},
    {"{\"name\":\"\xE2\x82\xAC \xF0\x9D\x84\x9E\"}",
     "{\"name\":\"\xE2\x82\xAC \xF0\x9D\x84\x9E\"}"},
    {" \n{ \"x\" : [ 1 , { \"a\" : null } ] ,\t\"name\" : \"n\" }\r\n",
     "{\"name\":\"n\",\"x\":[1,{\"a\":null}]}"}, /* unknown members keep their text, compacted */
    {"{\"x\":\"\\u00e9 \\\" \"}", "{\"x\":\"\\u00e9 \\\" \"}"}, /* ... and their escapes */
    {"{\"n\\u0061me\":\"y\"}", "{\"name\":\"y\"}"},             /* an escaped known key */
    {"{\"\":1}", "{\"\":1}"},
    {"{\"x\":[0,-0.5,1E2,1e-2,2.5E+3,123456789012345678901234]}",
     "{\"x\":[0,-0.5,1E2,1e-2,2.5E+3,123456789012345678901234]}"},
    {"{\"details\":{\"dealValue\":-12}}", "{\"details\":{\"dealValue\":-12}}"},
    {"{\"name\":\"a\",\"name\":\"b\"}", "{\"name\":\"b\"}"}, /* the last one wins */
    {"{\"x\":" DEEP63 DEEP63_END "}", "{\"x\":" DEEP63 DEEP63_END "}"},
    {"{\"favorite\":false,\"target\":[]}", "{\"target\":[],\"favorite\":false}"},
    /* members out of schema order, a known name as a prefix, a name with a space */
    {"{\"name\":\"n\",\"id\":\"i\",\"namex\":1,\"id\" :\"j\"}",
     "{\"id\":\"j\",\"name\":\"n\",\"namex\":1}"},
};

static const struct {
  const char *in;
  size_t len; /* 0: strlen(in) */
  const char *code;
  long position;
} refused[] = {
    {"{\"name\":\"x\",}", 0, "syntax", 12},          /* no trailing comma in an object */
    {"{\"x\":[1,]}", 0, "syntax", 8},                /* nor in an array */
    {"{\"x\":01}", 0, "syntax", 6},                  /* no leading zero */
    {"{\"x\":1.}", 0, "syntax", 7},                  /* a digit after the point */
    {"{\"x\":.5}", 0, "syntax", 5},                  /* and before it */
    {"{\"x\":-}", 0, "syntax", 6},                   /* a sign alone */
    {"{\"x\":+1}", 0, "syntax", 5},                  /* no plus sign */
    {"{\"x\":1e}", 0, "syntax", 7},                  /* an exponent needs digits */
    {"{\"x\":NaN}", 0, "syntax", 5},                 /* no NaN */
    {"{\"x\":\"\\x\"}", 0, "syntax", 7},             /* an unknown escape */
    {"{\"x\":\"\\u12G4\"}", 0, "syntax", 10},        /* a bad hex digit */
    {"{\"x\":\"a\tb\"}", 0, "syntax", 7},            /* a raw control byte in a string */
    {"{\"x\":nul}", 0, "syntax", 8},                 /* a misspelt literal */
    {"{\"x\":1}x", 0, "syntax", 7},                  /* text after the value */
    {"{\"x\":1} {}", 0, "syntax", 8},                /* two values */
    {"{'x':1}", 0, "syntax", 1},                     /* single quotes */
    {"{\"x\" 1}", 0, "syntax", 5},                   /* no colon */
    {"{\"x\":1 \"y\":2}", 0, "syntax", 7},           /* no comma */
    {"{\"name\":\"\xC3\x28\"}", 0, "syntax", 9},     /* a bad continuation byte */
    {"{\"name\":\"\xED\xA0\x80\"}", 0, "syntax", 9}, /* a surrogate in UTF-8 */
    {"{\"name\":\"\xC0\xAF\"}", 0, "syntax", 9},     /* an overlong form */
    {"{\"x\":1\0}", 8, "syntax", 6},                 /* a NUL byte */
    {"{\"x\":\"abc", 0, "truncated", 9},
    {"{\"x\":tru", 0, "truncated", 8},
    {"{\"x\":", 0, "truncated", 5},
    {"{\"x\":1,", 0, "truncated", 7},
    {"{", 0, "truncated", 1},
    {"{\"x\":\"\\u12", 0, "truncated", 10},
    {" \n ", 0, "empty", 3},
    {"[1]", 0, "json_type", 0},
    {" \"text\"", 0, "json_type", 1},
    {"[1,", 0, "truncated", 3}, /* invalid JSON is a syntax error before a wrong type */
    {"{\"x\":1e999}", 0, "number_range", 5},
    {"{\"details\":{\"dealValue\":-1e999}}", 0, "number_range", 24},
    {"{\"x\":[" DEEP63 DEEP63_END "]}", 0, "too_deep", 68},
};

/* A case's text for its TAP line: control bytes shown as '.', so a line stays one line. */
static const char *shown(const char *in, char *buf, size_t size) {
  size_t n = 0;
  for (; in[n] && n + 1 < size; n++) buf[n] = (unsigned char)in[n] < 0x20 ? '.' : in[n];
  buf[n] = '\0';
  return buf;
}

static void check_api_error(const char *body, const char *code, const char *message,
                            const char *target) {
  referrals_error err;
  referrals_error_clear(&err);
  int got = referrals_api_error_parse(body, strlen(body), &err);
  char what[160], text[120];
  snprintf(what, sizeof what, "error body %s", shown(body, text, sizeof text));
  if (!code) {
    CHECK(!got, what);
    return;
  }
  CHECK(got, what);
  CHECK_STR(err.code, code, "its code");
  CHECK_STR(err.message, message, "its message");
  CHECK_STR(err.target, target, "its target");
}

int main(void) {
  referrals_arena *a = referrals_arena_new();
  referrals_buffer out;
  referrals_buffer_init(&out);
  for (size_t i = 0; i < sizeof accepted / sizeof accepted[0]; i++) {
    referrals_error err;
    referrals_error_clear(&err);
    void *ref;
    out.len = 0;
    int rc = referrals_decode(&referrals_type_referral, accepted[i].in, strlen(accepted[i].in), a,
                              &ref, &err);
    if (rc == REFERRALS_OK) rc = referrals_encode(&referrals_type_referral, ref, &out, &err);
    char what[160];
    CHECK_STR(rc == REFERRALS_OK ? out.data : err.message, accepted[i].out,
              shown(accepted[i].in, what, sizeof what));
  }
  for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
    referrals_error err;
    referrals_error_clear(&err);
    void *ref;
    size_t len = refused[i].len ? refused[i].len : strlen(refused[i].in);
    int rc = referrals_decode(&referrals_type_referral, refused[i].in, len, a, &ref, &err);
    char what[200], text[120];
    snprintf(what, sizeof what, "refuses %s (%s at %ld)", shown(refused[i].in, text, sizeof text),
             refused[i].code, refused[i].position);
    CHECK(rc == REFERRALS_E_JSON && strcmp(err.code, refused[i].code) == 0 &&
              err.position == refused[i].position,
          what);
    if (rc != REFERRALS_E_JSON || err.position != refused[i].position)
      printf("#   got %s at %ld: %s\n", err.code, err.position, err.message);
  }

  check_api_error(
      "{\"error\":{\"code\":\"badRequest\",\"message\":\"caf\\u00e9 \\\"x\\\"\","
      "\"target\":\"name\",\"innerError\":{\"code\":\"inner\"}}}",
      "badRequest", "caf\xC3\xA9 \"x\"", "name");
  check_api_error("{\"Error\":{\"Code\":\"conflict\",\"details\":[1,{\"a\":[]}]}}", "conflict",
                  "conflict", "");
  check_api_error("{\"error\":\"invalid_grant\",\"error_description\":\"x\"}", NULL, NULL, NULL);
  check_api_error("{\"error\":{\"code\":\"x\"}} trailing", NULL, NULL, NULL);
  check_api_error("<html>bad gateway</html>", NULL, NULL, NULL);
  /* the other Partner Center APIs' formats (the webhook registration API) */
  check_api_error(
      "{\"code\":\"conflict\",\"description\":\"use PUT\",\"data\":[],"
      "\"source\":\"PartnerCenterWebhooks\"}",
      "conflict", "use PUT", "");
  check_api_error("{\"statusCode\":429,\"message\":\"Try again in 57 seconds.\"}", "",
                  "Try again in 57 seconds.", "");
  check_api_error("{\"code\":\"x\",\"data\":[]}", NULL, NULL, NULL);

  referrals_buffer_free(&out);
  referrals_arena_free(a);
  return tap_done();
}
