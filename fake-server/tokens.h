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

enum auth_result { AUTH_OK, AUTH_MISSING, AUTH_REJECTED, AUTH_EXPIRED, AUTH_WRONG_AUDIENCE };

/* Checks an Authorization header value (NULL if absent). */
enum auth_result tokens_check(struct tokens *t, const char *authorization);

/* Handles a token request: content_type and the form-encoded body. */
void tokens_issue(struct tokens *t, const char *content_type, const char *body, size_t body_len,
                  struct reply *r);

/* Handles POST /<tenant>/oauth2/v2.0/devicecode (client_id, scope). */
void tokens_devicecode(struct tokens *t, const char *content_type, const char *body,
                       size_t body_len, struct reply *r);

/* The device codes, for the control API. */
struct devicecodes *tokens_devices(struct tokens *t);

#endif
