/*
 * bulk.c: many creates, gets, list pages or updates at once through the curl multi interface
 * (issues 5 and 16: client:sync looks its keys up and writes its updates this way).
 *
 * The client keeps the state of its runs (struct referrals_bulk): the multi handle, whose
 * connection cache outlives a run, and a pool of slots, each a transport handle of its own
 * (referrals_http_dup: same options and token, its own headers and buffers) with an arena
 * for the answer it decodes. A slot carries one item at a time through its attempts; when the
 * retry policy says "again in d seconds" the slot waits off the multi until then, so one
 * throttled item never holds back the others.
 *
 * A run takes its items from an array (referrals_bulk_run) or pulls them one at a time from
 * the caller as slots free up (referrals_bulk_stream); a pulled item's bytes are copied into
 * its slot, so a stream of any length needs the memory of `concurrency` items.
 *
 * Nothing here calls back into the caller from inside libcurl: completions are read with
 * curl_multi_info_read between curl_multi_perform rounds, and only then is the done callback
 * called. So a Lua binding may run Lua code there (under lua_pcall).
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MAX_CONCURRENCY 256
#define MAX_POLL_MS 1000

enum { SLOT_IDLE, SLOT_RUNNING, SLOT_WAITING };

typedef struct slot {
  referrals_http *http;
  referrals_arena *arena; /* the decoded answer, until the done call returns */
  referrals_buffer url;   /* GET, LIST, UPDATE: the item's URL */
  referrals_buffer copy;  /* a pulled item's bytes (referrals_bulk_stream) */
  const char *data;       /* the item's bytes: the caller's array, or copy */
  size_t len;
  referrals_exchange x; /* the item's way through the pipeline (pipeline.c) */
  int last_rc;          /* SLOT_WAITING: the outcome of the attempt before the wait */
  referrals_error last;
  int state;
  size_t item;
  double wake; /* SLOT_WAITING: the monotonic time of the next attempt */
} slot;

struct referrals_bulk {
  CURLM *multi;
  slot *slots;
  unsigned nslots;
};

/* A run: what its loop needs at hand. */
typedef struct run {
  referrals_client *c;
  referrals_pipeline *p; /* the client's: its hooks, token cache and retry policy */
  referrals_bulk *b;
  referrals_bulk_op op;
  const referrals_bulk_item *items; /* NULL: pulled from o->next */
  size_t n, next;                   /* items[0..n); the index of the next item */
  int ended;                        /* no item is left to start */
  unsigned used;                    /* slots taking part */
  const referrals_bulk_options *o;
  double deadline; /* each item's, seconds from its first attempt; 0: none */
} run;

void referrals_bulk_options_init(referrals_bulk_options *o) {
  memset(o, 0, sizeof *o);
  o->concurrency = 8;
  o->http_version = REFERRALS_HTTP_1_1;
}

/* Takes a running slot off the multi: its transfer is over or abandoned. */
static void detach(referrals_bulk *b, slot *s) {
  if (s->state == SLOT_RUNNING) curl_multi_remove_handle(b->multi, referrals_http_easy(s->http));
  s->state = SLOT_IDLE;
}

void referrals_bulk_free(referrals_bulk *b) {
  if (!b) return;
  for (unsigned i = 0; i < b->nslots; i++) {
    detach(b, &b->slots[i]);
    referrals_http_free(b->slots[i].http);
    referrals_arena_free(b->slots[i].arena);
    referrals_buffer_free(&b->slots[i].url);
    referrals_buffer_free(&b->slots[i].copy);
  }
  free(b->slots);
  if (b->multi) curl_multi_cleanup(b->multi);
  free(b);
}

/* The client's bulk state with at least want slots. Slots already made are kept (with their
 * connections); a run stopped by a longjmp out of its done callback left some attached: they
 * are taken off first. */
