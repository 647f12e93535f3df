/* webhooks.c: serves --webhook-cert FILE at GET /cert/<name>.cer, as the certificate host
 * does for Partner Center. Every fetch is in the request log (/_fake/requests), so a spec
 * can count them. */
#include <stdio.h>
#include <string.h>

#include "webhooks.h"

static int is_cert_path(const char *path)
{
    size_t len = strlen(path);
    return strncmp(path, "/cert/", 6) == 0 && len > 10 && strcmp(path + len - 4, ".cer") == 0 &&
           !strchr(path + 6, '/');
}

/* The certificate file served at path: a fault mode's own, else --webhook-cert. */
static const char *cert_file(const struct options *opt, const char *path)
{
    if (strcmp(path, WEBHOOK_OTHER_ISSUER_CERT_PATH) == 0 && opt->webhook_other_cert)
        return opt->webhook_other_cert;
    if (strcmp(path, WEBHOOK_UNTRUSTED_CERT_PATH) == 0 && opt->webhook_untrusted_cert)
        return opt->webhook_untrusted_cert;
    return opt->webhook_cert;
}

int webhooks_handle(struct server *srv, const struct request *req, struct reply *rep)
{
    const char *file = cert_file(srv->opt, req->path);
    FILE *f;
    char chunk[4096];
    size_t n;

    if (!is_cert_path(req->path))
        return 0;
    if (strcmp(req->method, "GET") != 0) {
        reply_method_not_allowed(rep, req->method, "GET");
        return 1;
    }
    if (!file || !(f = fopen(file, "rb"))) {
        reply_error(rep, 404, "notFound", NULL, "No certificate is served here");
        return 1;
    }
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        sb_add(&rep->body, chunk, n);
    fclose(f);
    rep->status = 200;
    rep->content_type = xstrdup("application/pkix-cert");
    return 1;
}
