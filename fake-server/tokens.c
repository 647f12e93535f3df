/* Tokens (see tokens.h). Issued tokens are kept for the whole run (a reset
 * does not revoke them, as a reset does not log anybody out of Azure AD);
 * lookups are linear, which is fine for the handful a test run fetches.
 * Access and ID tokens are JWT-shaped (jwt.h), so clients can read their
 * claims as they read Entra's. */
#include "tokens.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "devicecode.h"
#include "ids.h"
#include "jwt.h"
#include "json.h"
#include "query.h"

#define RESOURCE "https://api.partner.microsoft.com" /* spec §4: the token audience */
/* The webhook registration API's audience: one refresh token serves both. */
#define WEBHOOK_RESOURCE "https://api.partnercenter.microsoft.com"
#define TOKEN_BYTES 32
/* The tid of a sign-in whose tenant path segment is a name, not a GUID. */
#define DEFAULT_TENANT_ID "c0ffee00-1234-4abc-8def-000000000001"

/* Which audience each API needs (the path prefixes that take a bearer token):
 * a token of the other one gets 401, as from the real services. */
static const struct {
    const char *prefix;
    const char *audience;
} protected_apis[] = {{"/v1.0/", RESOURCE}, {"/webhooks/", WEBHOOK_RESOURCE}};

struct issued {
    char *access; /* JWT-shaped */
    char refresh[2 * TOKEN_BYTES + 1];
    const char *audience; /* RESOURCE or WEBHOOK_RESOURCE */
    char *username;       /* the account signed in */
    char tenant_id[GUID_LEN + 1];
    time_t expires_on;
};

/* Who a token is for: the account, its tenant, the app. */
struct account {
    const char *username;
    const char *tenant_id;
    const char *client_id;
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
    size_t i;
    if (!t)
        return;
    for (i = 0; i < t->count; i++) {
        free(t->items[i].access);
        free(t->items[i].username);
    }
    free(t->fixed);
    free(t->items);
    devicecodes_free(t->devices);
    pthread_mutex_destroy(&t->lock);
    free(t);
}

enum auth_result { AUTH_OK, AUTH_MISSING, AUTH_REJECTED, AUTH_EXPIRED, AUTH_WRONG_AUDIENCE };

/* Checks an Authorization header value (NULL if absent) for an API of audience needed. */
static enum auth_result check_bearer(struct tokens *t, const char *authorization,
                                     const char *needed)
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
            rc = strcmp(t->items[i].audience, needed) != 0 ? AUTH_WRONG_AUDIENCE
                 : time(NULL) < t->items[i].expires_on     ? AUTH_OK
                                                           : AUTH_EXPIRED;
            break;
        }
    }
    pthread_mutex_unlock(&t->lock);
    return rc;
}