static referrals_bulk *bulk_ready(referrals_client *c, unsigned want, referrals_error *err) {
  referrals_bulk **owner = referrals_client_bulk(c);
  if (!*owner) {
    referrals_bulk *b = calloc(1, sizeof *b);
    if (!b || !(b->multi = curl_multi_init())) {
      free(b);
      referrals_error_out_of_memory(err);
      return NULL;
    }
    *owner = b;
  }
  referrals_bulk *b = *owner;
  for (unsigned i = 0; i < b->nslots; i++) detach(b, &b->slots[i]);
  if (want <= b->nslots) return b;
  slot *grown = realloc(b->slots, want * sizeof *grown);
  if (!grown) {
    referrals_error_out_of_memory(err);
    return NULL;
  }
  b->slots = grown;
  for (; b->nslots < want; b->nslots++) {
    slot *s = &b->slots[b->nslots];
    memset(s, 0, sizeof *s);
    referrals_buffer_init(&s->url);
    referrals_buffer_init(&s->copy);
    s->arena = referrals_arena_new();
    s->http = referrals_http_dup(referrals_client_http(c), err);
    if (!s->arena || !s->http) {
      referrals_arena_free(s->arena);
      referrals_http_free(s->http);
      if (s->arena) return NULL; /* referrals_http_dup filled err */
      referrals_error_out_of_memory(err);
      return NULL;
    }
  }
  return b;
}

/* HTTP/2 wants every transfer on the one connection (PIPEWAIT: wait for it rather than open
 * another); HTTP/1.1 one connection per transfer. libcurl caps a connection at 100 streams
 * of its own (CURLMOPT_MAX_CONCURRENT_STREAMS) and opens one more connection per transfer
 * beyond: the cap is lifted to the largest concurrency, so only the server's own limit
 * (SETTINGS_MAX_CONCURRENT_STREAMS) spreads a run over more connections. */
static int set_version(run *r) {
  int h2 = r->o->http_version == REFERRALS_HTTP_2;
  CURLMcode mc = curl_multi_setopt(r->b->multi, CURLMOPT_PIPELINING,
                                   h2 ? (long)CURLPIPE_MULTIPLEX : (long)CURLPIPE_NOTHING);
  if (mc == CURLM_OK)
    mc = curl_multi_setopt(r->b->multi, CURLMOPT_MAX_CONCURRENT_STREAMS, (long)MAX_CONCURRENCY);
  for (unsigned i = 0; mc == CURLM_OK && i < r->used; i++) {
    CURL *e = referrals_http_easy(r->b->slots[i].http);
    if (curl_easy_setopt(e, CURLOPT_HTTP_VERSION,
                         h2 ? (long)CURL_HTTP_VERSION_2TLS : (long)CURL_HTTP_VERSION_1_1) !=
            CURLE_OK ||
        curl_easy_setopt(e, CURLOPT_PIPEWAIT, h2 ? 1L : 0L) != CURLE_OK)
      return 0;
  }
  return mc == CURLM_OK;
}

/* The final result of the slot's item: the done call, then the slot is free again. */
static int deliver(run *r, slot *s, int rc, const void *obj, referrals_error *err) {
  s->state = SLOT_IDLE;
  return r->o->done ? r->o->done(r->o->ud, s->item, rc, obj, rc == REFERRALS_OK ? NULL : err) : 0;
}

/* An UPDATE item's parts (see referrals_bulk_op); 0 when its two NULs are missing. */
typedef struct update_parts {
  const char *id, *etag, *patch;
  size_t id_len, etag_len, patch_len;
} update_parts;

static int split_update(const char *data, size_t len, update_parts *u) {
  const char *a = memchr(data, '\0', len);
  const char *b = a ? memchr(a + 1, '\0', len - (size_t)(a + 1 - data)) : NULL;
  if (!b) return 0;
  *u = (update_parts){
      data, a + 1, b + 1, (size_t)(a - data), (size_t)(b - a - 1), len - (size_t)(b + 1 - data)};
  return 1;
}

