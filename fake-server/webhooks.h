/* The webhook side of the bundled server (issue 14): the signing certificate at
 * /cert/<name>.cer, so the verifier's fetch is real HTTPS (run with --cert/--key). */
#ifndef FAKE_WEBHOOKS_H
#define FAKE_WEBHOOKS_H

#include "reply.h"
#include "server.h"

/* Answers req when it is a webhook route; returns 0 (nothing done) for any other path. */
int webhooks_handle(struct server *srv, const struct request *req, struct reply *rep);

#endif
