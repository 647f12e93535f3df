/*
 * lua_oom.c (built as test_lua_oom, Lua 5.4 only): memory errors in the middle of a
 * client's operation must leave the client usable. The token and log hooks run inside the
 * C core; if building { force = true } for the token function after a 401 (spec §4) raised,
 * the error would unwind through the core's frames and the client would stay held, every
 * later call failing "busy".
 *
 * A Lua state whose allocator fails the n-th allocation after a point runs client:create
 * against a loopback responder that answers every request 401 (so each call asks the token
 * function again with force = true), for n = 0, 1, 2...: whatever that call returns or
 * raises, the next call, with memory back, must reach the server again.
 *
 * The same against a responder that answers 201 with a referral: the result table is built
 * from the answer's text while the client is held (issue 16), so a memory error there must
 * be raised after the client is let go, and leave nothing behind (valgrind, ASan).
 */
#include <arpa/inet.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tap.h"

int luaopen_referrals_core(lua_State *L);

/* ---- an allocator that fails on cue ----------------------------------------------------- */

static long allocations_left = -1; /* -1: no limit */

static void *limited_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  (void)ud;
  if (nsize == 0) {
    free(ptr);
    return NULL;
  }
  /* Lua takes a shrink to succeed (manual §4.8); only growth may fail. */
  if (ptr == NULL || nsize > osize) {
    if (allocations_left == 0) return NULL;
    if (allocations_left > 0) allocations_left--;
  }
  return realloc(ptr, nsize);
}

/* ---- a server that answers 401 to everything -------------------------------------------- */

/* Connection: close, as the socket is closed after it: a kept-alive connection closed
 * under a POST would make that call NO_ANSWER (in doubt), a race, not a memory failure. */
static const char answer_401[] = "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\n"
                                 "Content-Length: 2\r\nConnection: close\r\n\r\n{}";

/* A referral with every kind of value the reading builds: nested objects, arrays of objects
 * and strings, an escaped string, a JSON-kind member, an unknown member. */
#define REFERRAL_BODY                                                                        \
  "{\"id\":\"r1\",\"name\":\"caf\\u00e9\",\"type\":\"Independent\",\"target\":[{\"type\":\"None\"," \
  "\"id\":\"t\"}],\"customerProfile\":{\"name\":\"C\",\"team\":[{\"firstName\":\"a\","            \
  "\"contactPreference\":{\"locale\":\"en\"}}],\"ids\":[]},\"details\":{\"notes\":\"x\","            \
  "\"dealValue\":5,\"incentiveLevel\":{\"a\":[1,{}]}},\"tags\":[\"x\",\"y\"],"                       \
  "\"unknownMember\":{\"k\":[true,null]}}"
static const char answer_201[] = "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
                                 "Content-Length: %zu\r\nConnection: close\r\n\r\n%s";

typedef struct server {
  int listener;
  char answer[1024];
  volatile long served; /* answers sent */
} server;

static void *serve(void *arg) {
  server *sv = arg;
  int listener = sv->listener;
  for (;;) {
    int conn = accept(listener, NULL, NULL);
    if (conn < 0) return NULL;
    char buf[8192];
    size_t got = 0;
    /* one request per connection: read up to the end of the headers and the body */
    for (;;) {
      ssize_t n = recv(conn, buf + got, sizeof buf - 1 - got, 0);
      if (n <= 0) break;
      got += (size_t)n;
      buf[got] = '\0';
      char *end = strstr(buf, "\r\n\r\n");
      if (!end) continue;
      char *cl = strstr(buf, "Content-Length: ");
      size_t body = cl ? (size_t)atol(cl + 16) : 0;
      if (got >= (size_t)(end + 4 - buf) + body) break;
    }
    if (send(conn, sv->answer, strlen(sv->answer), 0) < 0) break;
    __atomic_add_fetch(&sv->served, 1, __ATOMIC_SEQ_CST);
    close(conn);
  }
  return NULL;
}

