/* The command line. */
#ifndef FAKE_OPTIONS_H
#define FAKE_OPTIONS_H

/* Numbers are all long so one parser fills them; their ranges are checked. */
struct options {
    long port;                /* 0 = any free port */
    const char *port_file;    /* where to write the port, or NULL */
    const char *token;        /* the accepted bearer token, or NULL = any */
    long page_size;           /* list page size */
    const char *cert_file;    /* PEM certificate: serve HTTPS */
    const char *key_file;     /* PEM private key for cert_file */
    const char *webhook_cert; /* served at /cert/<name>.cer (webhooks.c) */
    const char *webhook_key;  /* its private key: signs the events (events.c) */
    const char *webhook_other_cert, *webhook_other_key;         /* the other_issuer fault */
    const char *webhook_untrusted_cert, *webhook_untrusted_key; /* the untrusted_chain fault */
    long webhook_retry_ms;     /* wait before an event's second attempt; doubles after each */
    long token_lifetime;       /* seconds issued access tokens live */
    long device_interval;      /* seconds between device-code polls it asks for */
    long max_records;          /* request records kept */
    long latency_ms;           /* every API answer waits this long (a service far away) */
    long connection_memory_kb; /* libmicrohttpd's memory per connection */
    int verbose;               /* one line per request on stderr */
};

/* Fills o from argv. Returns 0 to run, 1 when --help was printed, or -1
 * after printing an error to stderr. */
int options_parse(int argc, char **argv, struct options *o);

#endif
