/* Fresh identifiers (GUIDs, opaque tokens) and the server clock. Thread-safe. */
#ifndef FAKE_IDS_H
#define FAKE_IDS_H

#include <stddef.h>

#define GUID_LEN 36      /* "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" */
#define TIMESTAMP_LEN 28 /* "2019-02-23T02:05:23.2931817Z" */

/* Seeds the generator from /dev/urandom; call once before the first thread. */
void ids_init(void);

/* A random version-4 GUID in lower case (out holds GUID_LEN + 1 bytes). */
void ids_guid(char *out);

/* A fresh eTag: a GUID in double quotes, the quotes being part of the
 * value (spec §2.1: "\"2500ec5a-...\"" in JSON). out holds ETAG_LEN + 1. */
#define ETAG_LEN (GUID_LEN + 2)
void ids_etag(char *out);

/* nbytes random bytes as lower-case hex (out holds 2 * nbytes + 1 bytes). */
void ids_hex(char *out, size_t nbytes);

/* The current UTC time in the service's format with 7 fractional digits
 * (spec §2: up to 7 digits, e.g. 2019-02-23T02:05:23.2931817Z). Successive
 * calls return strictly increasing values, so sorting by createdDateTime
 * gives creation order even for referrals made within one clock tick. */
void ids_timestamp(char *out);

#endif