int tokens_authorize(struct tokens *t, const char *path, const char *authorization,
                     struct reply *r)
{
    static const char *const reasons[] = {
        NULL,
        "Missing bearer token",
        "The bearer token is not valid",
        "The bearer token has expired",
        /* Not naming the audience it needs: the client's hint names it beside the token's
         * own (src/core/token_audience.c), and said twice it read as a stutter. */
        "The bearer token is for another audience",
    };
    size_t k;
    enum auth_result a;
    for (k = 0; k < sizeof protected_apis / sizeof protected_apis[0]; k++)
        if (strncmp(path, protected_apis[k].prefix, strlen(protected_apis[k].prefix)) == 0)
            break;
    if (k == sizeof protected_apis / sizeof protected_apis[0])
        return 1; /* no bearer token needed here */
    a = check_bearer(t, authorization, protected_apis[k].audience);
    if (a == AUTH_OK)
        return 1;
    reply_error(r, 401, "unauthenticated", NULL, "%s", reasons[a]);
    reply_header(r, "WWW-Authenticate", "Bearer");
    return 0;
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

/* The claims every token of account carries. */
static void common_claims(strbuf *b, const struct account *who, time_t now, time_t expires_on)
{
    sb_adds(b, ",\"tid\":");
    json_write_cstr(b, who->tenant_id);
    sb_printf(b, ",\"iat\":%lld,\"nbf\":%lld,\"exp\":%lld", (long long)now, (long long)now,
              (long long)expires_on);
}

/* The access token: Entra's v1 claims for a delegated (App+User) token. */
static void access_token(strbuf *out, const char *audience, const struct account *who,
                         time_t now, time_t expires_on)
{
    strbuf claims = STRBUF_INIT;
    char jti[2 * 16 + 1];
    ids_hex(jti, 16); /* every token differs, even two of one second */
    sb_adds(&claims, "{\"aud\":");
    json_write_cstr(&claims, audience);
    sb_printf(&claims, ",\"iss\":\"https://sts.windows.net/%s/\"", who->tenant_id);
    common_claims(&claims, who, now, expires_on);
    sb_adds(&claims, ",\"upn\":");
    json_write_cstr(&claims, who->username);
    sb_adds(&claims, ",\"appid\":");
    json_write_cstr(&claims, who->client_id);
    sb_printf(&claims, ",\"scp\":\"user_impersonation\",\"jti\":\"%s\"}", jti);
    jwt_make(out, claims.data, claims.len);
    sb_free(&claims);
}

/* The ID token of an openid sign-in: the v2 endpoint names the account
 * preferred_username, the v1 endpoint upn. */
static void id_token(strbuf *out, int v2, const struct account *who, time_t now,
                     time_t expires_on)
{
    strbuf claims = STRBUF_INIT;
    sb_adds(&claims, "{\"aud\":");
    json_write_cstr(&claims, who->client_id);
    if (v2)
        sb_printf(&claims, ",\"iss\":\"https://login.microsoftonline.com/%s/v2.0\"",
                  who->tenant_id);
    else
        sb_printf(&claims, ",\"iss\":\"https://sts.windows.net/%s/\"", who->tenant_id);
    common_claims(&claims, who, now, expires_on);
    sb_adds(&claims, v2 ? ",\"preferred_username\":" : ",\"upn\":");
    json_write_cstr(&claims, who->username);
    sb_addc(&claims, '}');
    jwt_make(out, claims.data, claims.len);
    sb_free(&claims);
}

/* Records a new token pair for account and writes the token response (spec
 * §4: the v1 endpoint sends its numbers as strings), with an ID token when
 * the request's scope has openid. */
static void issue(struct tokens *t, const char *audience, const struct account *who,
                  int with_id_token, int v2, struct reply *r)
{
    struct issued it;
    strbuf access = STRBUF_INIT;
    time_t now = time(NULL);
    it.audience = audience;
    it.expires_on = now + t->lifetime;
    access_token(&access, audience, who, now, it.expires_on);
    it.access = sb_detach(&access, NULL);
    ids_hex(it.refresh, TOKEN_BYTES);
    it.username = xstrdup(who->username);
    snprintf(it.tenant_id, sizeof it.tenant_id, "%s", who->tenant_id);
    pthread_mutex_lock(&t->lock);
    GROW(t->items, t->cap, t->count + 1);
    t->items[t->count++] = it;
    pthread_mutex_unlock(&t->lock);
    r->status = 200;
    sb_printf(&r->body,
              "{\"token_type\":\"Bearer\",\"scope\":\"user_impersonation\","
              "\"expires_in\":\"%ld\",\"ext_expires_in\":\"%ld\",\"expires_on\":\"%lld\","
              "\"not_before\":\"%lld\",\"resource\":\"%s\","
              "\"access_token\":\"%s\",\"refresh_token\":\"%s\"",
              t->lifetime, t->lifetime, (long long)it.expires_on, (long long)now, audience,
              it.access, it.refresh);
    if (with_id_token) {
        sb_adds(&r->body, ",\"id_token\":\"");
        id_token(&r->body, v2, who, now, it.expires_on);
        sb_addc(&r->body, '"');
    }
    sb_addc(&r->body, '}');
}

/* The account a refresh token was issued to (copies into username and
 * tenant_id); 0 when the token is unknown. */
static int refresh_account(struct tokens *t, const char *refresh, char **username,
                           char tenant_id[GUID_LEN + 1])
{
    size_t i;
    int found = 0;
    pthread_mutex_lock(&t->lock);
    for (i = 0; i < t->count && !found; i++) {
        found = strcmp(t->items[i].refresh, refresh) == 0;
        if (found) {
            *username = xstrdup(t->items[i].username);
            memcpy(tenant_id, t->items[i].tenant_id, GUID_LEN + 1);
        }
    }
    pthread_mutex_unlock(&t->lock);
    return found;
}

/* The tid of a request to /<tenant>/oauth2/...: the path's tenant when it
 * is a GUID (lower case), else DEFAULT_TENANT_ID. */
static void tenant_id_of(const char *path, char out[GUID_LEN + 1])
{
    size_t i, len = strcspn(path + 1, "/");
    int guid = len == GUID_LEN;
    for (i = 0; guid && i < GUID_LEN; i++) {
        char c = path[1 + i];
        guid = (i == 8 || i == 13 || i == 18 || i == 23) ? c == '-' : isxdigit((unsigned char)c);
    }
    for (i = 0; i < GUID_LEN; i++)
        out[i] = guid ? (char)tolower((unsigned char)path[1 + i]) : DEFAULT_TENANT_ID[i];
    out[GUID_LEN] = '\0';
}

/* Whether a scope parameter asks for an ID token (the word openid). */
static int wants_id_token(const char *scope)
{
    const char *at = scope;
    while (at && (at = strstr(at, "openid")) != NULL) {
        if ((at == scope || at[-1] == ' ') && (at[6] == '\0' || at[6] == ' '))
            return 1;
        at += 6;
    }
    return 0;
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
static void poll_device(struct tokens *t, const char *device_code, struct account *who,
                        struct reply *r)
{
    char *scope = NULL, *username = NULL;
    switch (devicecodes_poll(t->devices, device_code, &scope, &username)) {
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
        who->username = username;
        issue(t, strstr(scope, WEBHOOK_RESOURCE "/") ? WEBHOOK_RESOURCE : RESOURCE, who,
              wants_id_token(scope), 1, r);
        break;
    }
    free(scope);
    free(username);
}

void tokens_issue(struct tokens *t, const char *path, const char *content_type, const char *body,
                  size_t body_len, struct reply *r)
{
    static const char *const password_needs[] = {"username", "password", "client_id", "resource",
                                                 NULL};
    static const char *const refresh_needs[] = {"refresh_token", "client_id", NULL};
    static const char *const device_needs[] = {"device_code", "client_id", NULL};
    static const char device_grant[] = "urn:ietf:params:oauth:grant-type:device_code";
    struct params p = PARAMS_INIT;
    strbuf why = STRBUF_INIT;
    const char *grant, *missing, *audience;
    char tenant_id[GUID_LEN + 1], *username = NULL;
    struct account who;
    int v2 = strstr(path, "/oauth2/v2.0/") != NULL;

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
    tenant_id_of(path, tenant_id);
    who.tenant_id = tenant_id;
    who.client_id = params_get(&p, "client_id");
    who.username = params_get(&p, "username"); /* the password grant's */
    if (strcmp(grant, device_grant) == 0) {
        poll_device(t, params_get(&p, "device_code"), &who, r);
        goto done;
    }
    audience = audience_of(&p);
    if (!audience) {
        sb_printf(&why, "The resource must be " RESOURCE " or " WEBHOOK_RESOURCE ", not '%s'",
                  params_get(&p, "resource"));
        oauth_error(r, "invalid_resource", why.data);
        goto done;
    }
    if (strcmp(grant, "refresh_token") == 0) {
        if (!refresh_account(t, params_get(&p, "refresh_token"), &username, tenant_id)) {
            oauth_error(r, "invalid_grant", "The refresh token is unknown");
            goto done;
        }
        who.username = username; /* the account of the first sign-in, its home tenant */
    }
    issue(t, audience, &who, wants_id_token(params_get(&p, "scope")), v2, r);
done:
    free(username);
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