/* The item's final outcome rc, err: an answer is read (referrals_client_answer); a create
 * left in doubt is looked up (referrals_client_resolve); then the done call. */
static int conclude(run *r, slot *s, int rc, referrals_error *err) {
  int create = r->op == REFERRALS_BULK_CREATE, update = r->op == REFERRALS_BULK_UPDATE;
  const referrals_type *t =
      r->op == REFERRALS_BULK_LIST ? &referrals_type_page : &referrals_type_referral;
  void *obj = NULL;
  referrals_arena_reset(s->arena);
  if (rc == REFERRALS_OK)
    rc = referrals_client_answer(&s->x.rq, s->http, t, create || update, s->arena, &obj, err);
  update_parts u;
  if (rc == REFERRALS_OK && update && split_update(s->data, s->len, &u)) {
    referrals_referral *now = obj;
    r->p->index = (long)s->item;
    rc = referrals_client_reread(r->c, s->http, u.id, u.id_len, s->arena, &now, err);
    r->p->index = -1;
    obj = now;
  }
  if (rc != REFERRALS_OK && err->in_doubt && create) {
    referrals_referral *found = NULL;
    r->p->index = (long)s->item;
    rc = referrals_client_resolve(r->c, s->data, s->len, s->x.deadline, s->x.start, s->arena,
                                  &found, err);
    r->p->index = -1;
    obj = found;
  }
  return deliver(r, s, rc, obj, err);
}

/* Sends the slot's item (again), through the pipeline's stages before the transport (token,
 * deadline) and its request event. A request refused before sending (a bad id) is final. */
static int attempt(run *r, slot *s) {
  referrals_error err;
  referrals_error_clear(&err);
  int rc = referrals_pipeline_before(r->p, r->c, &s->x, &err);
  /* the deadline passed during the wait: the last answer stands (the slot still holds it) */
  if (rc != REFERRALS_OK && s->x.expired && s->x.attempt > 1)
    return conclude(r, s, s->last_rc, &s->last);
  if (rc != REFERRALS_OK) return deliver(r, s, rc, NULL, &err);
  /* The token may have changed since the slot was made (the token stage's refresh). */
  rc = referrals_http_share_token(s->http, referrals_client_http(r->c), &err);
  if (rc == REFERRALS_OK) rc = referrals_http_start(s->http, &s->x.rq, &err);
  CURL *e = referrals_http_easy(s->http);
  if (rc == REFERRALS_OK) {
    referrals_pipeline_sent(r->p, &s->x, s->http);
    curl_easy_setopt(e, CURLOPT_PRIVATE, (void *)s);
    if (curl_multi_add_handle(r->b->multi, e) != CURLM_OK) rc = referrals_error_out_of_memory(&err);
  }
  if (rc != REFERRALS_OK) {
    err.attempts = s->x.attempt - 1; /* this one was not sent */
    return deliver(r, s, rc, NULL, &err);
  }
  s->state = SLOT_RUNNING;
  return 0;
}

/* The next item to send, into *it and *i: from the array, or asked of o->next. Returns 0
 * when there is none (r->ended), else 1; *stop: next's nonzero value. */
static int take_next(run *r, size_t *i, referrals_bulk_item *it, int *stop) {
  while (!r->ended) {
    int end = r->items && r->next == r->n;
    *it = (referrals_bulk_item){NULL, 0};
    if (r->items && !end)
      *it = r->items[r->next];
    else if (!r->items && (*stop = r->o->next(r->o->ud, r->next, it, &end)))
      return 0;
    if (end) {
      r->ended = 1;
      break;
    }
    *i = r->next++;
    if (it->data) return 1;
  }
  return 0;
}

/* The request of the slot's item into rq (its URL in s->url); a validation error when it
 * cannot be sent. */