static int start_server(server *sv, int *port) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) != 0 || listen(s, 16) != 0 ||
      getsockname(s, (struct sockaddr *)&a, &len) != 0)
    return -1;
  *port = ntohs(a.sin_port);
  sv->listener = s;
  pthread_t t;
  if (pthread_create(&t, NULL, serve, sv) != 0) return -1;
  pthread_detach(t);
  return 0;
}

/* ---- the test --------------------------------------------------------------------------- */

static const char setup[] =
    "local core, port, port_201 = require 'referrals.core', ...\n"
    "local forced = 0\n"
    "client = core.new { base_url = 'http://127.0.0.1:' .. port, timeout = 5, retries = 0,\n"
    "  token = function(o) if o and o.force then forced = forced + 1 end return 'tok' end,\n"
    "  log = function(event) end }\n"
    "request = { name = 'oom', type = 'Independent', customerProfile = { name = 'C' },\n"
    "  consent = {}, details = { notes = 'x' } }\n"
    "function forced_count() return forced end\n"
    "reading = core.new { base_url = 'http://127.0.0.1:' .. port_201, timeout = 5,\n"
    "  retries = 0, token = 'tok' }\n"
    "function many()\n"
    "  local results, err = client:create_many { request }\n"
    "  if not results then return err.code end\n"
    "  return results[1].code or '(ok)'\n"
    "end\n"
    "function many_streamed()\n"
    "  local given, code = false, '(none)'\n"
    "  local summary, err = client:create_many(function()\n"
    "    if given then return nil end\n"
    "    given = true\n"
    "    return request\n"
    "  end, { on_result = function(i, ref, e) code = e and e.code or '(ok)' end })\n"
    "  if not summary then return err.code end\n"
    "  return code\n"
    "end\n";

/* many() or many_streamed() (the item from an iterator, its result to on_result) in a
 * protected call: the code of its one item's err, or "(raised)". */
static const char *many_once(lua_State *L, const char *fn, char *code, size_t size) {
  lua_getglobal(L, fn);
  if (lua_pcall(L, 0, 1, 0) != LUA_OK) {
    lua_pop(L, 1);
    return "(raised)";
  }
  snprintf(code, size, "%s", lua_isstring(L, -1) ? lua_tostring(L, -1) : "?");
  lua_pop(L, 1);
  return code;
}

/* client:create(request) in a protected call; returns err.code of a clean `nil, err`, or
 * "(raised)" / "(ok)". */
static const char *create_on(lua_State *L, const char *client, char *code, size_t size) {
  lua_getglobal(L, client);
  lua_getfield(L, -1, "create");
  lua_insert(L, -2);
  lua_getglobal(L, "request");
  int st = lua_pcall(L, 2, 2, 0);
  const char *out = "(raised)";
  if (st == LUA_OK) {
    out = "(ok)";
    if (lua_isnil(L, -2) && lua_istable(L, -1)) {
      lua_getfield(L, -1, "code");
      snprintf(code, size, "%s", lua_isstring(L, -1) ? lua_tostring(L, -1) : "?");
      lua_pop(L, 1);
      out = code;
    }
    lua_pop(L, 2);
  } else {
    lua_pop(L, 1);
  }
  return out;
}

static const char *create_once(lua_State *L, char *code, size_t size) {
  return create_on(L, "client", code, size);
}

