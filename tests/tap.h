/*
 * tap.h: the C tests' whole harness. Each check prints one TAP line ("ok N - what" or
 * "not ok N - what"); `make test` counts them with the busted results. tap_done() prints
 * the plan and returns the exit status.
 */
#ifndef REFERRALS_TAP_H
#define REFERRALS_TAP_H
#include <stdio.h>
#include <string.h>

static int tap_count, tap_failed;

static void tap_check(int ok, const char *what, const char *file, int line) {
  tap_count++;
  if (!ok) tap_failed++;
  printf("%sok %d - %s\n", ok ? "" : "not ", tap_count, what);
  if (!ok) printf("# failed at %s:%d\n", file, line);
}
#define CHECK(cond, what) tap_check((cond) ? 1 : 0, (what), __FILE__, __LINE__)
#define CHECK_STR(got, want, what)                                   \
  tap_check(strcmp((got), (want)) == 0, (what), __FILE__, __LINE__); \
  if (strcmp((got), (want)) != 0) printf("#   got  \"%s\"\n#   want \"%s\"\n", (got), (want))

static int tap_done(void) {
  printf("1..%d\n", tap_count);
  return tap_failed ? 1 : 0;
}
#endif
