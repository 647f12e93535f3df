/*
 * binding.h: what the files of the Lua binding in src/lua/ share.
 *
 * Every module function has one upvalue, the binding's context: a userdata that owns the
 * arena, the output buffer and the error record of a call, and whose uservalue-like slot
 * (a table in the registry) holds the schema tables. Owning the memory in a userdata with
 * __gc means a Lua error raised halfway through a conversion can never leak it.
 */
#ifndef REFERRALS_LUA_BINDING_H
#define REFERRALS_LUA_BINDING_H

#include "compat.h"
#include "referrals_client.h"

#define REFERRALS_CTX_MT "referrals.context"
#define REFERRALS_COUNT_TYPE_(tname, wire) +1
#define REFERRALS_TYPE_COUNT (0 REFERRALS_TYPES(REFERRALS_COUNT_TYPE_))
#define REFERRALS_ERROR_MT "referrals.error"

typedef struct referrals_ctx {
  referrals_arena *arena;
  referrals_buffer out;     /* JSON text written by encode */
  referrals_buffer scratch; /* raw JSON of unknown members while converting */
  referrals_error err;
  referrals_error *problems; /* every validation problem of the call (err is the first), in
                                the arena; pushed as err.errors */
  unsigned nproblems;
  int busy;       /* a call is using this context (a __gc finalizer may re-enter the module) */
  int schema_ref; /* registry ref of the schema tables (see schema_tables.c) */
  struct referrals_key_index *keys; /* wire key -> field, per type (see schema_tables.c) */
  int stack_need; /* Lua stack slots a walk of a resource's tables may use: checked once
                     per walk, not per object (the schema bounds the nesting) */
  int extra;      /* stack index of the call's set of extra paths (extra.c); 0: none */
  /* [type.index]: the members the last decoded object of the type had, the size its next
   * table is created at (json_to_table.c) */
  uint8_t table_size[REFERRALS_TYPE_COUNT];
  /* [0] the length of the last string array decoded, [type.index + 1] of the last array of
   * objects of the type: the length its next table is created at */
  uint8_t array_size[REFERRALS_TYPE_COUNT + 1];
} referrals_ctx;

/* call_context.c: the context of the current call; a fresh one if the shared one is busy
 * (it is then left on the stack, owned by Lua). Call ctx_release when done. */
referrals_ctx *referrals_ctx_acquire(lua_State *L);
void referrals_ctx_release(referrals_ctx *ctx);
/* Empties the arena, and forgets the problems kept in it (bulk.c: between two items). */
void referrals_ctx_forget(referrals_ctx *ctx);
void referrals_ctx_open(lua_State *L); /* pushes the module's shared context */

/* schema_tables.c: pushes the table of schema tables: [type.index + 1] = { [i] = key string,
 * [key string] = i } for each type, so keys are pushed and looked up without re-hashing. */
void referrals_schema_push(lua_State *L, referrals_ctx *ctx);
int referrals_schema_build(lua_State *L); /* returns a registry ref */
/* A hash of every type's wire keys, owned by a context: lua_to_struct finds the member of a
 * Lua key in a few instructions (a scan of the descriptors, or a lua_rawget in the schema
 * tables, cost 150-200 per member: issue 5). NULL when out of memory. */
struct referrals_key_index *referrals_key_index_new(void);
void referrals_key_index_free(struct referrals_key_index *ix);
/* Records the addresses of the key strings of the schema tables (at stack index schema), so
 * that a key that is one of them is found by its address. */
void referrals_key_index_intern(struct referrals_key_index *ix, lua_State *L, int schema);
/* The field of t whose wire key is key[0..len) (a Lua string's bytes, or any bytes), or
 * NULL. */
const referrals_field *referrals_key_index_find(const struct referrals_key_index *ix,
                                                const referrals_type *t, const char *key,
                                                size_t len);
/* Sets referrals.schema and the enum tables (referrals.Status...) on the module table. */
void referrals_schema_open(lua_State *L, int module);

