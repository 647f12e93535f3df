/*
 * json_request.c: one request of another Partner Center JSON API on a client's base URL (the
 * webhook registration API of lua/referrals/webhooks.lua, issue 14), through the same
 * pipeline as the operations: the client's token function, retries, Retry-After, deadline and
 * log. Registered as referrals.core.json_request, which referrals.webhooks takes off the
 * table when it loads: a member of no public table.
 */
#include <string.h>

#include "client_state.h"

static const char *const method_names[] = {"GET", "POST", "PUT", NULL};
static const referrals_method methods[] = {REFERRALS_GET, REFERRALS_POST, REFERRALS_PUT};

/* json_request(client, method, path [, body [, opts]]) -> value | true | nil, err.
 * method "GET", "POST" or "PUT"; body any Lua value JSON can hold (nil: no body); opts
 * { deadline = seconds }. The answer's JSON body as a Lua value, true for an empty 2xx. */
int referrals_l_json_request(lua_State *L) {
  check_client(L);
  referrals_method method = methods[luaL_checkoption(L, 2, NULL, method_names)];
  const char *path = luaL_checkstring(L, 3);
  if (!lua_isnoneornil(L, 5)) luaL_checktype(L, 5, LUA_TTABLE);
  lua_settop(L, 5);
  double deadline = referrals_call_deadline(L, 5);
  int has_body = !lua_isnil(L, 4);
  referrals_ctx *ctx = referrals_ctx_acquire(L);
  referrals_client *c = NULL;
  referrals_call k = {.L = L};
  int rc = has_body ? referrals_lua_to_json(L, 4, &ctx->out, &ctx->err, "") : REFERRALS_OK;
  if (rc == REFERRALS_OK && ctx->out.failed) rc = referrals_error_out_of_memory(&ctx->err);
  if (rc == REFERRALS_OK) rc = referrals_call_begin(L, ctx, deadline, &k, &c);
  if (rc == REFERRALS_OK)
    rc = referrals_client_send(c, method, path, has_body ? ctx->out.data : NULL,
                               has_body ? ctx->out.len : 0, &ctx->err);
  if (rc == REFERRALS_OK) { /* the answer lives in the client, which a close() may free next */
    const referrals_response *r = referrals_client_response(c);
    ctx->scratch.len = 0;
    ctx->scratch.failed = 0;
    referrals_buffer_append(&ctx->scratch, r->body, r->body_len);
    if (ctx->scratch.failed) rc = referrals_error_out_of_memory(&ctx->err);
  }
  referrals_call_end(L, &k);
  if (rc == REFERRALS_OK && ctx->scratch.len > 0)
    rc = referrals_push_json(L, ctx->scratch.data, ctx->scratch.len, &ctx->err);
  else if (rc == REFERRALS_OK)
    lua_pushboolean(L, 1);
  return referrals_call_finish(L, ctx, &k, rc);
}
