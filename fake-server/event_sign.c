/* Signs webhook events with the test keys (see event_sign.h): RSASSA-PKCS1-v1_5 over the
 * raw body bytes, SHA-256 (SHA-1 for the rsa-sha1 fault), base64, as Partner Center does. */
#include "event_sign.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "webhooks.h"

static const char *const fault_names[] = {
    "none", "tampered_body", "other_issuer", "untrusted_chain", "other_host", "rsa_sha1",
};

int event_fault_parse(const char *name, enum event_fault *out)
{
    size_t i;
    for (i = 0; i < sizeof fault_names / sizeof fault_names[0]; i++)
        if (strcmp(fault_names[i], name) == 0) {
            *out = (enum event_fault)i;
            return 0;
        }
    return -1;
}

const char *event_fault_name(enum event_fault fault)
{
    return fault_names[fault];
}

/* The three signers: the leaf, the other issuer's, the untrusted chain's. */
enum signer_kind { SIGNER_LEAF, SIGNER_OTHER_ISSUER, SIGNER_UNTRUSTED, SIGNER_COUNT };

struct signers {
    EVP_PKEY *key[SIGNER_COUNT];
};

static enum signer_kind signer_for(enum event_fault fault)
{
    return fault == EVENT_FAULT_OTHER_ISSUER      ? SIGNER_OTHER_ISSUER
           : fault == EVENT_FAULT_UNTRUSTED_CHAIN ? SIGNER_UNTRUSTED
                                                  : SIGNER_LEAF;
}

/* Where each signer's certificate is served (webhooks.c serves them by these names). */
static const char *const cert_paths[SIGNER_COUNT] = {
    WEBHOOK_CERT_PATH,
    WEBHOOK_OTHER_ISSUER_CERT_PATH,
    WEBHOOK_UNTRUSTED_CERT_PATH,
};

static EVP_PKEY *load_key(const char *path)
{
    FILE *f = fopen(path, "r");
    EVP_PKEY *key = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
    if (f)
        fclose(f);
    if (!key)
        fprintf(stderr, "referrals-fake-server: cannot read the private key %s\n", path);
    return key;
}

struct signers *signers_load(const struct options *opt)
{
    const char *paths[SIGNER_COUNT];
    struct signers *s = xcalloc(1, sizeof *s);
    size_t i;
    paths[SIGNER_LEAF] = opt->webhook_key;
    paths[SIGNER_OTHER_ISSUER] = opt->webhook_other_key;
    paths[SIGNER_UNTRUSTED] = opt->webhook_untrusted_key;
    for (i = 0; i < SIGNER_COUNT; i++)
        if (paths[i] && !(s->key[i] = load_key(paths[i]))) {
            signers_free(s);
            return NULL;
        }
    return s;
}

void signers_free(struct signers *s)
{
    size_t i;
    if (!s)
        return;
    for (i = 0; i < SIGNER_COUNT; i++)
        EVP_PKEY_free(s->key[i]);
    free(s);
}

int signers_can(const struct signers *s, enum event_fault fault)
{
    return s->key[SIGNER_LEAF] && s->key[signer_for(fault)];
}

/* The base64 PKCS#1 v1.5 signature of body by key under digest; NULL when libcrypto fails. */
static char *sign_base64(EVP_PKEY *key, const EVP_MD *digest, const char *body, size_t len)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char *sig = NULL;
    char *b64 = NULL;
    size_t sig_len = 0;
    int ok = ctx && EVP_DigestSignInit(ctx, NULL, digest, NULL, key) == 1 &&
             EVP_DigestSign(ctx, NULL, &sig_len, (const unsigned char *)body, len) == 1;
    if (ok) {
        sig = xmalloc(sig_len);
        ok = EVP_DigestSign(ctx, sig, &sig_len, (const unsigned char *)body, len) == 1;
    }
    if (ok) {
        b64 = xmalloc(4 * ((sig_len + 2) / 3) + 1);
        EVP_EncodeBlock((unsigned char *)b64, sig, (int)sig_len);
    }
    free(sig);
    EVP_MD_CTX_free(ctx);
    return b64;
}

int event_sign(const struct signers *s, enum event_fault fault, const char *body,
               const char *origin, struct signed_event *out)
{
    enum signer_kind kind = signer_for(fault);
    size_t len = strlen(body);
    strbuf url = STRBUF_INIT;
    memset(out, 0, sizeof *out);
    if (!signers_can(s, fault))
        return -1;
    out->signature = sign_base64(
        s->key[kind], fault == EVENT_FAULT_RSA_SHA1 ? EVP_sha1() : EVP_sha256(), body, len);
    if (!out->signature)
        return -1;
    out->algorithm = fault == EVENT_FAULT_RSA_SHA1 ? "rsa-sha1" : "rsa-sha256";
    out->body = xstrdup(body);
    if (fault == EVENT_FAULT_TAMPERED_BODY && len > 3)
        out->body[len - 3] ^= 1; /* "+00:00\"}" becomes "+00:01\"}": still JSON, not signed */
    if (fault == EVENT_FAULT_OTHER_HOST) {
        /* the same server under another name, so a verifier that fetched it would succeed */
        const char *port = strrchr(origin, ':');
        sb_printf(&url, "https://localhost%s", port ? port : "");
    } else {
        sb_adds(&url, origin);
    }
    sb_adds(&url, cert_paths[kind]);
    out->cert_url = sb_detach(&url, NULL);
    return 0;
}

void signed_event_free(struct signed_event *e)
{
    free(e->body);
    free(e->signature);
    free(e->cert_url);
    memset(e, 0, sizeof *e);
}