/* error.c: pushes nil and the error object; returns 2 (for `return nil, err`). */
int referrals_push_error(lua_State *L, const referrals_error *err);
/* The same for ctx->err, with err.errors: every problem a validation found (ctx->problems),
 * or the error itself when it is a validation error found alone. */
int referrals_push_ctx_error(lua_State *L, const referrals_ctx *ctx);
void referrals_error_open(lua_State *L);

/* lua_values.c: walks the referral table at idx once (src/core/encode_walk.h, no structs):
 * mode >= 0 (a referrals_mode) checks it, collecting every problem into ctx->problems
 * (unknown keys first, refused on create but for the paths of ctx->extra; then the rules'
 * problems; ctx->err the first); out (when not NULL) gets its JSON, complete only on
 * REFERRALS_OK. A value that cannot be read (a type mismatch) is reported alone. Unknown
 * keys outside create are kept and written as raw JSON. */
int referrals_walk_table(lua_State *L, referrals_ctx *ctx, int idx, int mode,
                         referrals_buffer *out);
/* The same result the C API's way: the table converted into structs, then walked (a test
 * aid: module.c's _encode_structs). */
int referrals_walk_structs(lua_State *L, referrals_ctx *ctx, int idx, int mode,
                           referrals_buffer *out);

/* One value of field f (as_item: an item of the array field f), the Lua value at idx, read,
 * checked in update mode and written to out in one walk, as a table is (a JSON Patch
 * operation's value): an unknown key is refused unless on the extra list; path names it in
 * errors (e.g. "details.dealValue"). Nothing of a refused value is left in out. */
int referrals_walk_table_value(lua_State *L, referrals_ctx *ctx, int idx, const referrals_field *f,
                               int as_item, const char *path, referrals_buffer *out);

/* extra.c: pushes the set of extra paths of a call: the set at base (the client's, or 0)
 * with the strings of opts.extra (opts: the options table's index, or 0) added; pushes
 * exactly one value and returns its index, or 0 when the set is empty (nil pushed). A wrong
 * opts.extra raises, for argument arg. */
int referrals_extra_push(lua_State *L, int base, int opts, int arg);
/* Whether the field path or PATCH path path[0..len) is on the call's set (ctx->extra): a
 * member the schema does not know that is then sent as given. */
int referrals_extra_allows(lua_State *L, const referrals_ctx *ctx, const char *path, size_t len);
/* client.c: pushes the set of a call of the client at 1 with opts at idx (see above). */
int referrals_client_extra(lua_State *L, int opts, int arg);

/* client_options.c: reads referrals.new's options table (at 1) into o; raises on a wrong
 * option, naming it. referrals_lua_option_error raises for the value on top of the stack. */
void referrals_lua_client_options(lua_State *L, referrals_client_options *o);
int referrals_lua_option_error(lua_State *L, const char *name, const char *expected);

/* json_to_table.c: pushes the t of json[0..len) as a fresh table, built as the text is
 * scanned (no structs); or fills ctx->err (the errors of referrals_decode) and pushes
 * nothing. t is one of referrals_all_types. */
int referrals_push_decoded(lua_State *L, referrals_ctx *ctx, const referrals_type *t,
                           const char *json, size_t len);

/* struct_to_table.c: pushes a struct of type t as a fresh table (list pages, bulk runs,
 * the referral an in-doubt create was resolved to). */
void referrals_push_struct(lua_State *L, referrals_ctx *ctx, const referrals_type *t,
                           const void *obj);

/* module.c: pushes nil, err when rc is an error (else the caller pushed the result), then
 * releases ctx; returns the number of results. */
int referrals_ctx_finish(lua_State *L, referrals_ctx *ctx, int rc);
/* Appends a copy of problem to the list *items, *n in a (at most 100; none when out of
 * memory); referrals_ctx_keep_problem to ctx->problems. */
void referrals_problems_keep(referrals_arena *a, referrals_error **items, unsigned *n,
                             const referrals_error *problem);
void referrals_ctx_keep_problem(referrals_ctx *ctx, const referrals_error *problem);
/* Validates the referral table at idx when mode >= 0 (a referrals_mode) and writes its JSON
 * to ctx->out, in one walk (referrals_walk_table). */
