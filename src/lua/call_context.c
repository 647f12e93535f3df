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

/* The Lua stack slots a walk between a table and t's values may take, checked once per walk,
 * not per object (the schema bounds the nesting): per level, the tables of every member kept
 * for the encode walk (lua_values.c), lua_next's key and value, or a decoded object's table,
 * key table, key and value. */
static int walk_stack_need(const referrals_type *t) {
  int deepest = 0;
  for (unsigned i = 0; i < t->nfields; i++) {
    const referrals_field *f = &t->fields[i];
    if (f->kind != REFERRALS_KIND_OBJECT && f->kind != REFERRALS_KIND_OBJECT_ARRAY) continue;
    int d = walk_stack_need(f->type);
    if (d > deepest) deepest = d;
  }
  return (int)t->nfields + 8 + deepest;
}

static referrals_ctx *ctx_new(lua_State *L, int schema_ref) {
  referrals_ctx *ctx = lua_newuserdata(L, sizeof *ctx);
  memset(ctx, 0, sizeof *ctx);
  referrals_buffer_init(&ctx->out);
  referrals_buffer_init(&ctx->scratch);
  ctx->schema_ref = schema_ref;
  int need = 0;
  for (unsigned i = 0; i < referrals_all_types_count; i++) {
    int n = walk_stack_need(referrals_all_types[i]);
    if (n > need) need = n;
  }
  ctx->stack_need = need;
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

/* The problems go into the call's arena, in blocks that double, so no list survives the
 * call and nothing is freed by hand. */
void referrals_problems_keep(referrals_arena *a, referrals_error **items, unsigned *count,
                             const referrals_error *problem) {
  unsigned n = *count;
  if (n >= MAX_PROBLEMS) return;
  if ((n & (n - 1)) == 0) { /* 0, 1, 2, 4, ...: the block is full */
    referrals_error *more = referrals_arena_alloc_uninit(a, sizeof *more * (n ? 2 * n : 1));
    if (!more) return; /* out of memory: err still holds the first problem */
    if (n) memcpy(more, *items, sizeof *more * n);
    *items = more;
  }
  (*items)[(*count)++] = *problem;
}

void referrals_ctx_keep_problem(referrals_ctx *ctx, const referrals_error *problem) {
  referrals_problems_keep(ctx->arena, &ctx->problems, &ctx->nproblems, problem);
}
