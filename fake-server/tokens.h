/* Bearer tokens: which ones the API accepts, and the OAuth token endpoint
 * (POST /<tenant>/oauth2/token, spec §4; /<tenant>/oauth2/v2.0/token too)
 * that issues more, per audience. Thread-safe. */
#ifndef FAKE_TOKENS_H
#define FAKE_TOKENS_H

#include <stddef.h>

#include "reply.h"

struct tokens;

/* fixed: the token given with --token (NULL = accept any non-empty token);
 * lifetime: seconds an issued access token is valid; device_interval: the
 * polling interval handed out with device codes. */
struct tokens *tokens_new(const char *fixed, long lifetime, long device_interval);
void tokens_free(struct tokens *t);

/* The bearer check of every request, whoever handles it: a path under an
 * API's prefix (/v1.0/: https://api.partner.microsoft.com; /webhooks/:
 * https://api.partnercenter.microsoft.com) needs a good token of that API's
 * audience. Returns 1 when the request may go on (also for paths that need
 * no token), else 0 with the 401 written in r (missing, not valid, expired,
 * or for another audience, naming the one needed). authorization: the
 * header's value, NULL if absent. */
int tokens_authorize(struct tokens *t, const char *path, const char *authorization,
                     struct reply *r);

/* Handles a token request to path (/<tenant>/oauth2/token or
 * /<tenant>/oauth2/v2.0/token): content_type and the form-encoded body. */
void tokens_issue(struct tokens *t, const char *path, const char *content_type, const char *body,
                  size_t body_len, struct reply *r);

/* Handles POST /<tenant>/oauth2/v2.0/devicecode (client_id, scope). */
void tokens_devicecode(struct tokens *t, const char *content_type, const char *body,
                       size_t body_len, struct reply *r);

/* The device codes, for the control API. */
struct devicecodes *tokens_devices(struct tokens *t);

#endif
