/* Tokens shaped like Entra's JWTs: base64url(header).base64url(claims).base64url(signature),
 * NOT signed -- the signature part is random bytes. Clients read the claims without
 * verifying them, as they do with Entra's: the audience a 401 names, the account whoami
 * shows. */
#ifndef FAKE_JWT_H
#define FAKE_JWT_H

#include "buf.h"

/* Appends the token carrying claims (a JSON object's text) to out. */
void jwt_make(strbuf *out, const char *claims, size_t claims_len);

#endif
