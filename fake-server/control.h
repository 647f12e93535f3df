/* The control API under /_fake/: lets tests inspect and steer the fake
 * service. Never authenticated, recorded or faulted. */
#ifndef FAKE_CONTROL_H
#define FAKE_CONTROL_H

#include "reply.h"
#include "server.h"

#define CONTROL_PREFIX "/_fake/"

void control_handle(struct server *srv, const struct request *req, struct reply *r);

#endif
