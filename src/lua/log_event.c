/*
 * log_event.c: the event table of opts.log (issue 4):
 *   { type = "request" | "response" | "retry", method = "POST", url = "https://...",
 *     path = "/v1.0/engagements/referrals", attempt = 1,
 *     index = 3,                                 -- create_many, get_many: the item's place
 *     status = 201, duration = 0.012,            -- response (status also on retry)
 *     delay = 0.8,                               -- retry
 *     headers = { Authorization = "Bearer [redacted]", ... },   -- request
 *     error = { category =, code =, message = } } -- response, retry: a failed attempt
 * The headers come from http.c with the token already replaced: no secret reaches Lua here.
 */
#include <string.h>

#include "binding.h"

static const char *const kinds[] = {"request", "response", "retry"};

/* The path and query of url: what follows scheme://host[:port]. */
static const char *path_of(const char *url) {
  const char *host = strstr(url, "://");
  const char *path = host ? strchr(host + 3, '/') : NULL;
  return path ? path : "/";
}

static void push_headers(lua_State *L, const referrals_event *ev) {
  lua_createtable(L, 0, (int)ev->nheaders);
  for (size_t i = 0; i < ev->nheaders; i++) {
    const char *line = ev->headers[i], *colon = strchr(line, ':');
    if (!colon) continue;
    const char *value = colon + 1;
    while (*value == ' ') value++;
    lua_pushlstring(L, line, (size_t)(colon - line));
    lua_pushstring(L, value);
    lua_rawset(L, -3);
  }
  lua_setfield(L, -2, "headers");
}

static void push_failure(lua_State *L, const referrals_error *err) {
  lua_createtable(L, 0, 3);
  lua_pushstring(L, referrals_category_name(err->category));
  lua_setfield(L, -2, "category");
  lua_pushstring(L, err->code);
  lua_setfield(L, -2, "code");
  lua_pushstring(L, err->message);
  lua_setfield(L, -2, "message");
  lua_setfield(L, -2, "error");
}

void referrals_push_event(lua_State *L, const referrals_event *ev) {
  lua_createtable(L, 0, 10);
  lua_pushstring(L, kinds[ev->kind]);
  lua_setfield(L, -2, "type");
  lua_pushstring(L, ev->method);
  lua_setfield(L, -2, "method");
  lua_pushstring(L, ev->url);
  lua_setfield(L, -2, "url");
  lua_pushstring(L, path_of(ev->url));
  lua_setfield(L, -2, "path");
  lua_pushinteger(L, ev->attempt);
  lua_setfield(L, -2, "attempt");
  if (ev->index >= 0) { /* a bulk run's item: its place in the list */
    lua_pushinteger(L, (lua_Integer)ev->index + 1);
    lua_setfield(L, -2, "index");
  }
  if (ev->kind != REFERRALS_EVENT_REQUEST && ev->status) {
    lua_pushinteger(L, (lua_Integer)ev->status);
    lua_setfield(L, -2, "status");
  }
  if (ev->kind == REFERRALS_EVENT_RESPONSE) {
    lua_pushnumber(L, ev->duration);
    lua_setfield(L, -2, "duration");
  }
  if (ev->kind == REFERRALS_EVENT_RETRY) {
    lua_pushnumber(L, ev->delay);
    lua_setfield(L, -2, "delay");
  }
  if (ev->kind == REFERRALS_EVENT_REQUEST) push_headers(L, ev);
  if (ev->error && ev->kind != REFERRALS_EVENT_REQUEST) push_failure(L, ev->error);
}