static int request_of(run *r, slot *s, referrals_request *rq, referrals_error *err) {
  update_parts u;
  switch (r->op) {
    case REFERRALS_BULK_CREATE:
      *rq = (referrals_request){.method = REFERRALS_POST,
                                .url = referrals_client_collection(r->c),
                                .body = s->data,
                                .body_len = s->len};
      return REFERRALS_OK;
    case REFERRALS_BULK_LIST:
      *rq = (referrals_request){.method = REFERRALS_GET};
      return referrals_client_list_url(r->c, &s->url, s->data, s->len, err);
    case REFERRALS_BULK_UPDATE:
      if (!split_update(s->data, s->len, &u))
        return referrals_error_set(err, REFERRALS_E_VALIDATION, "item", NULL,
                                   "an update item is its id, a NUL, the If-Match value, a NUL "
                                   "and the JSON Patch");
      *rq = (referrals_request){.method = REFERRALS_PATCH,
                                .body = u.patch,
                                .body_len = u.patch_len,
                                .if_match = u.etag_len ? u.etag : NULL,
                                .if_match_len = u.etag_len,
                                .prefer_representation = 1};
      return referrals_client_item_url(r->c, &s->url, u.id, u.id_len, err);
    default:
      *rq = (referrals_request){.method = REFERRALS_GET};
      return referrals_client_item_url(r->c, &s->url, s->data, s->len, err);
  }
}

/* Gives the slot item i: its request, its exchange (the deadline counts from now). A
 * pulled item's bytes are the caller's only during next: the slot keeps a copy. */
static int start_item(run *r, slot *s, size_t i, const referrals_bulk_item *it) {
  referrals_request rq;
  referrals_error err;
  referrals_error_clear(&err);
  s->item = i;
  s->data = it->data;
  s->len = it->len;
  if (!r->items) {
    s->copy.len = 0;
    s->copy.failed = 0;
    referrals_buffer_append(&s->copy, it->data, it->len);
    if (s->copy.failed) return deliver(r, s, referrals_error_out_of_memory(&err), NULL, &err);
    s->data = s->copy.data;
  }
  if (request_of(r, s, &rq, &err) != REFERRALS_OK)
    return deliver(r, s, (int)err.category, NULL, &err);
  if (r->op != REFERRALS_BULK_CREATE) rq.url = s->url.data; /* once the URL is written */
  referrals_exchange_init(&s->x, &rq, (long)i, r->deadline);
  return attempt(r, s);
}

/* The slot's transfer ended with result: the pipeline's stages after the transport decide
 * whether it is tried again (the slot waits off the multi), else it is concluded. */
static int finished(run *r, slot *s, CURLcode result) {
  detach(r->b, s);
  referrals_error err;
  referrals_error_clear(&err);
  int rc = referrals_http_finish(s->http, result, &err);
  double delay = referrals_pipeline_after(r->p, &s->x, s->http, rc, &err);
  if (delay < 0) return conclude(r, s, rc, &err);
  s->last_rc = rc;
  s->last = err;
  s->state = SLOT_WAITING;
  s->wake = referrals_monotonic() + delay;
  return 0;
}

/* Gives idle slots new items and wakes waiting ones whose time has come. Returns the
 * milliseconds until the next wake (MAX_POLL_MS when none), or via *stop the done callback's
 * nonzero value. */
static long schedule(run *r, int *stop) {
  double t = referrals_monotonic(), next_wake = t + MAX_POLL_MS / 1000.0;
  for (unsigned i = 0; i < r->used && !*stop; i++) {
    slot *s = &r->b->slots[i];
    if (s->state == SLOT_WAITING && s->wake <= t) *stop = attempt(r, s);
    /* An item that ends at once (a bad id, a token failure) frees the slot again: it takes
     * the next one, so no item is left behind when a whole pass fails locally. */
    size_t item;
    referrals_bulk_item it;
    while (s->state == SLOT_IDLE && !*stop && take_next(r, &item, &it, stop))
      *stop = start_item(r, s, item, &it);
    if (s->state == SLOT_WAITING && s->wake < next_wake) next_wake = s->wake;
  }
  double ms = (next_wake - t) * 1000.0;
  return ms < 0 ? 0 : (long)ms;
}

