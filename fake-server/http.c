/* libmicrohttpd glue (see http.h). Per request, libmicrohttpd calls:
 * on_uri (we allocate the request context and keep the raw URI), then
 * on_request once for the headers, once per body chunk, and a last time when
 * the body is complete (that is when we answer), then on_completed. */
#include "http.h"

#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

#include "api.h"
#include "control.h"
#include "reply.h"
#include "webhooks.h"

struct request_ctx {
    char *uri;           /* the request target exactly as received */
    int started;         /* the headers have been seen */
    int control;         /* a /_fake/ request: not recorded, counted or faulted */
    int in_flight;       /* counted in the in-flight statistics */
    int too_large;       /* the body exceeded MAX_BODY_BYTES and was discarded */
    int answered;        /* a response is queued; ignore whatever still comes */
    int close_when_idle; /* a fault: close the connection once the answer is out */
    strbuf body;
};

struct header_list {
    struct name_value *items;
    size_t count;
    size_t cap;
};

/* ---- request context ---- */

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    struct request_ctx *ctx = xcalloc(1, sizeof *ctx);
    (void)cls;
    (void)conn;
    ctx->uri = xstrdup(uri);
    return ctx;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode why)
{
    struct server *srv = cls;
    struct request_ctx *ctx = *con_cls;
    if (!ctx)
        return;
    if (ctx->close_when_idle && why == MHD_REQUEST_TERMINATED_COMPLETED_OK) {
        /* The answer is out and the client believes the connection kept alive (no
         * Connection: close): it finds the connection closed when it next wants it. */
        const union MHD_ConnectionInfo *info =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (info)
            shutdown(info->connect_fd, SHUT_RDWR);
    }
    if (ctx->in_flight) /* the client went away before we answered */
        reqlog_end(srv->log);
    sb_free(&ctx->body);
    free(ctx->uri);
    free(ctx);
    *con_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode what)
{
    struct server *srv = cls;
    (void)conn;
    (void)socket_context;
    if (what == MHD_CONNECTION_NOTIFY_STARTED)
        reqlog_connection(srv->log);
}

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value)
{
    struct header_list *list = cls;
    (void)kind;
    GROW(list->items, list->cap, list->count + 1);
    list->items[list->count].name = key;
    list->items[list->count].value = value ? value : "";
    list->count++;
    return MHD_YES;
}

static const char *header(struct MHD_Connection *conn, const char *name)
{
    return MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
}

/* ---- faults ---- */

/* Sleeps ms milliseconds, or less if the server is shutting down. */
static void delay(struct server *srv, long ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&srv->wait_lock);
    while (!srv->stopping &&
           pthread_cond_timedwait(&srv->wait_cond, &srv->wait_lock, &until) != ETIMEDOUT)
        ;
    pthread_mutex_unlock(&srv->wait_lock);
}

/* HTTP forbids a body with 204 and 304 (RFC 7230 §3.3.3). */
static int status_has_body(unsigned status)
{
    return status != 204 && status != 304;
}

/* The reply of a fault with a status: the request is not processed. */
static void fault_reply(const struct fault *f, struct reply *r)
{
    unsigned status = (unsigned)f->status;
    r->status = status;
    if (status_has_body(status))
        reply_error(r, status, error_code_for_status(status), NULL, "Injected fault: HTTP %u",
                    status);
}

/* Changes a reply as a fault says: body replacement and corruption, extra
 * headers. Replies without a body (204) keep having none. */
static void corrupt_reply(const struct fault *f, struct reply *r)
{
    size_t i;
    if (f->body && status_has_body(r->status)) {
        sb_reset(&r->body);
        sb_adds(&r->body, f->body);
        free(r->content_type);
        r->content_type = f->content_type ? xstrdup(f->content_type) : NULL;
    }
    if (f->malformed && r->body.len) {
        /* Break the syntax early: the first ':' becomes '=' (or, without
         * one, an unclosed '{' goes in front). */
        char *colon = memchr(r->body.data, ':', r->body.len);
        if (colon) {
            *colon = '=';
        } else {
            sb_addc(&r->body, ' ');
            memmove(r->body.data + 1, r->body.data, r->body.len - 1);
            r->body.data[0] = '{';
        }
    }
    if (f->truncated)
        r->body.len /= 2; /* Content-Length follows: it is computed from len */
    if (f->retry_after)
        reply_header(r, "Retry-After", f->retry_after);
    for (i = 0; i < f->nheaders; i++)
        reply_header(r, f->headers[i].name, f->headers[i].value);
}

/* A body that stops halfway: libmicrohttpd announced the full length, then
 * closes the connection when we report an error. */
struct partial_body {
    char *data;
    size_t sent; /* how many bytes go out before the connection drops */
};

static ssize_t read_partial(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct partial_body *p = cls;
    size_t n;
    if (pos >= p->sent)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    n = p->sent - (size_t)pos < max ? p->sent - (size_t)pos : max;
    memcpy(buf, p->data + pos, n);
    return (ssize_t)n;
}

