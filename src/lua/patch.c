/*
 * patch.c: the changes of client:update -> a JSON Patch document (spec §1.5, RFC 6902).
 * Two shapes:
 *   a list of operations   { { op = "replace", path = "/status", value = "Closed" }, ... }
 *                          sent in the order given;
 *   a table of paths       { status = "Closed", substatus = "Won", ["details.dealValue"] = 1 }
 *                          one "replace" per path ("add" for a path ending in "-"), sorted
 *                          by JSON Pointer so one table always gives one body (and /status
 *                          comes before /substatus).
 * Only "add" and "replace" exist for this API (spec §1.5). Each path is resolved against the
 * schema by referrals_patch_path; each value is read strictly for the field it lands on,
 * checked in update mode and written in one walk of the Lua value, as a referral table is
 * (referrals_walk_table_value: no structs in between, issue 16). Any problem is a
 * validation error whose field is the path as the caller wrote it, and nothing is sent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_text.h"
#include "binding.h"

typedef struct op {
  const char *op;   /* "add" or "replace" */
  const char *path; /* as given (a Lua string, or NUL-terminated in the arena) */
  const char *pointer;
  referrals_patch_target target;
  int extra; /* a path the schema does not know, on opts.extra: the value is sent as given */
} op;

static int invalid(referrals_ctx *ctx, const char *code, const char *field, const char *what) {
  return referrals_error_set(&ctx->err, REFERRALS_E_VALIDATION, code, field, "%s: %s",
                             field[0] ? field : "changes", what);
}

/* The JSON Pointer of a path the schema does not know: its segments (split at "." or "/")
 * with "~" escaped (RFC 6901; a segment holds no "/"). */
static void extra_pointer(referrals_buffer *b, const char *path, op *o) {
  const char *p = path[0] == '/' ? path + 1 : path;
  referrals_buffer_append(b, "/", 1);
  for (; *p; p++) {
    if (*p == '.' || *p == '/')
      referrals_buffer_append(b, "/", 1);
    else if (*p == '~')
      referrals_buffer_append(b, "~0", 2);
    else
      referrals_buffer_append(b, p, 1);
  }
  size_t n = strlen(path);
  o->target.append = n >= 2 && path[n - 1] == '-' && (path[n - 2] == '/' || path[n - 2] == '.');
}

/* Resolves o->path into o->pointer (kept in the arena) and checks the op fits it. A path the
 * schema does not know ("path": a member it lacks) is refused unless it is on opts.extra; a
 * path it knows is checked, extra or not. */
static int resolve(lua_State *L, referrals_ctx *ctx, op *o) {
  referrals_buffer *b = &ctx->scratch;
  b->len = 0;
  b->failed = 0;
  size_t len = strlen(o->path);
  int rc = referrals_patch_path(o->path, len, &o->target, b, &ctx->err);
  o->extra = rc == REFERRALS_E_VALIDATION && strcmp(ctx->err.code, "path") == 0 &&
             referrals_extra_allows(L, ctx, o->path, len);
  if (o->extra) {
    referrals_error_clear(&ctx->err);
    extra_pointer(b, o->path, o);
    rc = REFERRALS_OK;
  }
  if (rc != REFERRALS_OK) return rc;
  if (o->target.append && strcmp(o->op, "add") != 0)
    return invalid(ctx, "op", o->path, "a path ending in \"-\" appends, which only \"add\" does");
  o->pointer = referrals_arena_strdup(ctx->arena, b->data, b->len);
  return o->pointer ? REFERRALS_OK : referrals_error_out_of_memory(&ctx->err);
}

/* Writes {"op":..,"path":..,"value":..} for the value on top of the stack. */
static int write_op(lua_State *L, referrals_ctx *ctx, const op *o, int first) {
  referrals_buffer *b = &ctx->out;
  size_t start = b->len;
  referrals_buffer_append(b, first ? "{\"op\":" : ",{\"op\":", first ? 6 : 7);
  referrals_json_write_string(b, o->op, strlen(o->op));
  referrals_buffer_append(b, ",\"path\":", 8);
  referrals_json_write_string(b, o->pointer, strlen(o->pointer));
  referrals_buffer_append(b, ",\"value\":", 9);
  int rc = o->extra ? referrals_lua_to_json(L, -1, b, &ctx->err, o->path)
                    : referrals_walk_table_value(L, ctx, -1, o->target.field, o->target.item,
                                                 o->path, b);
  if (rc != REFERRALS_OK) {
    b->len = start;
    return rc;
  }
  referrals_buffer_append(b, "}", 1);
  return rc;
}

