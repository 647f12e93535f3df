/* JWT-shaped tokens (see jwt.h). */
#include "jwt.h"

#include <string.h>

#include "ids.h"

#define SIGNATURE_BYTES 32

static void base64url(strbuf *out, const unsigned char *s, size_t len)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned long bits = 0;
    int held = 0;
    size_t i;
    for (i = 0; i < len; i++) {
        bits = (bits << 8) | s[i];
        held += 8;
        while (held >= 6) {
            held -= 6;
            sb_addc(out, alphabet[(bits >> held) & 63]);
        }
    }
    if (held) /* unpadded, as in a JWT */
        sb_addc(out, alphabet[(bits << (6 - held)) & 63]);
}

void jwt_make(strbuf *out, const char *claims, size_t claims_len)
{
    static const char header[] = "{\"typ\":\"JWT\",\"alg\":\"RS256\",\"kid\":\"fake-server\"}";
    char random[2 * SIGNATURE_BYTES + 1];
    base64url(out, (const unsigned char *)header, sizeof header - 1);
    sb_addc(out, '.');
    base64url(out, (const unsigned char *)claims, claims_len);
    sb_addc(out, '.');
    ids_hex(random, SIGNATURE_BYTES); /* the bytes of a signature nobody can check */
    base64url(out, (const unsigned char *)random, strlen(random));
}
