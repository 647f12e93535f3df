/* The service's rules for referral documents: required members and enums
 * (spec §1.4, §2.2), the status life cycle (spec §3.1), and the server-owned
 * members it fills in (spec §1.4, §2.1, fixtures/create-response.json). */
#ifndef FAKE_REFERRAL_H
#define FAKE_REFERRAL_H

#include "json.h"
#include "reply.h"

/* Checks a create (POST) or replace (PUT) body: a JSON object with type,
 * customerProfile, consent and details, enum members within their enums and
 * a valid status/substatus pair. Returns 0, or -1 with a 400 in r. */
int referral_validate(const jv *body, struct reply *r);

/* Checks the status/substatus of doc after an update of a referral whose
 * status was old_status (NULL if it had none): values within the enums, a
 * valid pair, and an allowed transition. Returns 0, or -1 with a 400 in r. */
int referral_check_status_change(const char *old_status, const jv *doc, struct reply *r);

/* The referral stored for a valid create body: server fields added, and
 * outgoing referrals auto-accepted (a missing or New status becomes
 * Active/Accepted). */
jv *referral_create(const jv *body, const char *organization_id);

/* The referral stored for a valid PUT body replacing current: the body's
 * content with current's server fields, a new eTag and updatedDateTime. */
jv *referral_replace(const jv *current, const jv *body);

/* Marks doc (an edited copy of a referral whose status was old_status) as
 * updated now: new eTag and updatedDateTime, and closedDateTime when the
 * referral has just become Closed. */
void referral_touch(jv *doc, const char *old_status);

#endif