static int list_op(lua_State *L, referrals_ctx *ctx, int idx, size_t i, op *o) {
  char field[32];
  snprintf(field, sizeof field, "changes[%zu]", i);
  lua_rawgeti(L, idx, (int)i);
  if (lua_type(L, -1) != LUA_TTABLE)
    return invalid(ctx, "changes", field, "an operation is a table { op =, path =, value = }");
  int t = lua_gettop(L);
  const char *const keys[] = {"op", "path", "value"};
  for (int k = 0; k < 3; k++) { /* raw, like every table the binding reads */
    lua_pushstring(L, keys[k]);
    lua_rawget(L, t);
  }
  o->op = lua_tostring(L, -3);
  o->path = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
  if (!o->op || (strcmp(o->op, "add") != 0 && strcmp(o->op, "replace") != 0))
    return invalid(ctx, "op", field, "op must be \"add\" or \"replace\"");
  if (!o->path) return invalid(ctx, "path", field, "path must be a string");
  int rc = resolve(L, ctx, o);
  if (rc == REFERRALS_OK && lua_isnil(L, -1))
    rc = invalid(ctx, "value", o->path, "no value (use referrals.null for JSON null)");
  return rc;
}

static int by_pointer(const void *a, const void *b) {
  return strcmp(((const op *)a)->pointer, ((const op *)b)->pointer);
}

/* The table of paths at idx, n entries: resolved, sorted, written. */
static int write_paths(lua_State *L, referrals_ctx *ctx, int idx, size_t n) {
  op *ops = referrals_arena_alloc(ctx->arena, n * sizeof *ops);
  if (!ops) return referrals_error_out_of_memory(&ctx->err);
  size_t i = 0;
  int rc = REFERRALS_OK;
  lua_pushnil(L);
  while (rc == REFERRALS_OK && lua_next(L, idx)) {
    const char *path = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
    size_t len = path ? strlen(path) : 0;
    ops[i].path = path;
    /* A path that ends in "-" appends: "add", as RFC 6902 says; every other path replaces. */
    ops[i].op =
        len && path[len - 1] == '-' && (len == 1 || path[len - 2] == '.' || path[len - 2] == '/')
            ? "add"
            : "replace";
    rc = ops[i].path ? resolve(L, ctx, &ops[i])
                     : invalid(ctx, "changes", "", "mixes operations and paths");
    i++;
    lua_pop(L, 1);
  }
  if (rc != REFERRALS_OK) {
    lua_pop(L, 1);
    return rc;
  }
  qsort(ops, n, sizeof *ops, by_pointer);
  for (i = 0; i < n && rc == REFERRALS_OK; i++) {
    lua_pushstring(L, ops[i].path);
    lua_rawget(L, idx);
    rc = write_op(L, ctx, &ops[i], i == 0);
    lua_pop(L, 1);
  }
  return rc;
}

int referrals_lua_patch(lua_State *L, referrals_ctx *ctx, int idx) {
  size_t len = lua_rawlen(L, idx), count = 0;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    count++;
    lua_pop(L, 1);
  }
  if (count == 0) return invalid(ctx, "changes", "", "no changes");
  referrals_buffer *b = &ctx->out;
  referrals_buffer_append(b, "[", 1);
  int rc = REFERRALS_OK;
  if (len == 0) {
    rc = write_paths(L, ctx, idx, count);
  } else if (len != count) {
    rc = invalid(ctx, "changes", "", "mixes operations and paths");
  } else {
    for (size_t i = 1; i <= len && rc == REFERRALS_OK; i++) {
      int top = lua_gettop(L);
      op o;
      rc = list_op(L, ctx, idx, i, &o);
      if (rc == REFERRALS_OK) rc = write_op(L, ctx, &o, i == 1);
      lua_settop(L, top);
    }
  }
  referrals_buffer_append(b, "]", 1);
  if (rc == REFERRALS_OK && b->failed) rc = referrals_error_out_of_memory(&ctx->err);
  return rc;
}