static void free_partial(void *cls)
{
    struct partial_body *p = cls;
    free(p->data);
    free(p);
}

/* A body sent one byte every ms milliseconds (a slow-drip server, issue 13); the waits
 * are cut short by shutdown. */
struct drip_body {
    struct server *srv;
    char *data;
    size_t len;
    long ms;
};

static ssize_t read_drip(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct drip_body *d = cls;
    (void)max;
    if (pos >= d->len)
        return MHD_CONTENT_READER_END_OF_STREAM;
    delay(d->srv, d->ms);
    if (d->srv->stopping)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    buf[0] = d->data[pos];
    return 1;
}

static void free_drip(void *cls)
{
    struct drip_body *d = cls;
    free(d->data);
    free(d);
}

/* ---- answering ---- */

static struct MHD_Response *make_response(struct server *srv, struct reply *rep, int drop,
                                          long drip_ms)
{
    size_t len;
    char *data = sb_detach(&rep->body, &len);
    if (drip_ms > 0 && len > 0) {
        struct drip_body *d = xmalloc(sizeof *d);
        struct MHD_Response *resp;
        d->srv = srv;
        d->data = data;
        d->len = len;
        d->ms = drip_ms;
        resp = MHD_create_response_from_callback(len, 1, read_drip, d, free_drip);
        if (!resp)
            free_drip(d);
        return resp;
    }
    if (drop) {
        struct partial_body *p = xmalloc(sizeof *p);
        struct MHD_Response *resp;
        p->data = data;
        p->sent = len / 2;
        resp = MHD_create_response_from_callback(len, 4096, read_partial, p, free_partial);
        if (!resp)
            free_partial(p);
        return resp;
    }
    if (len == 0) {
        free(data);
        return MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    }
    return MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
}

/* Queues rep with the headers every response has (spec §1.1): a fresh
 * request-id, the client's client-request-id echoed, and Content-Type when
 * there is a body. drop: cut the body short and close the connection; a
 * reply without a body then closes the connection without answering. */
static enum MHD_Result send_reply(struct server *srv, struct MHD_Connection *conn,
                                  struct request_ctx *ctx, struct reply *rep, int drop,
                                  long drip_ms)
{
    struct MHD_Response *resp;
    enum MHD_Result ok = MHD_NO;
    const char *client_id = header(conn, "client-request-id");
    char request_id[GUID_LEN + 1];
    size_t i;
    int has_body = rep->body.len > 0;

    if (ctx->in_flight) {
        reqlog_end(srv->log);
        ctx->in_flight = 0;
    }
    if (drop && !has_body)
        return MHD_NO;
    ids_guid(request_id);
    if (has_body)
        reply_header(rep, "Content-Type",
                     rep->content_type ? rep->content_type : "application/json");
    reply_header(rep, "request-id", request_id);
    if (client_id)
        reply_header(rep, "client-request-id", client_id);
    resp = make_response(srv, rep, drop, drip_ms);
    if (!resp)
        return MHD_NO;
    for (i = 0; i < rep->nheaders; i++)
        MHD_add_response_header(resp, rep->headers[i].name, rep->headers[i].value);
    ok = MHD_queue_response(conn, rep->status, resp);
    MHD_destroy_response(resp);
    return ok;
}

/* Splits the raw URI into the path and the query (without '?'). A fragment
 * never reaches a server in practice; one sent anyway is ignored. */
static void split_uri(const char *uri, strbuf *path, strbuf *query)
{
    size_t n = strcspn(uri, "?#");
    sb_add(path, uri, n);
    sb_reserve(query, 0);
    if (uri[n] == '?')
        sb_add(query, uri + n + 1, strcspn(uri + n + 1, "#"));
}

static enum MHD_Result answer(struct server *srv, struct MHD_Connection *conn,
                              struct request_ctx *ctx, const char *url, const char *method)
{
    struct request req;
    struct reply rep;
    struct header_list headers = {NULL, 0, 0};
    strbuf raw_path = STRBUF_INIT, query = STRBUF_INIT;
    struct fault *fault = NULL;
    enum MHD_Result ok;

    ctx->answered = 1;
    split_uri(ctx->uri, &raw_path, &query);
    req.query = query.data;
    sb_reserve(&ctx->body, 0); /* so body is a valid empty string */
    req.method = method;
    req.path = url;
    req.raw_path = raw_path.data;
    req.body = ctx->body.data;
    req.body_len = ctx->body.len;
    req.authorization = header(conn, "Authorization");
    req.content_type = header(conn, "Content-Type");
    req.if_match = header(conn, "If-Match");
    req.prefer = header(conn, "Prefer");
    reply_init(&rep);

