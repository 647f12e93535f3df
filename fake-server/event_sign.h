/* The signing side of the bundled server's webhook events (issue 14): the test keys, and
 * one event's body signed as Partner Center signs it, or misbehaving on purpose (a fault
 * mode) so that a receiver's refusals can be tested end to end. libcrypto does the RSA. */
#ifndef FAKE_EVENT_SIGN_H
#define FAKE_EVENT_SIGN_H

#include <stddef.h>

#include "options.h"

/* How an event misbehaves; EVENT_FAULT_NONE is a correct event. */
enum event_fault {
    EVENT_FAULT_NONE,
    EVENT_FAULT_TAMPERED_BODY,   /* one byte of the body changed after signing */
    EVENT_FAULT_OTHER_ISSUER,    /* signed by --webhook-other-key, its certificate served */
    EVENT_FAULT_UNTRUSTED_CHAIN, /* signed by --webhook-untrusted-key, its certificate served */
    EVENT_FAULT_OTHER_HOST,      /* the certificate URL names localhost, not 127.0.0.1 */
    EVENT_FAULT_RSA_SHA1,        /* signed with SHA-1, and the header says rsa-sha1 */
};

/* The fault named name ("tampered_body", "other_issuer", ...); -1 for an unknown name. */
int event_fault_parse(const char *name, enum event_fault *out);
const char *event_fault_name(enum event_fault fault);

struct signers;

/* Loads the keys the options name (--webhook-key, --webhook-other-key,
 * --webhook-untrusted-key). NULL after a message on stderr when a named key cannot be read. */
struct signers *signers_load(const struct options *opt);
void signers_free(struct signers *s);

/* Whether events can be signed at all (a --webhook-key), and under fault. */
int signers_can(const struct signers *s, enum event_fault fault);

/* One event as it goes on the wire. */
struct signed_event {
    char *body;            /* what is sent (differs from what was signed when tampered) */
    char *signature;       /* base64 */
    const char *algorithm; /* X-MS-Signature-Algorithm */
    char *cert_url;        /* X-MS-Certificate-Url */
};

/* Signs body (NUL-terminated) under fault; origin is the server's own "https://127.0.0.1:PORT".
 * Returns 0, or -1 when the signer for fault is missing or libcrypto fails. */
int event_sign(const struct signers *s, enum event_fault fault, const char *body,
               const char *origin, struct signed_event *out);
void signed_event_free(struct signed_event *e);

#endif
