/* Referral rules (see referral.h). */
#include "referral.h"

#include <string.h>

#include "ids.h"

#define SERVICE_ROOT "https://api.partner.microsoft.com/v1.0/engagments/referrals"
/* ^ "engagments" is the real service's typo in links (spec §1.3, §2.10); kept
 *   so clients are tested against what they will really receive. */

/* Server-owned members and the order they take around the client's members,
 * as in fixtures/create-response.json. Values the client sends for them are
 * ignored. */
static const char *const head_fields[] = {
    "id", "engagementId", "organizationId", "organizationName", "externalReferenceId",
};
static const char *const tail_fields[] = {
    "createdDateTime",
    "updatedDateTime",
    "acceptedDateTime",
    "expirationDateTime",
    "closedDateTime",
    "direction",
    "eTag",
    "links",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static int in_list(const char *key, const char *const *list, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (strcmp(key, list[i]) == 0)
            return 1;
    return 0;
}

/* ---- validation ---- */

struct enum_field {
    const char *name;
    const char *values[9]; /* NULL-terminated */
};

/* spec §2.2 */
static const struct enum_field enums[] = {
    {"type", {"Shared", "Independent", NULL}},
    {"status", {"None", "New", "Active", "Closed", NULL}},
    {"substatus",
     {"None", "Pending", "Received", "Accepted", "Won", "Lost", "Declined", "Expired", NULL}},
    {"qualification", {"None", "Direct", "MarketingQualified", "SalesQualified", NULL}},
};

/* spec §3.1: the substatuses valid with each status ("None" only with "None"). */
static const struct enum_field pairs[] = {
    {"None", {"None", NULL}},
    {"New", {"Pending", "Received", NULL}},
    {"Active", {"Accepted", NULL}},
    {"Closed", {"Won", "Lost", "Declined", "Expired", NULL}},
};

/* spec §3.1: the statuses each status may move to. */
static const struct enum_field transitions[] = {
    {"New", {"New", "Active", "Closed", NULL}},
    {"Active", {"Active", "Closed", NULL}},
    {"Closed", {"Closed", NULL}},
};

static const struct enum_field *find_enum(const struct enum_field *table, size_t n,
                                          const char *name)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (strcmp(table[i].name, name) == 0)
            return &table[i];
    return NULL;
}

static int enum_has(const struct enum_field *e, const char *value)
{
    const char *const *v;
    for (v = e->values; *v; v++)
        if (strcmp(*v, value) == 0)
            return 1;
    return 0;
}

static void list_values(strbuf *b, const struct enum_field *e)
{
    const char *const *v;
    for (v = e->values; *v; v++)
        sb_printf(b, "%s%s", v == e->values ? "" : "|", *v);
}

/* A member of an enum type must be absent, null or one of its values. */
static int check_enum(const jv *doc, const char *name, struct reply *r)
{
    const struct enum_field *e = find_enum(enums, COUNT(enums), name);
    const jv *v = jv_get(doc, name);
    strbuf allowed = STRBUF_INIT;
    if (!v || v->kind == JV_NULL || (v->kind == JV_STRING && enum_has(e, v->text)))
        return 0;
    list_values(&allowed, e);
    if (v->kind == JV_STRING)
        reply_error(r, 400, "invalidRequest", name, "Invalid %s '%s': expected one of %s", name,
                    v->text, allowed.data);
    else
        reply_error(r, 400, "invalidRequest", name, "Invalid %s: expected a string, one of %s",
                    name, allowed.data);
    sb_free(&allowed);
    return -1;
}

static int check_pair(const jv *doc, struct reply *r)
{
    const char *status = jv_get_str(doc, "status");
    const char *substatus = jv_get_str(doc, "substatus");
    const struct enum_field *p;
    strbuf allowed = STRBUF_INIT;
    if (!status || !substatus)
        return 0;
    p = find_enum(pairs, COUNT(pairs), status);
    if (enum_has(p, substatus))
        return 0;
    list_values(&allowed, p);
    reply_error(r, 400, "invalidRequest", "status",
                "Substatus '%s' is not valid with status '%s' (expected %s)", substatus, status,
                allowed.data);
    sb_free(&allowed);
    return -1;
}

static int check_statuses(const jv *doc, struct reply *r)
{
    if (check_enum(doc, "status", r) < 0 || check_enum(doc, "substatus", r) < 0)
        return -1;
    return check_pair(doc, r);
}

int referral_validate(const jv *body, struct reply *r)
{
    /* spec §1.4: the documented required members. */
    static const char *const required[] = {"type", "customerProfile", "consent", "details"};
    size_t i;
    if (body->kind != JV_OBJECT) {
        reply_error(r, 400, "invalidRequest", NULL, "The referral must be a JSON object");
        return -1;
    }
    for (i = 0; i < COUNT(required); i++) {
        const jv *v = jv_get(body, required[i]);
        if (!v || v->kind == JV_NULL) {
            reply_error(r, 400, "invalidRequest", required[i], "The %s field is required",
                        required[i]);
            return -1;
        }
        if (i > 0 && v->kind != JV_OBJECT) {
            reply_error(r, 400, "invalidRequest", required[i], "The %s field must be an object",
                        required[i]);
            return -1;
        }
    }
    if (check_enum(body, "type", r) < 0 || check_enum(body, "qualification", r) < 0)
        return -1;
    return check_statuses(body, r);
}

int referral_check_status_change(const char *old_status, const jv *doc, struct reply *r)
{
    const struct enum_field *t;
    const char *status;
    if (check_statuses(doc, r) < 0)
        return -1;
    status = jv_get_str(doc, "status");
    if (!old_status || !status)
        return 0;
    t = find_enum(transitions, COUNT(transitions), old_status);
    if (!t || enum_has(t, status)) /* no rule from None: anything goes */
        return 0;
    reply_error(r, 400, "invalidRequest", "status",
                "A referral cannot move from status '%s' to '%s'", old_status, status);
    return -1;
}

