/* The webhook side of the bundled server (issue 14): the signing certificate at
 * /cert/<name>.cer, so the verifier's fetch is real HTTPS (run with --cert/--key).
 * The signed events themselves are events.h. */
#ifndef FAKE_WEBHOOKS_H
#define FAKE_WEBHOOKS_H

#include "reply.h"
#include "server.h"

/* Where the signing certificates are served; any other /cert/<name>.cer serves
 * --webhook-cert, so a verifier never learns a name to pin. The other two serve the
 * certificates of the other-issuer and untrusted-chain fault modes (event_sign.h). */
#define WEBHOOK_CERT_PATH "/cert/pcnotifications-dispatch.test.cer"
#define WEBHOOK_OTHER_ISSUER_CERT_PATH "/cert/other-issuer.cer"
#define WEBHOOK_UNTRUSTED_CERT_PATH "/cert/untrusted-chain.cer"

/* Answers req when it is a webhook route; returns 0 (nothing done) for any other path. */
int webhooks_handle(struct server *srv, const struct request *req, struct reply *rep);

#endif
