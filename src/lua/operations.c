/*
 * operations.c: client:create, get, list and update. Each converts its arguments into C first
 * (into the call's context: arena and buffers owned by a userdata), then runs the C operation
 * between referrals_call_begin and referrals_call_end (call.c), and only then pushes the
 * answer.
 */
#include <string.h>

#include "client_state.h"
#include "decode_sink.h"

/* ---- the answer's referral, straight from the text ---------------------------------------
 * While a create, get or update runs, the client hands its answer's body to read_answer,
 * which builds the result table from the text (json_to_table.c, issue 16). That happens
 * while the client is held, inside the core's frames, so it runs under lua_pcall: a memory
 * error is kept and raised again once the client is let go (finish_referral). */
typedef struct answer_reader {
  lua_State *L;
  referrals_ctx *ctx;
  const char *json;
  size_t len;
  int rc;
  int index; /* stack index of the table read, or of the Lua error raised; 0: none */
  int raised;
} answer_reader;

static int read_protected(lua_State *L) {
  answer_reader *r = lua_touserdata(L, 1);
  r->rc = referrals_push_decoded(L, r->ctx, &referrals_type_referral, r->json, r->len);
  return r->rc == REFERRALS_OK ? 1 : 0;
}

/* A referrals_read_fn; err is the context's error record, which the walk fills. */
static int read_answer(void *ud, const referrals_type *t, const char *json, size_t len,
                       referrals_error *err) {
  (void)t; /* the client reads only referrals this way */
  answer_reader *r = ud;
  lua_State *L = r->L;
  r->json = json;
  r->len = len;
  if (!lua_checkstack(L, 3)) return referrals_error_out_of_memory(err);
  lua_pushcfunction(L, read_protected);
  lua_pushlightuserdata(L, r);
  if (lua_pcall(L, 1, 1, 0) != 0) {
    r->raised = 1;
    r->index = lua_gettop(L);
    return referrals_error_out_of_memory(err);
  }
  if (r->rc != REFERRALS_OK) {
    lua_pop(L, 1);
    return r->rc;
  }
  r->index = lua_gettop(L);
  return REFERRALS_OK;
}

/* After referrals_call_end: the referral read, the one an in-doubt create was resolved to
 * (structs), or true for a 2xx without a body (a bare 204, spec §1.5); a Lua error of the
 * reading raised now. */
static int finish_referral(lua_State *L, referrals_ctx *ctx, referrals_call *k,
                           const answer_reader *rd, const referrals_referral *r, int rc) {
  if (rd->raised) {
    referrals_ctx_release(ctx);
    lua_pushvalue(L, rd->index);
    return lua_error(L);
  }
  if (rc == REFERRALS_OK) {
    if (rd->index)
      lua_pushvalue(L, rd->index);
    else if (r)
      referrals_push_struct(L, ctx, &referrals_type_referral, r);
    else
      lua_pushboolean(L, 1);
  }
  return referrals_call_finish(L, ctx, k, rc);
}

/* ---- operations -------------------------------------------------------------------------- */

/* opts at idx: nil or a table ({ deadline = seconds }, and update's etag). */
static void check_opts(lua_State *L, int idx) {
  if (!lua_isnoneornil(L, idx)) luaL_checktype(L, idx, LUA_TTABLE);
}

/* client:create(ref [, opts]) -> referral | nil, err. Validated and encoded first, with the
 * same code as referrals.encode_valid: an invalid table sends nothing. */
