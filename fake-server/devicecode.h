/* The OAuth 2.0 device authorization grant (RFC 8628) as Microsoft Entra
 * serves it: POST /<tenant>/oauth2/v2.0/devicecode hands out a device code
 * and a user code; the token endpoint answers a device_code grant with
 * authorization_pending until a spec acts on the code through the control
 * API (approve, decline, expire, slow_down). Thread-safe. */
#ifndef FAKE_DEVICECODE_H
#define FAKE_DEVICECODE_H

#include "reply.h"

struct devicecodes;

/* interval: the seconds the client is told to wait between polls. */
struct devicecodes *devicecodes_new(long interval);
void devicecodes_free(struct devicecodes *d);

/* Answers the devicecode request (client_id and scope already checked). */
void devicecodes_start(struct devicecodes *d, const char *scope, struct reply *r);

enum device_state {
    DEVICE_PENDING,
    DEVICE_APPROVED,
    DEVICE_DECLINED,
    DEVICE_EXPIRED,
    DEVICE_SLOW_DOWN,
    DEVICE_UNKNOWN
};

/* The state of a polled device code; an approved or finished code is used
 * up (the next poll finds it unknown). When approved, *scope gets the scope
 * it was asked for and *username the account that signed in (copies to
 * free). */
enum device_state devicecodes_poll(struct devicecodes *d, const char *device_code, char **scope,
                                   char **username);

/* Control: sets the state of the code with this user code ("approve",
 * "decline", "expire", "slow_down"); username (NULL: DEVICE_USERNAME) is the
 * account an approval signs in. Returns 0, or -1 for an unknown code or
 * action. */
int devicecodes_act(struct devicecodes *d, const char *user_code, const char *action,
                    const char *username);

/* The account an approval signs in when the control call names none. */
#define DEVICE_USERNAME "user@contoso.onmicrosoft.com"

#endif
