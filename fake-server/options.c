/* Command-line parsing (see options.h and README.md). POSIX has no
 * getopt_long, so long options are matched against a table; both
 * "--opt value" and "--opt=value" work. */
#include "options.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: referrals-fake-server [options]\n"
    "A local stand-in for api.partner.microsoft.com (Partner Center Referrals API).\n"
    "Listens on 127.0.0.1 and prints the port as the first line of stdout.\n"
    "\n"
    "  --port N              port to listen on (default 0: pick a free one)\n"
    "  --port-file FILE      also write the port to FILE (atomically)\n"
    "  --token T             the accepted bearer token (default: any non-empty one)\n"
    "  --page-size N         list page size (default 100)\n"
    "  --cert FILE           PEM certificate: serve HTTPS (needs --key)\n"
    "  --key FILE            PEM private key for --cert\n"
    "  --webhook-cert FILE   the webhook signing certificate, served at /cert/<name>.cer\n"
    "  --webhook-key FILE    its private key (PEM): sign events to a registered webhook\n"
    "  --webhook-other-cert FILE, --webhook-other-key FILE\n"
    "                        the signer of the other_issuer event fault\n"
    "  --webhook-untrusted-cert FILE, --webhook-untrusted-key FILE\n"
    "                        the signer of the untrusted_chain event fault\n"
    "  --webhook-retry-ms N  wait before an event's second attempt, doubled after each\n"
    "                        (default 1000; ten attempts in all)\n"
    "  --token-lifetime S    lifetime of tokens from the token endpoint (default 3600)\n"
    "  --device-interval S   polling interval handed out with device codes (default 5)\n"
    "  --max-records N       request records kept for /_fake/requests (default 10000)\n"
    "  --latency-ms N        answer every API request N ms late, as a far service (default 0)\n"
    "  --connection-memory K KiB of memory per connection (default 512: room for a huge header)\n"
    "  --verbose             log one line per request to stderr\n"
    "  --help                show this help\n";

enum option_kind { FLAG, TEXT, NUMBER };

static const struct option_rule {
    const char *name;
    enum option_kind kind;
    size_t offset; /* into struct options */
    long min, max; /* NUMBER only */
} rules[] = {
    {"--port", NUMBER, offsetof(struct options, port), 0, 65535},
    {"--page-size", NUMBER, offsetof(struct options, page_size), 1, 1000000},
    {"--token-lifetime", NUMBER, offsetof(struct options, token_lifetime), 0, 100000000},
    {"--device-interval", NUMBER, offsetof(struct options, device_interval), 0, 3600},
    {"--max-records", NUMBER, offsetof(struct options, max_records), 1, 100000000},
    {"--latency-ms", NUMBER, offsetof(struct options, latency_ms), 0, 600000},
    {"--connection-memory", NUMBER, offsetof(struct options, connection_memory_kb), 16, 65536},
    {"--port-file", TEXT, offsetof(struct options, port_file), 0, 0},
    {"--token", TEXT, offsetof(struct options, token), 0, 0},
    {"--cert", TEXT, offsetof(struct options, cert_file), 0, 0},
    {"--key", TEXT, offsetof(struct options, key_file), 0, 0},
    {"--webhook-cert", TEXT, offsetof(struct options, webhook_cert), 0, 0},
    {"--webhook-key", TEXT, offsetof(struct options, webhook_key), 0, 0},
    {"--webhook-other-cert", TEXT, offsetof(struct options, webhook_other_cert), 0, 0},
    {"--webhook-other-key", TEXT, offsetof(struct options, webhook_other_key), 0, 0},
    {"--webhook-untrusted-cert", TEXT, offsetof(struct options, webhook_untrusted_cert), 0, 0},
    {"--webhook-untrusted-key", TEXT, offsetof(struct options, webhook_untrusted_key), 0, 0},
    {"--webhook-retry-ms", NUMBER, offsetof(struct options, webhook_retry_ms), 0, 600000},
    {"--verbose", FLAG, offsetof(struct options, verbose), 0, 0},
};

static const struct option_rule *find_rule(const char *arg, size_t len)
{
    size_t i;
    for (i = 0; i < sizeof rules / sizeof rules[0]; i++)
        if (strlen(rules[i].name) == len && strncmp(rules[i].name, arg, len) == 0)
            return &rules[i];
    return NULL;
}

static int set_option(struct options *o, const struct option_rule *rule, const char *value)
{
    char *slot = (char *)o + rule->offset, *end;
    long v;
    if (rule->kind == TEXT) {
        *(const char **)(void *)slot = value;
        return 0;
    }
    errno = 0;
    v = strtol(value, &end, 10);
    if (errno || end == value || *end || v < rule->min || v > rule->max) {
        fprintf(stderr, "referrals-fake-server: %s needs an integer from %ld to %ld\n", rule->name,
                rule->min, rule->max);
        return -1;
    }
    *(long *)(void *)slot = v;
    return 0;
}

int options_parse(int argc, char **argv, struct options *o)
{
    int i;
    memset(o, 0, sizeof *o);
    o->page_size = 100;
    o->token_lifetime = 3600;
    o->device_interval = 5; /* Entra's */
    o->max_records = 10000;
    o->webhook_retry_ms = 1000;
    o->connection_memory_kb = 512;
    for (i = 1; i < argc; i++) {
        const char *arg = argv[i], *eq = strchr(arg, '=');
        size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
        const char *value = eq ? eq + 1 : NULL;
        const struct option_rule *rule = find_rule(arg, len);
        if (len == 6 && strncmp(arg, "--help", 6) == 0) {
            fputs(usage, stdout);
            return 1;
        }
        if (!rule) {
            fprintf(stderr, "referrals-fake-server: unknown option '%.*s'\n%s", (int)len, arg,
                    usage);
            return -1;
        }
        if (rule->kind == FLAG) {
            *(int *)(void *)((char *)o + rule->offset) = 1;
            continue;
        }
        if (!value && i + 1 >= argc) {
            fprintf(stderr, "referrals-fake-server: %s needs a value\n", rule->name);
            return -1;
        }
        if (set_option(o, rule, value ? value : argv[++i]) < 0)
            return -1;
    }
    if (!o->cert_file != !o->key_file) {
        fputs("referrals-fake-server: --cert and --key go together\n", stderr);
        return -1;
    }
    /* a certificate alone is only served; a key signs for its certificate */
    if ((o->webhook_key && !o->webhook_cert) || !o->webhook_other_cert != !o->webhook_other_key ||
        !o->webhook_untrusted_cert != !o->webhook_untrusted_key) {
        fputs("referrals-fake-server: a --webhook-...-key needs its --webhook-...-cert\n", stderr);
        return -1;
    }
    if (o->token && !*o->token) {
        fputs("referrals-fake-server: --token must not be empty\n", stderr);
        return -1;
    }
    return 0;
}
