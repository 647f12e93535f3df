/* JSON Patch (RFC 6902) as the referrals service accepts it (spec §1.5):
 * only "add" and "replace", only on the documented paths. */
#ifndef FAKE_PATCH_H
#define FAKE_PATCH_H

#include "json.h"
#include "reply.h"

/* Applies the patch document ops (a JSON array) to doc. On error returns -1
 * with a 400 in r and leaves doc partly changed, so callers patch a copy to
 * stay atomic. *status_touched tells whether /status or /substatus was set. */
int patch_apply(jv *doc, const jv *ops, int *status_touched, struct reply *r);

#endif