int main(void) {
  static server sv401, sv201;
  snprintf(sv401.answer, sizeof sv401.answer, "%s", answer_401);
  snprintf(sv201.answer, sizeof sv201.answer, answer_201, sizeof REFERRAL_BODY - 1, REFERRAL_BODY);
  int port, port_201;
  if (start_server(&sv401, &port) != 0 || start_server(&sv201, &port_201) != 0) {
    CHECK(0, "a loopback listener");
    return tap_done();
  }
  lua_State *L = lua_newstate(limited_alloc, NULL);
  luaL_openlibs(L);
  luaL_requiref(L, "referrals.core", luaopen_referrals_core, 0);
  lua_pop(L, 1);
  int loaded = luaL_loadstring(L, setup) == LUA_OK;
  lua_pushinteger(L, port);
  lua_pushinteger(L, port_201);
  CHECK(loaded && lua_pcall(L, 2, 0, 0) == LUA_OK, "the client and the request are set up");

  char code[64];
  CHECK_STR(create_once(L, code, sizeof code), "HTTP_401",
            "a create with memory: the 401 comes back");

  /* n grows until a limited call has all the memory it needs and runs to its end. */
  int busy = 0, ran = 0, hit_force = 0, whole = 0;
  for (long n = 0; n < 20000 && !whole; n++) {
    lua_getglobal(L, "forced_count");
    lua_call(L, 0, 1);
    lua_Integer forced_before = lua_tointeger(L, -1);
    lua_pop(L, 1);
    allocations_left = n;
    whole = strcmp(create_once(L, code, sizeof code), "HTTP_401") == 0 && allocations_left > 0;
    allocations_left = -1;
    lua_gc(L, LUA_GCCOLLECT, 0);
    const char *after = create_once(L, code, sizeof code);
    ran++;
    if (strcmp(after, "busy") == 0) busy++;
    lua_getglobal(L, "forced_count");
    lua_call(L, 0, 1);
    /* the limited call got as far as the forced token call: past the point of the bug */
    if (lua_tointeger(L, -1) - forced_before >= 2) hit_force = 1;
    lua_pop(L, 1);
    if (strcmp(after, "HTTP_401") != 0 && strcmp(after, "busy") != 0) {
      printf("# after a failure at allocation %ld: %s\n", n, after);
      busy++;
    }
  }
  printf("# %d limited calls\n", ran);
  CHECK(hit_force, "some limited calls got as far as the token function's forced call");
  CHECK(busy == 0, "after every memory failure the next call reaches the server again");
  if (busy) printf("#   %d of %d calls after a failure did not\n", busy, ran);

  /* The same for create_many, which holds the client for its run, from a table and from an
   * iterator (whose item is converted while the client is held). */
  static const char *const runs[] = {"many", "many_streamed"};
  for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++) {
    busy = 0;
    whole = 0;
    long tried = 0;
    for (long n = 0; n < 20000 && !whole; n++, tried++) {
      allocations_left = n;
      whole =
          strcmp(many_once(L, runs[r], code, sizeof code), "HTTP_401") == 0 && allocations_left > 0;
      allocations_left = -1;
      lua_gc(L, LUA_GCCOLLECT, 0);
      if (strcmp(create_once(L, code, sizeof code), "HTTP_401") != 0) busy++;
    }
    printf("# %ld limited %s calls\n", tried, runs[r]);
    CHECK(busy == 0, "after a memory failure in create_many the next call reaches the server");
  }

  /* A 201 read into tables while the client is held: a failure while reading raises, and
   * the next call reads the whole referral. */
  CHECK_STR(create_on(L, "reading", code, sizeof code), "(ok)", "a create that reads a referral");
  busy = 0;
  whole = 0;
  int raised_reading = 0;
  long tried = 0;
  for (long n = 0; n < 20000 && !whole; n++, tried++) {
    long served = __atomic_load_n(&sv201.served, __ATOMIC_SEQ_CST);
    allocations_left = n;
    const char *got = create_on(L, "reading", code, sizeof code);
    whole = strcmp(got, "(ok)") == 0 && allocations_left > 0;
    allocations_left = -1;
    if (strcmp(got, "(raised)") == 0 && __atomic_load_n(&sv201.served, __ATOMIC_SEQ_CST) > served)
      raised_reading++;
    lua_gc(L, LUA_GCCOLLECT, 0);
    if (strcmp(create_on(L, "reading", code, sizeof code), "(ok)") != 0) busy++;
  }
  printf("# %ld limited reading creates, %d raised after the answer came\n", tried,
         raised_reading);
  CHECK(raised_reading > 0, "some memory failures hit the reading of the answer");
  CHECK(busy == 0, "after a memory failure while reading the next create reads the referral");
  lua_close(L);
  return tap_done();
}
