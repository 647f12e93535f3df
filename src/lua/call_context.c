/*
 * call_context.c: the per-module context userdata (see binding.h). One is shared by
 * all calls so that the arena and the output buffer are reused (steady state allocates
 * nothing); a call that finds it busy -- a __gc finalizer that calls the module from inside
 * another call -- gets a fresh one of its own.
 */
#include <string.h>

#include "binding.h"

static int ctx_gc(lua_State *L) {
  referrals_ctx *ctx = luaL_checkudata(L, 1, REFERRALS_CTX_MT);
  referrals_arena_free(ctx->arena);
  ctx->arena = NULL;
  referrals_buffer_free(&ctx->out);
  referrals_buffer_free(&ctx->scratch);
  referrals_key_index_free(ctx->keys);
  ctx->keys = NULL;
  return 0;
}

static referrals_ctx *ctx_new(lua_State *L, int schema_ref) {
  referrals_ctx *ctx = lua_newuserdata(L, sizeof *ctx);
  memset(ctx, 0, sizeof *ctx);
  referrals_buffer_init(&ctx->out);
  referrals_buffer_init(&ctx->scratch);
  ctx->schema_ref = schema_ref;
  unsigned depth = 0;
  for (unsigned i = 0; i < referrals_all_types_count; i++) {
    unsigned d = referrals_type_depth(referrals_all_types[i]);
    if (d > depth) depth = d;
  }
  ctx->stack_need = 4 * (int)depth + 8; /* per level: table, key table or array, key, value */
  luaL_getmetatable(L, REFERRALS_CTX_MT);
  lua_setmetatable(L, -2);
  ctx->arena = referrals_arena_new();
  ctx->keys = referrals_key_index_new();
  if (!ctx->arena || !ctx->keys) luaL_error(L, "referrals: out of memory");
  lua_rawgeti(L, LUA_REGISTRYINDEX, schema_ref);
  referrals_key_index_intern(ctx->keys, L, lua_gettop(L));
  lua_pop(L, 1);
  return ctx;
}

void referrals_ctx_open(lua_State *L) {
  if (luaL_newmetatable(L, REFERRALS_CTX_MT)) {
    lua_pushcfunction(L, ctx_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_pop(L, 1);
  int schema_ref = referrals_schema_build(L);
  ctx_new(L, schema_ref);
}

referrals_ctx *referrals_ctx_acquire(lua_State *L) {
  referrals_ctx *ctx = lua_touserdata(L, lua_upvalueindex(1));
  if (ctx->busy) ctx = ctx_new(L, ctx->schema_ref);
  ctx->busy = 1;
  ctx->extra = 0;
  referrals_ctx_forget(ctx);
  ctx->out.len = 0;
  ctx->out.failed = 0;
  referrals_error_clear(&ctx->err);
  return ctx;
}

void referrals_ctx_forget(referrals_ctx *ctx) {
  referrals_arena_reset(ctx->arena);
  ctx->problems = NULL; /* it lived in the arena */
  ctx->nproblems = 0;
}

void referrals_ctx_release(referrals_ctx *ctx) { ctx->busy = 0; }

#define MAX_PROBLEMS 100 /* reported in err.errors; a referral with more has bigger trouble */

/* The sink of referrals_validate_each: the problems go into the call's arena, in blocks that
 * double, so no list survives the call and nothing is freed by hand. */
void referrals_ctx_keep_problem(referrals_ctx *ctx, const referrals_error *problem) {
  unsigned n = ctx->nproblems;
  if (n >= MAX_PROBLEMS) return;
  if ((n & (n - 1)) == 0) { /* 0, 1, 2, 4, ...: the block is full */
    referrals_error *more =
        referrals_arena_alloc_uninit(ctx->arena, sizeof *more * (n ? 2 * n : 1));
    if (!more) return; /* out of memory: err still holds the first problem */
    if (n) memcpy(more, ctx->problems, sizeof *more * n);
    ctx->problems = more;
  }
  ctx->problems[ctx->nproblems++] = *problem;
}

static void keep_problem(void *ud, const referrals_error *problem) {
  referrals_ctx_keep_problem(ud, problem);
}

int referrals_ctx_validate(referrals_ctx *ctx, const referrals_referral *r, referrals_mode mode) {
  if (!ctx->nproblems) return referrals_validate_each(r, mode, keep_problem, ctx, &ctx->err);
  referrals_error later; /* the conversion's problems come first: err is the first of them */
  referrals_error_clear(&later);
  referrals_validate_each(r, mode, keep_problem, ctx, &later);
  return REFERRALS_E_VALIDATION;
}