static int l_create(lua_State *L) {
  check_client(L);
  luaL_checktype(L, 2, LUA_TTABLE);
  check_opts(L, 3);
  lua_settop(L, 3);
  double deadline = referrals_call_deadline(L, 3);
  int extra = referrals_client_extra(L, 3, 3);
  referrals_ctx *ctx = referrals_ctx_acquire(L);
  ctx->extra = extra;
  referrals_client *c = NULL;
  referrals_referral *r = NULL;
  referrals_call k = {.L = L};
  answer_reader rd = {.L = L, .ctx = ctx};
  int rc = referrals_encode_table(L, ctx, 2, REFERRALS_MODE_CREATE);
  if (rc == REFERRALS_OK) rc = referrals_call_begin(L, ctx, deadline, &k, &c);
  /* the client's answers are read by rd until referrals_call_end */
  if (rc == REFERRALS_OK) referrals_client_set_reader(c, read_answer, &rd);
  if (rc == REFERRALS_OK)
    rc = referrals_create(c, ctx->out.data, ctx->out.len, ctx->arena, &r, &ctx->err);
  referrals_call_end(L, &k);
  return finish_referral(L, ctx, &k, &rd, r, rc);
}

/* client:get(id [, opts]) -> referral | nil, err */
static int l_get(lua_State *L) {
  check_client(L);
  size_t len;
  const char *id = luaL_checklstring(L, 2, &len);
  check_opts(L, 3);
  double deadline = referrals_call_deadline(L, 3);
  referrals_ctx *ctx = referrals_ctx_acquire(L);
  referrals_client *c = NULL;
  referrals_referral *r = NULL;
  referrals_call k = {.L = L};
  answer_reader rd = {.L = L, .ctx = ctx};
  int rc = referrals_call_begin(L, ctx, deadline, &k, &c);
  /* the client's answers are read by rd until referrals_call_end */
  if (rc == REFERRALS_OK) referrals_client_set_reader(c, read_answer, &rd);
  if (rc == REFERRALS_OK) rc = referrals_get(c, id, len, ctx->arena, &r, &ctx->err);
  referrals_call_end(L, &k);
  return finish_referral(L, ctx, &k, &rd, r, rc);
}

/* { value = { referral... }, next = url_or_nil, count = n_or_nil } */
void referrals_push_page(lua_State *L, referrals_ctx *ctx, const referrals_page *p) {
  lua_createtable(L, 0, 3);
  uint32_t n = p->value.state == REFERRALS_SET ? p->value.len : 0;
  lua_createtable(L, (int)n, 0);
  for (uint32_t i = 0; i < n; i++) {
    const referrals_value *item = &p->value.as.items[i];
    if (item->state == REFERRALS_SET)
      referrals_push_struct(L, ctx, &referrals_type_referral, item->as.object);
    else
      lua_pushlightuserdata(L, NULL); /* a null item: referrals.null, as decode gives */
    lua_rawseti(L, -2, (int)i + 1);
  }
  lua_setfield(L, -2, "value");
  if (p->next_link.state == REFERRALS_SET) {
    lua_pushlstring(L, p->next_link.as.string, p->next_link.len);
    lua_setfield(L, -2, "next");
  }
  if (p->count.state == REFERRALS_SET) {
#if REFERRALS_HAS_INTEGERS
    if (p->count.is_integer)
      lua_pushinteger(L, (lua_Integer)p->count.as.integer);
    else
#endif
      lua_pushnumber(L, p->count.is_integer ? (lua_Number)p->count.as.integer
                                            : (lua_Number)p->count.as.number);
    lua_setfield(L, -2, "count");
  }
}

/* client:list([query | next_link]) -> page | nil, err. A string is the next link of an
 * earlier page (referrals_list_next says which links are followed, spec §1.2). */
static int l_list(lua_State *L) {
  check_client(L);
  int t = lua_type(L, 2);
  luaL_argcheck(L, t == LUA_TNONE || t == LUA_TNIL || t == LUA_TTABLE || t == LUA_TSTRING, 2,
                "query table or next link expected");
  check_opts(L, 3);
  double deadline = referrals_call_deadline(L, 3);
  referrals_ctx *ctx = referrals_ctx_acquire(L);
  referrals_client *c = NULL;
  referrals_page *page = NULL;
  referrals_query q;
  memset(&q, 0, sizeof q);
  referrals_call k = {.L = L};
  int rc = t == LUA_TTABLE ? referrals_lua_query(L, ctx, 2, 2, &q) : REFERRALS_OK;
  if (rc == REFERRALS_OK) rc = referrals_call_begin(L, ctx, deadline, &k, &c);
  if (rc == REFERRALS_OK && t == LUA_TSTRING) {
    size_t len;
    const char *link = lua_tolstring(L, 2, &len);
    rc = referrals_list_next(c, link, len, ctx->arena, &page, &ctx->err);
  } else if (rc == REFERRALS_OK) {
    rc = referrals_list(c, &q, ctx->arena, &page, &ctx->err);
  }
  referrals_call_end(L, &k);
  if (rc == REFERRALS_OK) referrals_push_page(L, ctx, page);
  return referrals_call_finish(L, ctx, &k, rc);
}

