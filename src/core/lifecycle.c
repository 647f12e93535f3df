/*
 * lifecycle.c: the lifecycle of a referral (spec §3.1). Which status may follow which, and which
 * substatus goes with which status, is one table below; the reasons given for a refusal are
 * built from the same rows by the preprocessor, so they are static strings that cannot drift
 * from the rule they explain.
 */
#include <string.h>

#include "referrals.h"

/* spec §3.1, one row per status: STATUS_RULE(x, status, may move to, substatuses allowed).
 * The lists are prose and data at once: a name is allowed when it appears in its list as a
 * word. x is passed through for the generators below.
 *
 * None is the status of a referral that has none yet (spec §2.2 lists it; §3.1 does not), so
 * as a from-status it may move to any status, and it pairs only with the substatus None. */
#define STATUS_TABLE(STATUS_RULE, x)                                  \
  STATUS_RULE(x, None, "None, New, Active or Closed", "None")         \
  STATUS_RULE(x, New, "New, Active or Closed", "Pending or Received") \
  STATUS_RULE(x, Active, "Active or Closed", "Accepted")              \
  STATUS_RULE(x, Closed, "Closed only: Closed is terminal", "Won, Lost, Declined or Expired")

typedef struct status_rule {
  const char *moves_to;
  const char *substatuses;
} status_rule;

#define RULE_(x, status, moves_to, substatuses) \
  [REFERRALS_status_##status] = {moves_to, substatuses},
static const status_rule rules[REFERRALS_status_count_] = {STATUS_TABLE(RULE_, _)};

/* reasons_pair[substatus][status]: why that substatus does not go with that status. */
#define PAIR_REASON_(substatus, status, moves_to, substatuses) \
  [REFERRALS_status_##status] =                                \
      "status " #status " does not allow substatus " #substatus "; it allows " substatuses "",
#define PAIR_ROW_(e, substatus) \
  [REFERRALS_substatus_##substatus] = {STATUS_TABLE(PAIR_REASON_, substatus)},
static const char *const reasons_pair[REFERRALS_substatus_count_][REFERRALS_status_count_] = {
    REFERRALS_ENUM_substatus(PAIR_ROW_, _)};

/* reasons_move[to][from]: why a referral in status from cannot move to status to. */
#define MOVE_REASON_(to, from, moves_to, substatuses) \
  [REFERRALS_status_##from] =                         \
      "status " #from " cannot move to " #to "; it may move to " moves_to "",
#define MOVE_ROW_(e, to) [REFERRALS_status_##to] = {STATUS_TABLE(MOVE_REASON_, to)},
static const char *const reasons_move[REFERRALS_status_count_][REFERRALS_status_count_] = {
    REFERRALS_ENUM_status(MOVE_ROW_, _)};

#define LISTED_(e, value) " " #value
static const char unknown_status[] =
    "not a known status; the statuses are" REFERRALS_ENUM_status(LISTED_, _) "";
static const char unknown_from_status[] =
    "the current status is not a known status; the statuses are" REFERRALS_ENUM_status(LISTED_,
                                                                                       _) "";
static const char unknown_substatus[] =
    "not a known substatus; the substatuses are" REFERRALS_ENUM_substatus(LISTED_, _) "";

/* Whether name appears as a whole word in the prose list. */
static int listed(const char *list, const char *name) {
  size_t n = strlen(name);
  for (const char *p = strstr(list, name); p; p = strstr(p + 1, name)) {
    int starts = p == list || p[-1] == ' ';
    int ends = p[n] == '\0' || p[n] == ',' || p[n] == ' ';
    if (starts && ends) return 1;
  }
  return 0;
}

static int code_of(const referrals_enum *e, const char *s) {
  return s ? referrals_enum_find(e, s, strlen(s)) : -1;
}

static int refuse(const char **reason, const char *why) {
  if (reason) *reason = why;
  return 0;
}

int referrals_status_pair_valid(const char *status, const char *substatus, const char **reason) {
  int st = code_of(&referrals_enum_status, status);
  if (st < 0) return refuse(reason, unknown_status);
  if (!substatus) return 1;
  int sub = code_of(&referrals_enum_substatus, substatus);
  if (sub < 0) return refuse(reason, unknown_substatus);
  if (!listed(rules[st].substatuses, substatus)) return refuse(reason, reasons_pair[sub][st]);
  return 1;
}

/* A NULL from_status is a referral with no status yet, the same as None. */
int referrals_transition_allowed(const char *from_status, const char *to_status,
                                 const char *to_substatus, const char **reason) {
  int from = code_of(&referrals_enum_status, from_status ? from_status : "None");
  if (from < 0) return refuse(reason, unknown_from_status);
  int to = code_of(&referrals_enum_status, to_status);
  if (to < 0) return refuse(reason, unknown_status);
  if (!listed(rules[from].moves_to, to_status)) return refuse(reason, reasons_move[to][from]);
  return referrals_status_pair_valid(to_status, to_substatus, reason);
}
