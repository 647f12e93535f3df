/* The HTTP side: a libmicrohttpd daemon (one thread per connection, so a
 * delayed response never holds up other connections) that reads each request
 * in full, records it, applies injected faults, and dispatches to the control
 * API or the emulated service. */
#ifndef FAKE_HTTP_H
#define FAKE_HTTP_H

#include "server.h"

struct MHD_Daemon;

/* Starts listening on 127.0.0.1:srv->opt->port (HTTPS when cert and key,
 * PEM text, are given) and sets srv->port. NULL on failure (reported on
 * stderr by libmicrohttpd). */
struct MHD_Daemon *http_start(struct server *srv, const char *cert, const char *key);

/* Wakes delayed responses and stops the daemon, waiting for its threads. */
void http_stop(struct server *srv, struct MHD_Daemon *daemon);

#endif