/* A string member of the table at idx, pushed (so it stays alive while the call runs), or
 * nil; not a string: nil too. */
static void push_string_member(lua_State *L, int idx, const char *key) {
  lua_pushstring(L, key);
  lua_rawget(L, idx);
  if (lua_type(L, -1) != LUA_TSTRING) {
    lua_pop(L, 1);
    lua_pushnil(L);
  }
}

/* client:update(id_or_ref, changes [, opts]) -> referral | nil, err (after a bare 204 the core
 * reads the referral, referrals_update).
 * If-Match is opts.etag, else the eTag of a referral table, sent verbatim (spec §1.1). */
static int l_update(lua_State *L) {
  check_client(L);
  int t = lua_type(L, 2);
  luaL_argcheck(L, t == LUA_TSTRING || t == LUA_TTABLE, 2, "id or referral expected");
  luaL_checktype(L, 3, LUA_TTABLE);
  if (!lua_isnoneornil(L, 4)) luaL_checktype(L, 4, LUA_TTABLE);
  lua_settop(L, 4);
  if (t == LUA_TTABLE)
    push_string_member(L, 2, "id"); /* 5 */
  else
    lua_pushvalue(L, 2);
  if (lua_istable(L, 4)) {
    lua_pushliteral(L, "etag");
    lua_rawget(L, 4); /* 6 */
    luaL_argcheck(L, lua_isnil(L, 6) || lua_type(L, 6) == LUA_TSTRING, 4,
                  "opts.etag: string expected");
  } else {
    lua_pushnil(L);
  }
  if (lua_isnil(L, 6) && t == LUA_TTABLE) {
    lua_pop(L, 1);
    push_string_member(L, 2, "eTag");
  }
  size_t id_len = 0, etag_len = 0;
  const char *id = lua_tolstring(L, 5, &id_len);
  const char *etag = lua_tolstring(L, 6, &etag_len);
  double deadline = referrals_call_deadline(L, 4);
  int extra = referrals_client_extra(L, 4, 4); /* 7 */

  referrals_ctx *ctx = referrals_ctx_acquire(L);
  ctx->extra = extra;
  referrals_client *c = NULL;
  referrals_referral *r = NULL;
  referrals_call k = {.L = L};
  int rc = id ? REFERRALS_OK
              : referrals_error_set(&ctx->err, REFERRALS_E_VALIDATION, "id", "id",
                                    "id: the referral table has no string id");
  if (rc == REFERRALS_OK) rc = referrals_lua_patch(L, ctx, 3);
  if (rc == REFERRALS_OK) rc = referrals_call_begin(L, ctx, deadline, &k, &c);
  answer_reader rd = {.L = L, .ctx = ctx};
  /* the client's answers are read by rd until referrals_call_end */
  if (rc == REFERRALS_OK) referrals_client_set_reader(c, read_answer, &rd);
  if (rc == REFERRALS_OK)
    rc = referrals_update(c, id, id_len, ctx->out.data, ctx->out.len, etag, etag_len, ctx->arena,
                          &r, &ctx->err);
  referrals_call_end(L, &k);
  return finish_referral(L, ctx, &k, &rd, r, rc);
}

const luaL_Reg referrals_client_operations[] = {
    {"create", l_create}, {"get", l_get}, {"list", l_list}, {"update", l_update}, {NULL, NULL}};
