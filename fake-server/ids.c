/* Identifiers and clock (see ids.h). */
#include "ids.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t ids_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t rng_state[4];
static int64_t last_ticks; /* 100 ns units since the epoch */

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* xoshiro256** (public domain, Blackman & Vigna): fast and good enough for
 * identifiers that only have to be unique, not secret. */
static uint64_t next_random(void)
{
    uint64_t *s = rng_state;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

void ids_init(void)
{
    FILE *f = fopen("/dev/urandom", "rb");
    size_t got = 0;
    if (f) {
        got = fread(rng_state, 1, sizeof rng_state, f);
        fclose(f);
    }
    if (got != sizeof rng_state) {
        /* No urandom: still unique per run, which is all the ids need. */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        rng_state[0] = (uint64_t)ts.tv_sec * 1000000007u ^ (uint64_t)ts.tv_nsec;
        rng_state[1] = (uint64_t)getpid() * 0x9E3779B97F4A7C15u;
        rng_state[2] = rng_state[0] ^ 0xD1B54A32D192ED03u;
        rng_state[3] = rng_state[1] ^ 0x94D049BB133111EBu;
    }
    if (!(rng_state[0] | rng_state[1] | rng_state[2] | rng_state[3]))
        rng_state[0] = 1; /* the all-zero state is a fixed point */
}

static void random_bytes(unsigned char *out, size_t n)
{
    size_t i;
    uint64_t r = 0;
    pthread_mutex_lock(&ids_lock);
    for (i = 0; i < n; i++) {
        if (i % 8 == 0)
            r = next_random();
        out[i] = (unsigned char)(r >> (8 * (i % 8)));
    }
    pthread_mutex_unlock(&ids_lock);
}

static void to_hex(char *out, const unsigned char *b, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;
    for (i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[2 * n] = '\0';
}

void ids_hex(char *out, size_t nbytes)
{
    unsigned char b[64];
    while (nbytes > 0) {
        size_t n = nbytes < sizeof b ? nbytes : sizeof b;
        random_bytes(b, n);
        to_hex(out, b, n);
        out += 2 * n;
        nbytes -= n;
    }
}

void ids_guid(char *out)
{
    unsigned char b[16];
    char hex[33];
    random_bytes(b, sizeof b);
    b[6] = (unsigned char)((b[6] & 0x0F) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3F) | 0x80); /* RFC 4122 variant */
    to_hex(hex, b, sizeof b);
    snprintf(out, GUID_LEN + 1, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16,
             hex + 20);
}

void ids_etag(char *out)
{
    char guid[GUID_LEN + 1];
    ids_guid(guid);
    snprintf(out, ETAG_LEN + 1, "\"%s\"", guid);
}

void ids_timestamp(char *out)
{
    struct timespec ts;
    struct tm tm;
    int64_t ticks;
    time_t secs;
    char date[24];
    clock_gettime(CLOCK_REALTIME, &ts);
    ticks = (int64_t)ts.tv_sec * 10000000 + ts.tv_nsec / 100;
    pthread_mutex_lock(&ids_lock);
    if (ticks <= last_ticks)
        ticks = last_ticks + 1;
    last_ticks = ticks;
    pthread_mutex_unlock(&ids_lock);
    secs = (time_t)(ticks / 10000000);
    gmtime_r(&secs, &tm);
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, TIMESTAMP_LEN + 1, "%.19s.%07uZ", date, (unsigned)(ticks % 10000000));
}