static int busy(const run *r) {
  for (unsigned i = 0; i < r->used; i++)
    if (r->b->slots[i].state != SLOT_IDLE) return 1;
  return 0;
}

/* Reads the transfers libcurl has finished; *reaped: whether there were any. */
static int reap(run *r, int *reaped) {
  CURLMsg *m;
  int left, stop = 0;
  *reaped = 0;
  while (!stop && (m = curl_multi_info_read(r->b->multi, &left))) {
    if (m->msg != CURLMSG_DONE) continue;
    char *s = NULL;
    curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &s);
    *reaped = 1;
    stop = finished(r, (slot *)(void *)s, m->data.result);
  }
  return stop;
}

static unsigned slots_wanted(const referrals_bulk_item *items, size_t n, unsigned concurrency) {
  size_t sent = 0;
  for (size_t i = 0; i < n && sent < concurrency; i++) sent += items[i].data != NULL;
  return (unsigned)sent;
}

/* A run over items[0..n), or over what o->next gives when items is NULL. */
static int drive(referrals_client *c, referrals_bulk_op op, const referrals_bulk_item *items,
                 size_t n, const referrals_bulk_options *o, referrals_error *err) {
  if (o->concurrency < 1 || o->concurrency > MAX_CONCURRENCY)
    return referrals_error_set(err, REFERRALS_E_VALIDATION, "concurrency", "concurrency",
                               "concurrency: 1 to %d expected", MAX_CONCURRENCY);
  referrals_pipeline *p = referrals_client_pipeline(c);
  run r = {.c = c,
           .p = p,
           .op = op,
           .items = items,
           .n = n,
           .used = items ? slots_wanted(items, n, o->concurrency) : o->concurrency,
           .o = o,
           .deadline = o->deadline > 0 ? o->deadline : p->deadline};
  p->deadline = 0; /* used up, as by a sequential operation */
  if (r.used == 0) return REFERRALS_OK;
  if (!(r.b = bulk_ready(c, r.used, err))) return (int)err->category;
  if (!set_version(&r))
    return referrals_error_set(err, REFERRALS_E_VALIDATION, "http_version", "http_version",
                               "http_version: this libcurl has no HTTP/2");
  referrals_retry_policy policy = p->policy; /* the run's own, when its options give one */
  if (o->retry) p->policy = *o->retry;
  int stop = 0, reaped, running;
  for (;;) {
    long wait_ms = schedule(&r, &stop);
    if (stop || (!busy(&r) && r.ended)) break;
    if (curl_multi_perform(r.b->multi, &running) != CURLM_OK) {
      stop = referrals_error_out_of_memory(err);
      break;
    }
    if ((stop = reap(&r, &reaped))) break;
    /* Slots just freed take new items before anything waits. curl_multi_poll also sleeps
     * when only retries are waiting (no socket to watch), and wakes at libcurl's timeouts. */
    if (!reaped && wait_ms > 0) curl_multi_poll(r.b->multi, NULL, 0, (int)wait_ms, NULL);
  }
  for (unsigned i = 0; i < r.used; i++) detach(r.b, &r.b->slots[i]);
  p->policy = policy;
  return stop;
}

int referrals_bulk_run(referrals_client *c, referrals_bulk_op op, const referrals_bulk_item *items,
                       size_t n, const referrals_bulk_options *o, referrals_error *err) {
  static const referrals_bulk_item none;
  return drive(c, op, items ? items : &none, items ? n : 0, o, err);
}

int referrals_bulk_stream(referrals_client *c, referrals_bulk_op op,
                          const referrals_bulk_options *o, referrals_error *err) {
  if (!o->next)
    return referrals_error_set(err, REFERRALS_E_VALIDATION, "next", "next",
                               "next: a function giving the items expected");
  return drive(c, op, NULL, 0, o, err);
}
