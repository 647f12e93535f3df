/* The bundled server's signed webhook events (issue 14): once a webhook is registered,
 * creating or updating a referral POSTs a signed event to the registered URL, and a test
 * event goes out on request. A sender thread does the POSTs (libcurl), so the API's answer
 * is never held up by a receiver: up to ten attempts per event, --webhook-retry-ms before
 * the second and doubling, then the event is parked, as Partner Center does. Every attempt
 * is recorded for GET /_fake/events. Thread-safe. */
#ifndef FAKE_EVENTS_H
#define FAKE_EVENTS_H

#include "ids.h"
#include "json.h"
#include "options.h"
#include "reply.h"

struct server;
struct request;
struct events;

/* Partner Center's attempts per event before it parks it. */
#define EVENT_ATTEMPTS 10

/* Loads the signing keys (srv->opt) and starts the sender thread; NULL after a message on
 * stderr when a key cannot be read. Sets itself as the registration's test sender. */
struct events *events_new(struct server *srv);
/* Stops the sender (an attempt under way is cut short) and frees everything. */
void events_free(struct events *e);
/* Forgets every event and fault (POST /_fake/reset). */
void events_clear(struct events *e);

/* Queues event name ("referral-created", "test-created", ...) about resource_uri to url,
 * signed, the signature in x-ms-signature when ms_header, else in Authorization. id is the
 * event's id (GUID_LEN + 1 bytes): a test event's correlation id as given, or "" to get a
 * fresh one. Returns 0, or -1 when the server has no --webhook-key (or not the key a queued
 * fault needs). */
int events_send(struct server *srv, const char *name, const char *resource_uri, const char *url,
                int ms_header, char *id);

/* A referral was created or changed (event_name "referral-created", "referral-updated"):
 * its event goes to the registered webhook, if one wants it. The API's hook (api.c). */
void events_referral_changed(struct server *srv, const char *event_name, const char *referral_id);

/* The control API (control.c): GET /_fake/events (every event, oldest first: "id",
 * "EventName", "url", "signature_header", "certificate_url", "algorithm", "signature"
 * (base64), "body", "fault", "state" pending|delivered|parked, "attempts"
 * [{"status","error","dateTimeUtc"}]),
 * POST /_fake/events (send one now), POST /_fake/event-faults (queue fault modes). */
void events_control_list(struct server *srv, const struct request *req, struct reply *r);
void events_control_send(struct server *srv, const struct request *req, struct reply *r);
void events_control_faults(struct server *srv, const struct request *req, struct reply *r);

#endif
