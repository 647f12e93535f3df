/*
 * test_bulk_items.c: the items of a bulk run that cannot be sent (src/core/bulk.c): a LIST
 * item that is not a query as referrals_query_append writes it ("" or "?...", no space,
 * control byte or '#'), an UPDATE item without its two NULs or with a bad id. Each is its
 * item's validation error in the done call, and nothing is sent (the client's base URL
 * leads nowhere: a request would end as a transport error instead).
 */
#include <string.h>

#include "internal.h"
#include "tap.h"

#define MAX_ITEMS 8

typedef struct seen {
  int rc[MAX_ITEMS];
  char code[MAX_ITEMS][sizeof((referrals_error *)0)->code];
  int calls;
} seen;

static int done(void *ud, size_t index, int rc, const void *result, const referrals_error *err) {
  seen *s = ud;
  (void)result;
  s->calls++;
  s->rc[index] = rc;
  if (err) snprintf(s->code[index], sizeof s->code[index], "%s", err->code);
  return 0;
}

static void run(referrals_client *c, referrals_bulk_op op, const referrals_bulk_item *items,
                size_t n, seen *s) {
  referrals_bulk_options o;
  referrals_error err;
  referrals_bulk_options_init(&o);
  referrals_error_clear(&err);
  memset(s, 0, sizeof *s);
  o.done = done;
  o.ud = s;
  CHECK(referrals_bulk_run(c, op, items, n, &o, &err) == REFERRALS_OK, "the run ends");
}

static void test_list_items(referrals_client *c) {
  static const char *const bad[] = {"$filter=x", "?a b", "?a#b",
                                    "?a\x01"
                                    "b",
                                    "?a\x7f"};
  referrals_bulk_item items[5];
  seen s;
  for (size_t i = 0; i < 5; i++) items[i] = (referrals_bulk_item){bad[i], strlen(bad[i])};
  run(c, REFERRALS_BULK_LIST, items, 5, &s);
  CHECK(s.calls == 5, "every LIST item has its done call");
  for (size_t i = 0; i < 5; i++) {
    CHECK(s.rc[i] == REFERRALS_E_VALIDATION, "a query that cannot be sent is a validation error");
    CHECK_STR(s.code[i], "query", "with code query");
  }
}

static void test_update_items(referrals_client *c) {
  referrals_bulk_item items[3] = {{"no-nuls", 7}, {"id\0one-nul", 10}, {"bad/id\0\0[]", 11}};
  seen s;
  run(c, REFERRALS_BULK_UPDATE, items, 3, &s);
  CHECK(s.calls == 3, "every UPDATE item has its done call");
  CHECK(s.rc[0] == REFERRALS_E_VALIDATION && s.rc[1] == REFERRALS_E_VALIDATION,
        "an update item without its two NULs is a validation error");
  CHECK_STR(s.code[0], "item", "with code item");
  CHECK_STR(s.code[1], "item", "with code item, one NUL short");
  CHECK(s.rc[2] == REFERRALS_E_VALIDATION, "an update of a bad id is a validation error");
  CHECK_STR(s.code[2], "id", "with code id");
}

int main(void) {
  referrals_client_options o;
  referrals_error err;
  referrals_client_options_init(&o);
  o.base_url = "http://127.0.0.1:9";
  referrals_error_clear(&err);
  referrals_client *c = referrals_client_new(&o, &err);
  CHECK(c != NULL, "a client");
  if (c) {
    test_list_items(c);
    test_update_items(c);
  }
  referrals_client_free(c);
  return tap_done();
}
