/* Tokens (see tokens.h). Issued tokens are kept for the whole run (a reset
 * does not revoke them, as a reset does not log anybody out of Azure AD);
 * lookups are linear, which is fine for the handful a test run fetches. */
#include "tokens.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "devicecode.h"
#include "ids.h"
#include "json.h"
#include "query.h"

#define RESOURCE "https://api.partner.microsoft.com" /* spec §4: the token audience */
/* The webhook registration API's audience: one refresh token serves both. */
#define WEBHOOK_RESOURCE "https://api.partnercenter.microsoft.com"
#define TOKEN_BYTES 32

struct issued {
    char access[2 * TOKEN_BYTES + 1];
    char refresh[2 * TOKEN_BYTES + 1];
    const char *audience; /* RESOURCE or WEBHOOK_RESOURCE */
    time_t expires_on;
};

struct tokens {
    pthread_mutex_t lock;
    char *fixed;
    long lifetime;
    struct devicecodes *devices;
    struct issued *items;
    size_t count;
    size_t cap;
};

struct tokens *tokens_new(const char *fixed, long lifetime, long device_interval)
{
    struct tokens *t = xcalloc(1, sizeof *t);
    pthread_mutex_init(&t->lock, NULL);
    t->fixed = fixed ? xstrdup(fixed) : NULL;
    t->lifetime = lifetime;
    t->devices = devicecodes_new(device_interval);
    return t;
}

void tokens_free(struct tokens *t)
{
    if (!t)
        return;
    free(t->fixed);
    free(t->items);
    devicecodes_free(t->devices);
    pthread_mutex_destroy(&t->lock);
    free(t);
}

enum auth_result tokens_check(struct tokens *t, const char *authorization)
{
    const char *token;
    size_t i, len;
    enum auth_result rc;
    if (!authorization || strncasecmp(authorization, "Bearer ", 7) != 0)
        return AUTH_MISSING;
    token = authorization + 7;
    token += strspn(token, " \t");
    len = strcspn(token, " \t");
    if (len == 0 || token[len + strspn(token + len, " \t")] != '\0')
        return len ? AUTH_REJECTED : AUTH_MISSING;
    rc = t->fixed && !(strlen(t->fixed) == len && strncmp(t->fixed, token, len) == 0)
             ? AUTH_REJECTED
             : AUTH_OK;
    pthread_mutex_lock(&t->lock);
    for (i = 0; i < t->count; i++) {
        if (strlen(t->items[i].access) == len && strncmp(t->items[i].access, token, len) == 0) {
            rc = strcmp(t->items[i].audience, RESOURCE) != 0 ? AUTH_WRONG_AUDIENCE
                 : time(NULL) < t->items[i].expires_on       ? AUTH_OK
                                                             : AUTH_EXPIRED;
            break;
        }
    }
    pthread_mutex_unlock(&t->lock);
    return rc;
}

/* The Azure AD error format: {"error":"<code>","error_description":"..."}. */
static void oauth_error(struct reply *r, const char *code, const char *description)
{
    r->status = 400;
    sb_reset(&r->body);
    sb_adds(&r->body, "{\"error\":");
    json_write_cstr(&r->body, code);
    sb_adds(&r->body, ",\"error_description\":");
    json_write_cstr(&r->body, description);
    sb_addc(&r->body, '}');
}

/* Names the first of the NULL-terminated parameter names missing from p. */
static const char *first_missing(const struct params *p, const char *const *names)
{
    for (; *names; names++) {
        const char *v = params_get(p, *names);
        if (!v || !*v)
            return *names;
    }
    return NULL;
}

/* Records a new token pair and writes the token response (spec §4: the v1
 * endpoint sends its numbers as strings). */
static void issue(struct tokens *t, const char *audience, struct reply *r)
{
    struct issued it;
    time_t now = time(NULL);
    it.audience = audience;
    ids_hex(it.access, TOKEN_BYTES);
    ids_hex(it.refresh, TOKEN_BYTES);
    it.expires_on = now + t->lifetime;
    pthread_mutex_lock(&t->lock);
    GROW(t->items, t->cap, t->count + 1);
    t->items[t->count++] = it;
    pthread_mutex_unlock(&t->lock);
    r->status = 200;
    sb_printf(&r->body,
              "{\"token_type\":\"Bearer\",\"scope\":\"user_impersonation\","
              "\"expires_in\":\"%ld\",\"ext_expires_in\":\"%ld\",\"expires_on\":\"%lld\","
              "\"not_before\":\"%lld\",\"resource\":\"%s\","
              "\"access_token\":\"%s\",\"refresh_token\":\"%s\"}",
              t->lifetime, t->lifetime, (long long)it.expires_on, (long long)now, audience,
              it.access, it.refresh);
}

static int refresh_token_known(struct tokens *t, const char *refresh)
{
    size_t i;
    int found = 0;
    pthread_mutex_lock(&t->lock);
    for (i = 0; i < t->count && !found; i++)
        found = strcmp(t->items[i].refresh, refresh) == 0;
    pthread_mutex_unlock(&t->lock);
    return found;
}

/* The audience a request asks for: the v1 endpoint's resource, or the v2
 * endpoint's scope "<audience>/.default" (other scopes such as openid or
 * offline_access may come beside it); RESOURCE when it names none. NULL
 * when it names an audience neither API has. */