int referrals_encode_table(lua_State *L, referrals_ctx *ctx, int idx, int mode);

/* client.c: referrals.new, referrals.Client (the methods), referrals.error. Expects the
 * shared context on top of the stack and leaves it there. */
void referrals_client_open(lua_State *L, int module);
/* core.file_mode, core.write_private, core.make_private_dir: the token cache's file
 * operations (private_file.c), taken off the module table by referrals.auth */
void referrals_private_file_open(lua_State *L, int module);
/* One operation of the client at 1 (a sequential call or a bulk run): the Lua side of the
 * core's pipeline hooks (the token and log functions, under lua_pcall). */
typedef struct referrals_call {
  lua_State *L;
  void *lc;       /* client.c's state of the client */
  int held;       /* begin held the client */
  int log_failed; /* the log function raised: not called again during the call */
} referrals_call;
/* Before the C call: the client at 1 open and not in use (a token or log function of a call
 * on it, or a progress function of a run, may not start another: "busy"), held, its hooks
 * pointed at k and its deadline set (0: the client's opts.deadline). Else an error in
 * ctx->err ("closed", "busy") and *out NULL. */
int referrals_call_begin(lua_State *L, referrals_ctx *ctx, double deadline, referrals_call *k,
                         referrals_client **out);
/* After the C call, before anything is pushed: the hooks unset, the client let go (a close()
 * from a callback takes effect now). */
void referrals_call_end(lua_State *L, referrals_call *k);
/* The call's results (referrals_ctx_finish); a log function's error is reported once, on
 * stderr (warn on 5.4), never in place of the results. */
int referrals_call_finish(lua_State *L, referrals_ctx *ctx, referrals_call *k, int rc);
/* The seconds of opts.deadline of the table at idx (raises on a wrong value), else the
 * client's (the client at 1). */
double referrals_call_deadline(lua_State *L, int idx);
/* bulk.c: client:create_many, get_many, list_many, update_many. */
int referrals_l_create_many(lua_State *L);
int referrals_l_get_many(lua_State *L);
int referrals_l_list_many(lua_State *L);
int referrals_l_update_many(lua_State *L);
/* log_event.c: pushes the table a log function gets for ev (opts.log, issue 4). */
void referrals_push_event(lua_State *L, const referrals_event *ev);
/* query.c: the list query table at idx -> q, strings copied into ctx->arena. Wrong types
 * raise as a bad argument arg (the context released first), or with arg 0 the bare message
 * (the context kept: the caller runs it under lua_pcall); a bad filter name is a validation
 * error. */
int referrals_lua_query(lua_State *L, referrals_ctx *ctx, int idx, int arg, referrals_query *q);
/* operations.c: a page as client:list gives it, { value =, next =, count = }. */
void referrals_push_page(lua_State *L, referrals_ctx *ctx, const referrals_page *p);
/* patch.c: the changes table at idx (a list of ops or paths -> values) -> the JSON Patch
 * document at the end of ctx->out (spec §1.5), every path and value checked against the
 * schema. */
int referrals_lua_patch(lua_State *L, referrals_ctx *ctx, int idx);

/* json_value.c: any Lua value <-> JSON text, for members the schema does not describe. */
int referrals_lua_to_json(lua_State *L, int idx, referrals_buffer *b, referrals_error *err,
                          const char *path);
/* Pushes the value of json[0..len); returns 0, or fills err (JSON error) and pushes nothing. */
int referrals_push_json(lua_State *L, const char *json, size_t len, referrals_error *err);
void referrals_json_open(lua_State *L, int module); /* referrals.array_mt */
struct referrals_json_string;
/* Pushes the value of a scanned string (unescaped in a userdata: a memory error leaks
 * nothing). */
void referrals_push_json_string(lua_State *L, const struct referrals_json_string *str);

/* webhook.c: referrals.core.webhook_verifier and its methods. */
void referrals_webhook_open(lua_State *L, int module);

#endif
