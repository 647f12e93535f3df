/* Device codes (see devicecode.h); kept for the whole run, looked up
 * linearly: a test run starts a handful. */
#include "devicecode.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ids.h"
#include "json.h"

#define DEVICE_BYTES 24
#define USER_CODE_LEN 9 /* "ABCD-EFGH" like Entra's */
#define VERIFICATION_URI "https://microsoft.com/devicelogin"

struct device {
    char device_code[2 * DEVICE_BYTES + 1];
    char user_code[USER_CODE_LEN + 1];
    char *scope;
    char *username; /* set by an approval */
    enum device_state state;
};

struct devicecodes {
    pthread_mutex_t lock;
    long interval;
    struct device *items;
    size_t count;
    size_t cap;
};

struct devicecodes *devicecodes_new(long interval)
{
    struct devicecodes *d = xcalloc(1, sizeof *d);
    pthread_mutex_init(&d->lock, NULL);
    d->interval = interval;
    return d;
}

void devicecodes_free(struct devicecodes *d)
{
    size_t i;
    if (!d)
        return;
    for (i = 0; i < d->count; i++) {
        free(d->items[i].scope);
        free(d->items[i].username);
    }
    free(d->items);
    pthread_mutex_destroy(&d->lock);
    free(d);
}

/* Eight letters from the hex of a random id, upper case, as "ABCD-EFGH". */
static void user_code(char *out)
{
    char hex[9];
    int i, j = 0;
    ids_hex(hex, 4);
    for (i = 0; i < 8; i++) {
        if (i == 4)
            out[j++] = '-';
        out[j++] = (char)('A' + (hex[i] % 16));
    }
    out[j] = '\0';
}

void devicecodes_start(struct devicecodes *d, const char *scope, struct reply *r)
{
    struct device it;
    ids_hex(it.device_code, DEVICE_BYTES);
    user_code(it.user_code);
    it.scope = xstrdup(scope);
    it.username = NULL;
    it.state = DEVICE_PENDING;
    pthread_mutex_lock(&d->lock);
    GROW(d->items, d->cap, d->count + 1);
    d->items[d->count++] = it;
    pthread_mutex_unlock(&d->lock);
    r->status = 200;
    sb_printf(
        &r->body,
        "{\"user_code\":\"%s\",\"device_code\":\"%s\",\"verification_uri\":\"" VERIFICATION_URI
        "\",\"expires_in\":900,\"interval\":%ld,\"message\":\"To sign in, use a web browser to "
        "open the page " VERIFICATION_URI " and enter the code %s to authenticate.\"}",
        it.user_code, it.device_code, d->interval, it.user_code);
}

enum device_state devicecodes_poll(struct devicecodes *d, const char *device_code, char **scope,
                                   char **username)
{
    enum device_state s = DEVICE_UNKNOWN;
    size_t i;
    *scope = *username = NULL;
    pthread_mutex_lock(&d->lock);
    for (i = 0; i < d->count; i++) {
        struct device *it = &d->items[i];
        if (strcmp(it->device_code, device_code) != 0)
            continue;
        s = it->state;
        if (s == DEVICE_SLOW_DOWN)
            it->state = DEVICE_PENDING; /* one slow_down per control call */
        else if (s == DEVICE_APPROVED) {
            *scope = xstrdup(it->scope);
            *username = xstrdup(it->username);
            it->state = DEVICE_UNKNOWN;
        } else if (s != DEVICE_PENDING)
            it->state = DEVICE_UNKNOWN;
        break;
    }
    pthread_mutex_unlock(&d->lock);
    return s;
}

int devicecodes_act(struct devicecodes *d, const char *code, const char *action,
                    const char *username)
{
    static const struct {
        const char *name;
        enum device_state state;
    } actions[] = {{"approve", DEVICE_APPROVED},
                   {"decline", DEVICE_DECLINED},
                   {"expire", DEVICE_EXPIRED},
                   {"slow_down", DEVICE_SLOW_DOWN}};
    size_t i, a;
    int rc = -1;
    for (a = 0; a < sizeof actions / sizeof actions[0]; a++)
        if (action && strcmp(actions[a].name, action) == 0)
            break;
    if (a == sizeof actions / sizeof actions[0] || !code)
        return -1;
    pthread_mutex_lock(&d->lock);
    for (i = 0; i < d->count; i++) {
        if (strcmp(d->items[i].user_code, code) == 0 && d->items[i].state != DEVICE_UNKNOWN) {
            d->items[i].state = actions[a].state;
            free(d->items[i].username);
            d->items[i].username = xstrdup(username ? username : DEVICE_USERNAME);
            rc = 0;
            break;
        }
    }
    pthread_mutex_unlock(&d->lock);
    return rc;
}
