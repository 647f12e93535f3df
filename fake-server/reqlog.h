/* The request log and traffic counters behind GET /_fake/requests and
 * GET /_fake/stats. Thread-safe. */
#ifndef FAKE_REQLOG_H
#define FAKE_REQLOG_H

#include <stddef.h>

#include "buf.h"

struct reqlog;

/* A request header as received. */
struct name_value {
    const char *name;
    const char *value;
};

struct stats {
    size_t requests;      /* recorded since the last reset */
    size_t in_flight;     /* recorded requests being handled now */
    size_t max_in_flight; /* highest in_flight since the last reset */
    size_t connections;   /* TCP connections accepted since the last reset */
};

/* Keeps the newest max_records records (older ones are dropped, but keep
 * their index), so a long benchmark cannot eat the machine's memory. */
struct reqlog *reqlog_new(size_t max_records);
void reqlog_free(struct reqlog *l);

/* Forgets the records and zeroes the counters (requests being handled now
 * still count as in flight). */
void reqlog_clear(struct reqlog *l);

/* Records a request. headers are as received (any case, repeats allowed);
 * the record stores lower-case names and joins repeats with ", ". */
void reqlog_add(struct reqlog *l, const char *method, const char *path, const char *query,
                const struct name_value *headers, size_t nheaders, const char *body,
                size_t body_len);

/* Appends a JSON array of the records with index >= since (0-based). */
void reqlog_dump(struct reqlog *l, size_t since, strbuf *out);

void reqlog_begin(struct reqlog *l); /* a recorded request starts */
void reqlog_end(struct reqlog *l);   /* its response is queued */
void reqlog_connection(struct reqlog *l);
void reqlog_stats(struct reqlog *l, struct stats *out);

#endif