    if (!ctx->control) {
        MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_header, &headers);
        reqlog_add(srv->log, method, req.raw_path, req.query, headers.items, headers.count,
                   req.body, req.body_len);
        free(headers.items);
        fault = faults_take(srv->faults, method, req.raw_path);
        /* --latency-ms: the time to a far service and back, before the request is handled
         * (a client sees it as a round trip per request; a fault's delay comes on top) */
        if (srv->opt->latency_ms)
            delay(srv, srv->opt->latency_ms);
        if (fault && fault->delay_ms)
            delay(srv, fault->delay_ms);
    }
    if (fault && fault->status)
        fault_reply(fault, &rep);
    else if (fault_closes(fault, "before_apply"))
        ; /* recorded, never processed, never answered */
    else if (ctx->too_large)
        reply_error(&rep, 413, error_code_for_status(413), NULL,
                    "The request body is larger than %u bytes", MAX_BODY_BYTES);
    else if (ctx->control)
        control_handle(srv, &req, &rep);
    else if (!tokens_authorize(srv->tokens, req.path, req.authorization, &rep))
        ; /* the 401 is in rep, whatever handler the path has */
    else if (!webhooks_handle(srv, &req, &rep))
        api_handle(srv, &req, &rep);
    if (fault)
        corrupt_reply(fault, &rep);

    if (srv->opt->verbose)
        fprintf(stderr, "%s %s -> %u%s\n", method, req.raw_path, rep.status,
                fault ? " (fault)" : "");
    ctx->close_when_idle = fault_closes(fault, "when_idle");
    if (fault_closes(fault, "before_apply") || fault_closes(fault, "after_apply")) {
        /* closed without a byte of answer (returning MHD_NO closes the connection) */
        if (ctx->in_flight) {
            reqlog_end(srv->log);
            ctx->in_flight = 0;
        }
        ok = MHD_NO;
    } else {
        ok = send_reply(srv, conn, ctx, &rep, fault && fault->drop, fault ? fault->drip_ms : 0);
    }
    reply_free(&rep);
    fault_free(fault);
    sb_free(&raw_path);
    sb_free(&query);
    return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    struct server *srv = cls;
    struct request_ctx *ctx = *con_cls;
    (void)version;
    if (!ctx->started) {
        const char *length = header(conn, "Content-Length");
        ctx->started = 1;
        ctx->control = strncmp(url, CONTROL_PREFIX, strlen(CONTROL_PREFIX)) == 0;
        if (!ctx->control) {
            reqlog_begin(srv->log);
            ctx->in_flight = 1;
        }
        /* Refuse a declared oversize body before reading it. */
        if (length && strtoull(length, NULL, 10) > MAX_BODY_BYTES) {
            ctx->too_large = 1;
            return answer(srv, conn, ctx, url, method);
        }
        return MHD_YES;
    }
    if (ctx->answered) { /* answered early (413): discard the rest */
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (ctx->body.len + *upload_data_size > MAX_BODY_BYTES) {
            ctx->too_large = 1; /* keep reading, answer 413 at the end */
            sb_free(&ctx->body);
        } else if (!ctx->too_large) {
            sb_add(&ctx->body, upload_data, *upload_data_size);
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    return answer(srv, conn, ctx, url, method);
}

/* ---- daemon ---- */

struct MHD_Daemon *http_start(struct server *srv, const char *cert, const char *key)
{
    struct sockaddr_in addr;
    struct MHD_OptionItem tls[3] = {
        {MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)cert},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)key},
        {MHD_OPTION_END, 0, NULL},
    };
    unsigned flags = MHD_USE_AUTO | MHD_USE_INTERNAL_POLLING_THREAD |
                     MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG;
    /* By default room for a fault's oversized header (libcurl refuses a line over 100 KiB).
     * libmicrohttpd clears it between the requests of a connection, a third of a request's
     * CPU at 512 KiB: bench/latency.sh asks for less. */
    size_t memory = (size_t)srv->opt->connection_memory_kb * 1024;
    struct MHD_Daemon *d;
    const union MHD_DaemonInfo *info;

    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)srv->opt->port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* never reachable from outside */
    if (cert)
        flags |= MHD_USE_TLS;
    else
        tls[0].option = MHD_OPTION_END;
    d = MHD_start_daemon(flags, (uint16_t)srv->opt->port, NULL, NULL, on_request, srv,
                         MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                         MHD_OPTION_CONNECTION_MEMORY_LIMIT, memory,
                         MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv, MHD_OPTION_NOTIFY_COMPLETED,
                         on_completed, srv, MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv,
                         MHD_OPTION_ARRAY, tls, MHD_OPTION_END);
    if (!d)
        return NULL;
    info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info ? info->port : (unsigned)srv->opt->port;
    return d;
}

void http_stop(struct server *srv, struct MHD_Daemon *daemon)
{
    pthread_mutex_lock(&srv->wait_lock);
    srv->stopping = 1;
    pthread_cond_broadcast(&srv->wait_cond);
    pthread_mutex_unlock(&srv->wait_lock);
    MHD_stop_daemon(daemon);
}
