/* The webhook registration API of Partner Center (issue 14), under /webhooks/v1/registration:
 * one registration per partner (POST creates, GET views, PUT replaces), the event names, and
 * test events (validationEvents) with their delivery attempts. Thread-safe.
 *
 * The event sender (events.c) reads the registration through registration_wants, reports each
 * delivery of a test event with registration_record_attempt, and is asked to send a
 * test-created event through the function set with registration_set_test_sender. Until a
 * sender is set, a test event is recorded and simply has no attempts. */
#ifndef FAKE_REGISTRATION_H
#define FAKE_REGISTRATION_H

#include <time.h>

#include "reply.h"

struct server;
struct request;
struct registration;

struct registration *registration_new(void);
void registration_free(struct registration *reg);
/* Forgets the registration, the test events and the rate window (/_fake/reset). */
void registration_clear(struct registration *reg);

/* Answers req when its path is under /webhooks/v1/registration (the caller has checked the
 * token); returns 0, doing nothing, for any other path. */
int registration_handle(struct server *srv, const struct request *req, struct reply *rep);

/* Whether a registration exists and lists event_name ("referral-created", ...). If so, *url
 * is a copy of its WebhookUrl (the caller frees it) and *ms_signature_header its
 * SignatureTokenToMsSignatureHeader (1: the signature goes in x-ms-signature, 0: in
 * Authorization). Returns 0 (and sets neither) otherwise. */
int registration_wants(struct server *srv, const char *event_name, char **url,
                       int *ms_signature_header);

/* One delivery attempt of the test event correlation_id: the receiver's HTTP status, or 0 when
 * no answer came (a system error), at when. An unknown correlation id is ignored. */
void registration_record_attempt(struct server *srv, const char *correlation_id, unsigned status,
                                 time_t when);

/* Asked to deliver the test-created event of a validationEvents request: called once per
 * accepted request, after the event is recorded (so attempts may be recorded at once), in the
 * request's thread, with no lock held. url and ms_signature_header are the registration's at
 * that moment; the strings are valid only during the call. The call delays the answer to
 * the validationEvents request, so a slow delivery belongs on a thread of its own. */
typedef void (*registration_test_fn)(struct server *srv, const char *correlation_id,
                                     const char *url, int ms_signature_header);
void registration_set_test_sender(struct registration *reg, registration_test_fn send);

#endif