static const char *audience_of(const struct params *p)
{
    static const char *const known[] = {RESOURCE, WEBHOOK_RESOURCE};
    const char *resource = params_get(p, "resource"), *scope = params_get(p, "scope");
    size_t k;
    if (resource) {
        for (k = 0; k < 2; k++)
            if (strcmp(resource, known[k]) == 0)
                return known[k];
        return NULL;
    }
    for (k = 0; scope && k < 2; k++) {
        const char *at = strstr(scope, known[k]);
        if (at && strncmp(at + strlen(known[k]), "/.default", 9) == 0)
            return known[k];
    }
    return scope && strstr(scope, "/.default") ? NULL : RESOURCE;
}

/* Parses a form-encoded body; on failure answers invalid_request. */
static int parse_form(const char *content_type, const char *body, size_t body_len, struct params *p,
                      struct reply *r)
{
    static const char form[] = "application/x-www-form-urlencoded";
    strbuf err = STRBUF_INIT;
    int ok = 0;
    if (!content_type || strncasecmp(content_type, form, sizeof form - 1) != 0)
        oauth_error(r, "invalid_request", "The body must be application/x-www-form-urlencoded");
    else if (params_parse(p, body, body_len, &err) < 0)
        oauth_error(r, "invalid_request", err.data);
    else
        ok = 1;
    sb_free(&err);
    return ok;
}

/* The device_code grant: RFC 8628 section 3.5's answers while waiting. */
static void poll_device(struct tokens *t, const char *device_code, struct reply *r)
{
    char *scope = NULL;
    switch (devicecodes_poll(t->devices, device_code, &scope)) {
    case DEVICE_PENDING:
        oauth_error(r, "authorization_pending", "The user has not yet finished signing in");
        break;
    case DEVICE_SLOW_DOWN:
        oauth_error(r, "slow_down", "The client polls too often");
        break;
    case DEVICE_DECLINED:
        oauth_error(r, "authorization_declined", "The user declined the sign-in");
        break;
    case DEVICE_EXPIRED:
        oauth_error(r, "expired_token", "The device code has expired");
        break;
    case DEVICE_UNKNOWN:
        oauth_error(r, "bad_verification_code", "The device code is unknown or used up");
        break;
    case DEVICE_APPROVED:
        issue(t, strstr(scope, WEBHOOK_RESOURCE "/") ? WEBHOOK_RESOURCE : RESOURCE, r);
        break;
    }
    free(scope);
}

void tokens_issue(struct tokens *t, const char *content_type, const char *body, size_t body_len,
                  struct reply *r)
{
    static const char *const password_needs[] = {"username", "password", "client_id", "resource",
                                                 NULL};
    static const char *const refresh_needs[] = {"refresh_token", "client_id", NULL};
    static const char *const device_needs[] = {"device_code", "client_id", NULL};
    static const char device_grant[] = "urn:ietf:params:oauth:grant-type:device_code";
    struct params p = PARAMS_INIT;
    strbuf why = STRBUF_INIT;
    const char *grant, *missing, *audience;

    if (!parse_form(content_type, body, body_len, &p, r))
        goto done;
    grant = params_get(&p, "grant_type");
    if (!grant || (strcmp(grant, "password") != 0 && strcmp(grant, "refresh_token") != 0 &&
                   strcmp(grant, device_grant) != 0)) {
        oauth_error(r, grant ? "unsupported_grant_type" : "invalid_request",
                    "grant_type must be password, refresh_token or the device_code grant");
        goto done;
    }
    missing = first_missing(&p, strcmp(grant, "password") == 0        ? password_needs
                                : strcmp(grant, "refresh_token") == 0 ? refresh_needs
                                                                      : device_needs);
    if (missing) {
        sb_printf(&why, "The request body must contain the parameter '%s'", missing);
        oauth_error(r, "invalid_request", why.data);
        goto done;
    }
    if (strcmp(grant, device_grant) == 0) {
        poll_device(t, params_get(&p, "device_code"), r);
        goto done;
    }
    audience = audience_of(&p);
    if (!audience) {
        sb_printf(&why, "The resource must be " RESOURCE " or " WEBHOOK_RESOURCE ", not '%s'",
                  params_get(&p, "resource"));
        oauth_error(r, "invalid_resource", why.data);
        goto done;
    }
    if (strcmp(grant, "refresh_token") == 0 &&
        !refresh_token_known(t, params_get(&p, "refresh_token"))) {
        oauth_error(r, "invalid_grant", "The refresh token is unknown");
        goto done;
    }
    issue(t, audience, r);
done:
    params_free(&p);
    sb_free(&why);
}

void tokens_devicecode(struct tokens *t, const char *content_type, const char *body,
                       size_t body_len, struct reply *r)
{
    static const char *const needs[] = {"client_id", "scope", NULL};
    struct params p = PARAMS_INIT;
    strbuf why = STRBUF_INIT;
    const char *missing;
    if (!parse_form(content_type, body, body_len, &p, r))
        goto done;
    missing = first_missing(&p, needs);
    if (missing) {
        sb_printf(&why, "The request body must contain the parameter '%s'", missing);
        oauth_error(r, "invalid_request", why.data);
    } else if (!audience_of(&p)) {
        oauth_error(r, "invalid_scope", "The scope names no known resource");
    } else {
        devicecodes_start(t->devices, params_get(&p, "scope"), r);
    }
done:
    params_free(&p);
    sb_free(&why);
}

struct devicecodes *tokens_devices(struct tokens *t)
{
    return t->devices;
}