/* ---- server fields ---- */

static jv *link(const char *uri)
{
    jv *l = jv_new(JV_OBJECT);
    jv_set_str(l, "uri", uri);
    jv_set_str(l, "method", "GET");
    return l;
}

/* spec §2.10 */
static jv *links_for(const char *id, const char *engagement_id)
{
    jv *links = jv_new(JV_OBJECT);
    strbuf uri = STRBUF_INIT;
    sb_printf(&uri, SERVICE_ROOT "?$filter=engagementId eq '%s'",
              engagement_id ? engagement_id : "");
    jv_set(links, "relatedReferrals", link(uri.data));
    sb_reset(&uri);
    sb_printf(&uri, SERVICE_ROOT "/%s", id);
    jv_set(links, "self", link(uri.data));
    sb_free(&uri);
    return links;
}

/* Builds a referral: the head server fields present in server, the client's
 * members from body (server-owned ones dropped), then the tail fields. */
static jv *compose(const jv *server, const jv *body)
{
    jv *doc = jv_new(JV_OBJECT);
    size_t i;
    for (i = 0; i < COUNT(head_fields); i++) {
        const jv *v = jv_get(server, head_fields[i]);
        if (v)
            jv_set(doc, head_fields[i], jv_copy(v));
    }
    for (i = 0; i < body->count; i++) {
        const char *key = body->keys[i];
        if (!in_list(key, head_fields, COUNT(head_fields)) &&
            !in_list(key, tail_fields, COUNT(tail_fields)) && strcmp(key, "@odata.context") != 0)
            jv_set(doc, key, jv_copy(body->items[i]));
    }
    for (i = 0; i < COUNT(tail_fields); i++) {
        const jv *v = jv_get(server, tail_fields[i]);
        if (v)
            jv_set(doc, tail_fields[i], jv_copy(v));
    }
    return doc;
}

/* The members every write sets: updatedDateTime, eTag and closedDateTime
 * when the status has just become Closed. */
static void stamp(jv *doc, const char *old_status, const char *new_status, const char *now)
{
    char etag[ETAG_LEN + 1];
    ids_etag(etag);
    jv_set_str(doc, "updatedDateTime", now);
    if (new_status && strcmp(new_status, "Closed") == 0 &&
        (!old_status || strcmp(old_status, "Closed") != 0))
        jv_set_str(doc, "closedDateTime", now);
    jv_set_str(doc, "eTag", etag);
}

jv *referral_create(const jv *body, const char *organization_id)
{
    jv *server = jv_new(JV_OBJECT), *client = jv_copy(body), *doc;
    const jv *ext = jv_get(body, "externalReferenceId");
    const char *engagement = jv_get_str(body, "engagementId");
    const char *status = jv_get_str(body, "status");
    char id[GUID_LEN + 1], fresh_engagement[GUID_LEN + 1], now[TIMESTAMP_LEN + 1];

    /* spec §1.4: outgoing referrals are accepted on creation. */
    if (!status || strcmp(status, "New") == 0) {
        jv_set_str(client, "status", "Active");
        jv_set_str(client, "substatus", "Accepted");
    }
    ids_guid(id);
    ids_timestamp(now);
    if (!engagement) { /* spec §3.2: a given engagementId joins that engagement */
        ids_guid(fresh_engagement);
        engagement = fresh_engagement;
    }
    jv_set_str(server, "id", id);
    jv_set_str(server, "engagementId", engagement);
    jv_set_str(server, "organizationId", organization_id);
    jv_set_str(server, "organizationName", "Contoso Company");
    jv_set(server, "externalReferenceId", ext ? jv_copy(ext) : jv_new(JV_NULL));
    jv_set_str(server, "createdDateTime", now);
    jv_set_str(server, "acceptedDateTime", now); /* spec §2.1: = creation for outgoing */
    jv_set(server, "expirationDateTime", jv_new(JV_NULL));
    jv_set_str(server, "direction", "Outgoing");
    stamp(server, NULL, NULL, now);
    jv_set(server, "links", links_for(id, engagement));
    doc = compose(server, client);
    jv_free(server);
    jv_free(client);
    return doc;
}

jv *referral_replace(const jv *current, const jv *body)
{
    /* spec §1.6: a PUT cannot change these; the rest comes from the body. */
    static const char *const kept[] = {
        "id",
        "engagementId",
        "organizationId",
        "organizationName",
        "createdDateTime",
        "acceptedDateTime",
        "expirationDateTime",
        "closedDateTime",
        "direction",
    };
    jv *server = jv_new(JV_OBJECT), *doc;
    const jv *ext = jv_get(body, "externalReferenceId");
    char now[TIMESTAMP_LEN + 1];
    size_t i;
    for (i = 0; i < COUNT(kept); i++) {
        const jv *v = jv_get(current, kept[i]);
        if (v)
            jv_set(server, kept[i], jv_copy(v));
    }
    jv_set(server, "externalReferenceId", ext ? jv_copy(ext) : jv_new(JV_NULL));
    ids_timestamp(now);
    stamp(server, jv_get_str(current, "status"), jv_get_str(body, "status"), now);
    jv_set(server, "links",
           links_for(jv_get_str(current, "id"), jv_get_str(current, "engagementId")));
    doc = compose(server, body);
    jv_free(server);
    return doc;
}

void referral_touch(jv *doc, const char *old_status)
{
    char now[TIMESTAMP_LEN + 1];
    ids_timestamp(now);
    stamp(doc, old_status, jv_get_str(doc, "status"), now);
}
