/* referrals-fake-server: a local stand-in for api.partner.microsoft.com that
 * the client's tests, demo and benchmarks talk to over real HTTP. See
 * README.md for the command line, routes and control API. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "http.h"
#include "options.h"
#include "registration.h"
#include "server.h"

/* Reads a whole (PEM) file as a string; NULL with a message on failure. */
static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    strbuf b = STRBUF_INIT;
    char chunk[4096];
    size_t n;
    if (!f) {
        fprintf(stderr, "referrals-fake-server: cannot read %s\n", path);
        return NULL;
    }
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        sb_add(&b, chunk, n);
    fclose(f);
    return sb_detach(&b, NULL);
}

/* Writes the port to path through a temporary file and rename(), so a
 * reader polling for the file never sees it half-written. */
static int write_port_file(const char *path, unsigned port)
{
    strbuf tmp = STRBUF_INIT;
    FILE *f;
    int ok;
    sb_printf(&tmp, "%s.tmp.%ld", path, (long)getpid());
    f = fopen(tmp.data, "w");
    ok = f && fprintf(f, "%u\n", port) > 0;
    ok = f && fclose(f) == 0 && ok;
    ok = ok && rename(tmp.data, path) == 0;
    if (!ok) {
        fprintf(stderr, "referrals-fake-server: cannot write %s\n", path);
        remove(tmp.data);
    }
    sb_free(&tmp);
    return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
    struct options opt;
    struct server srv;
    struct MHD_Daemon *daemon;
    char *cert = NULL, *key = NULL;
    sigset_t stop_signals;
    int rc = 1, sig;

    switch (options_parse(argc, argv, &opt)) {
    case 1:
        return 0;
    case -1:
        return 2;
    }
    if (opt.cert_file && (!(cert = read_file(opt.cert_file)) || !(key = read_file(opt.key_file)))) {
        free(cert);
        return 1;
    }

    /* Block the stop signals before any thread exists, so every thread
     * inherits the mask and sigwait() below is their only receiver. A client
     * closing early must not kill us with SIGPIPE. */
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN);

    ids_init();
    memset(&srv, 0, sizeof srv);
    srv.opt = &opt;
    srv.store = store_new();
    srv.log = reqlog_new((size_t)opt.max_records);
    srv.faults = faults_new();
    srv.tokens = tokens_new(opt.token, opt.token_lifetime, opt.device_interval);
    srv.registration = registration_new();
    srv.events = events_new(&srv);
    ids_guid(srv.organization_id);
    pthread_mutex_init(&srv.wait_lock, NULL);
    pthread_cond_init(&srv.wait_cond, NULL);

    daemon =
        srv.events ? http_start(&srv, cert, key) : NULL; /* no events: a key's message is out */
    if (!daemon) {
        if (srv.events)
            fprintf(stderr, "referrals-fake-server: cannot serve on 127.0.0.1:%ld\n", opt.port);
    } else {
        if (!opt.port_file || write_port_file(opt.port_file, srv.port) == 0) {
            printf("%u\n", srv.port);
            fflush(stdout);
            sigwait(&stop_signals, &sig);
            rc = 0;
        }
        http_stop(&srv, daemon);
    }

    pthread_cond_destroy(&srv.wait_cond);
    pthread_mutex_destroy(&srv.wait_lock);
    events_free(srv.events); /* after the daemon: no handler queues an event any more */
    registration_free(srv.registration);
    tokens_free(srv.tokens);
    faults_free(srv.faults);
    reqlog_free(srv.log);
    store_free(srv.store);
    free(cert);
    free(key);
    return rc;
}
