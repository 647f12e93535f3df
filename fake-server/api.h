/* The emulated service: every request that is not for the control API
 * (the referrals API of spec §1, the token endpoint of spec §4, and 404s). */
#ifndef FAKE_API_H
#define FAKE_API_H

#include "reply.h"
#include "server.h"

void api_handle(struct server *srv, const struct request *req, struct reply *r);

#endif
