/* JSON Patch (see patch.h). Both ops set the value, creating missing
 * objects on the way; "-" appends to an array, creating it if missing. The
 * service's behaviour for replace on a missing member is undocumented; being
 * lenient keeps the fake from rejecting what the service might accept. */
#include "patch.h"

#include <stdlib.h>
#include <string.h>

/* spec §1.5 (the connector's UpdateReferralDetails list and the deal
 * registration operations). Pattern tokens: "#" an array index, "*" any one
 * token, "**" (last) one or more tokens. */
static const char *const allowed_paths[] = {
    "/campaignId",
    "/consent/consentToShareReferralWithMicrosoftSellers",
    "/customerProfile/team",
    "/customerProfile/team/-",
    "/details/closingDateTime",
    "/details/currency",
    "/details/dealValue",
    "/details/notes",
    "/details/requirements/solutions",
    "/details/requirements/solutions/-",
    "/externalReferenceId",
    "/referralProgram",
    "/salesStage",
    "/status",
    "/substatus",
    "/statusReason",
    "/team",
    "/team/-",
    "/registrations/-",
    "/registrations/#/contract/*",
    "/registrations/#/solutionDetails/#/**",
};

static int is_index(const char *t, size_t len)
{
    size_t i;
    if (len == 0 || len > 9 || (t[0] == '0' && len > 1))
        return 0;
    for (i = 0; i < len; i++)
        if (t[i] < '0' || t[i] > '9')
            return 0;
    return 1;
}

/* Matches path against one pattern, token by token. */
static int path_matches(const char *path, const char *pattern)
{
    while (*pattern == '/' && *path == '/') {
        size_t plen, tlen;
        pattern++;
        path++;
        plen = strcspn(pattern, "/");
        tlen = strcspn(path, "/");
        if (plen == 2 && strncmp(pattern, "**", 2) == 0)
            return tlen > 0;
        if (plen == 1 && pattern[0] == '#') {
            if (!is_index(path, tlen))
                return 0;
        } else if (plen == 1 && pattern[0] == '*') {
            if (tlen == 0)
                return 0;
        } else if (plen != tlen || strncmp(pattern, path, plen) != 0) {
            return 0;
        }
        pattern += plen;
        path += tlen;
    }
    return *pattern == '\0' && *path == '\0';
}

static int path_allowed(const char *path)
{
    size_t i;
    for (i = 0; i < sizeof allowed_paths / sizeof allowed_paths[0]; i++)
        if (path_matches(path, allowed_paths[i]))
            return 1;
    return 0;
}

/* The next reference token of a JSON Pointer, unescaped (RFC 6901: ~1 is
 * '/', ~0 is '~'); *p is advanced past it. */
static char *next_token(const char **p)
{
    const char *s = *p + 1; /* skip '/' */
    size_t len = strcspn(s, "/"), i, o = 0;
    char *t = xmalloc(len + 1);
    for (i = 0; i < len; i++) {
        if (s[i] == '~' && i + 1 < len && (s[i + 1] == '0' || s[i + 1] == '1'))
            t[o++] = s[++i] == '1' ? '/' : '~';
        else
            t[o++] = s[i];
    }
    t[o] = '\0';
    *p = s + len;
    return t;
}

/* The container below cur named token on the way to path's last token
 * (rest = the remaining path), created if missing; NULL with a 400 in r. */
static jv *descend(jv *cur, const char *token, const char *rest, const char *path, struct reply *r)
{
    jv *next;
    if (cur->kind == JV_OBJECT) {
        next = jv_get(cur, token);
        if (!next || next->kind == JV_NULL) {
            /* "-" or an index next means this member is an array */
            int array = rest[1] == '-' || (rest[1] >= '0' && rest[1] <= '9');
            next = jv_new(array ? JV_ARRAY : JV_OBJECT);
            jv_set(cur, token, next);
        }
    } else { /* an array: the allowed paths only put indexes here */
        size_t index = (size_t)strtoul(token, NULL, 10);
        if (index >= cur->count) {
            reply_error(r, 400, "invalidRequest", path, "Index %s is out of range in '%s'", token,
                        path);
            return NULL;
        }
        next = cur->items[index];
    }
    if (next->kind != JV_OBJECT && next->kind != JV_ARRAY) {
        reply_error(r, 400, "invalidRequest", path,
                    "'%s' goes through a member that is not an object or array", path);
        return NULL;
    }
    return next;
}

/* Sets the member named by path (already allowed) to value, taking it. */
static int set_path(jv *doc, const char *path, jv *value, struct reply *r)
{
    jv *cur = doc;
    const char *p = path;
    char *token = next_token(&p);
    int appended = strcmp(token, "-") == 0;
    while (*p && cur) {
        cur = descend(cur, token, p, path, r);
        free(token);
        token = next_token(&p);
        appended = strcmp(token, "-") == 0;
    }
    if (cur && cur->kind == JV_ARRAY && appended) {
        jv_append(cur, value);
    } else if (cur && cur->kind == JV_OBJECT && !appended) {
        jv_set(cur, token, value);
    } else {
        if (cur)
            reply_error(r, 400, "invalidRequest", path,
                        appended ? "'%s' appends to a member that is not an array"
                                 : "'%s' does not name an object member",
                        path);
        jv_free(value);
        cur = NULL;
    }
    free(token);
    return cur ? 0 : -1;
}

int patch_apply(jv *doc, const jv *ops, int *status_touched, struct reply *r)
{
    size_t i;
    *status_touched = 0;
    if (ops->kind != JV_ARRAY) {
        reply_error(r, 400, "invalidRequest", NULL,
                    "The body must be a JSON Patch document (a JSON array of operations)");
        return -1;
    }
    for (i = 0; i < ops->count; i++) {
        const jv *op = ops->items[i];
        const char *name = jv_get_str(op, "op");
        const char *path = jv_get_str(op, "path");
        const jv *value = jv_get(op, "value");
        if (!name || !path) {
            reply_error(r, 400, "invalidRequest", path,
                        "Operation %zu must be an object with string members op and path", i);
            return -1;
        }
        if (strcmp(name, "add") != 0 && strcmp(name, "replace") != 0) {
            reply_error(r, 400, "invalidRequest", path,
                        "Operation '%s' is not supported; use add or replace", name);
            return -1;
        }
        if (!path_allowed(path)) {
            reply_error(r, 400, "invalidRequest", path, "The path '%s' cannot be patched", path);
            return -1;
        }
        if (!value) {
            reply_error(r, 400, "invalidRequest", path, "Operation %zu has no value", i);
            return -1;
        }
        if (set_path(doc, path, jv_copy(value), r) < 0)
            return -1;
        if (strcmp(path, "/status") == 0 || strcmp(path, "/substatus") == 0)
            *status_touched = 1;
    }
    return 0;
}
