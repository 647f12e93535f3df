/*
 * test_validate.c: validation (src/core/validate.c), the status table (src/core/lifecycle.c),
 * datetimes (src/core/datetime.c), UTF-8 (src/core/utf8.c) and key suggestions
 * (src/core/suggest.c). The referrals are built by hand in an arena, the way the decoder and the
 * Lua binding fill them.
 */
#include <math.h>
#include <string.h>

#include "referrals.h"
#include "tap.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- building values ---------------------------------------------------------------- */

static referrals_value text_n(const char *s, size_t n) {
  referrals_value v = {0};
  v.state = REFERRALS_SET;
  v.code = -1;
  v.as.string = s;
  v.len = (uint32_t)n;
  return v;
}
static referrals_value text(const char *s) { return text_n(s, strlen(s)); }

/* A member in a shape its field does not take, kept by the decoder as raw JSON. */
static referrals_value raw(const char *json) {
  referrals_value v = text(json);
  v.state = REFERRALS_RAW;
  return v;
}

static referrals_value null_value(void) {
  referrals_value v = {0};
  v.state = REFERRALS_NULL;
  return v;
}

static referrals_value boolean(int b) {
  referrals_value v = {0};
  v.state = REFERRALS_SET;
  v.as.boolean = b;
  return v;
}

static referrals_value integer(long long i) {
  referrals_value v = {0};
  v.state = REFERRALS_SET;
  v.is_integer = 1;
  v.as.integer = i;
  return v;
}

static referrals_value number(double d) {
  referrals_value v = {0};
  v.state = REFERRALS_SET;
  v.as.number = d;
  return v;
}

static referrals_value object(void *obj) {
  referrals_value v = {0};
  v.state = REFERRALS_SET;
  v.as.object = obj;
  return v;
}

/* An array of n values, zeroed (absent) until filled in. */
static referrals_value array(referrals_arena *a, uint32_t n) {
  referrals_value v = {0};
  v.state = REFERRALS_SET;
  v.len = n;
  v.as.items = referrals_arena_alloc(a, n * sizeof(referrals_value));
  return v;
}

static referrals_member *member(referrals_arena *a, const char *first, const char *email) {
  referrals_member *m = referrals_arena_alloc(a, sizeof *m);
  referrals_contact_preference *pref = referrals_arena_alloc(a, sizeof *pref);
  pref->locale = text("en-us");
  pref->disableNotifications = boolean(0);
  m->firstName = text(first);
  m->lastName = text("Smith");
  m->phoneNumber = text("1234567890");
  m->email = text(email);
  m->contactPreference = object(pref);
  return m;
}

/* The documented create request (shared/fixtures/create-request.json), valid on create. */
static referrals_referral *valid_referral(referrals_arena *a) {
  referrals_referral *r = referrals_arena_alloc(a, sizeof *r);
  r->name = text("Test Cosell Invite_20");
  r->status = text("New");
  r->substatus = text("Pending");
  r->qualification = text("SalesQualified");
  r->type = text("Shared");

  referrals_target *target = referrals_arena_alloc(a, sizeof *target);
  target->type = text("SolutionProfile");
  target->id = text("SOL-34104-EBB");
  r->target = array(a, 1);
  r->target.as.items[0] = object(target);

  referrals_address *address = referrals_arena_alloc(a, sizeof *address);
  address->addressLine1 = text("One Microsoft Way");
  address->city = text("Redmond");
  address->country = text("US");
  referrals_customer_profile *customer = referrals_arena_alloc(a, sizeof *customer);
  customer->name = text("Contoso Customer Inc");
  customer->address = object(address);
  customer->size = text("10to50employees");
  customer->team = array(a, 2);
  customer->team.as.items[0] = object(member(a, "Sue", "sue.smith@contoso.com"));
  customer->team.as.items[1] = object(member(a, "Joe", "joe.hansen@contoso.com"));
  customer->ids = array(a, 0);
  r->customerProfile = object(customer);

  referrals_consent *consent = referrals_arena_alloc(a, sizeof *consent);
  consent->consentToToShareInfoWithOthers = boolean(1);
  consent->consentToContact = boolean(1);
  r->consent = object(consent);

  referrals_solution_tag *solution = referrals_arena_alloc(a, sizeof *solution);
  solution->name = text("Dynamics 365 for Field Service");
  solution->type = text("Category");
  solution->id = text("Dynamics365forFieldService");
  referrals_requirements *requirements = referrals_arena_alloc(a, sizeof *requirements);
  requirements->solutions = array(a, 1);
  requirements->solutions.as.items[0] = object(solution);
  referrals_details *details = referrals_arena_alloc(a, sizeof *details);
  details->notes = text("Customer is looking to leverage Dynamics 365.");
  details->dealValue = integer(50000);
  details->currency = text("USD");
  details->closingDateTime = text("2018-11-14T00:00:00Z");
  details->requirements = object(requirements);
  r->details = object(details);

  r->team = array(a, 1);
  r->team.as.items[0] = object(member(a, "John", "john.doe@microsoft.com"));
  return r;
}

#define CUSTOMER(r) ((referrals_customer_profile *)(r)->customerProfile.as.object)
#define DETAILS(r) ((referrals_details *)(r)->details.as.object)
#define TEAM_MEMBER(v, i) ((referrals_member *)(v).as.items[i].as.object)

/* ---- validation --------------------------------------------------------------------- */

/* Validates r and checks the error's category, code, field, and that the message starts with
 * the field path. */
static void expect_error(const referrals_referral *r, referrals_mode mode, const char *code,
                         const char *field, referrals_error *err, const char *what) {
  referrals_error_clear(err);
  int rc = referrals_validate(r, mode, err);
  char title[200];
  snprintf(title, sizeof title, "%s: refused", what);
  CHECK(rc == REFERRALS_E_VALIDATION && err->category == REFERRALS_E_VALIDATION, title);
  snprintf(title, sizeof title, "%s: code", what);
  CHECK_STR(err->code, code, title);
  snprintf(title, sizeof title, "%s: field", what);
  CHECK_STR(err->field, field, title);
  snprintf(title, sizeof title, "%s: message starts with the path", what);
  CHECK(strncmp(err->message, field, strlen(field)) == 0 &&
            strncmp(err->message + strlen(field), ": ", 2) == 0,
        title);
}

static void expect_valid(const referrals_referral *r, referrals_mode mode, const char *what) {
  referrals_error err;
  referrals_error_clear(&err);
  int rc = referrals_validate(r, mode, &err);
  CHECK(rc == REFERRALS_OK, what);
  if (rc != REFERRALS_OK) printf("#   %s\n", err.message);
}

static void test_valid(referrals_arena *a) {
  referrals_arena_reset(a);
  referrals_referral *r = valid_referral(a);
  expect_valid(r, REFERRALS_MODE_CREATE, "the documented create request is valid on create");
  expect_valid(r, REFERRALS_MODE_UPDATE, "and on update");
  r->name = null_value(); /* any field may be null (spec §2) */
  CUSTOMER(r)->team.as.items[0] = null_value();
  expect_valid(r, REFERRALS_MODE_CREATE, "null fields and null array items are valid");
  r->substatus = text("Received");
  r->status.state = REFERRALS_ABSENT;
  expect_valid(r, REFERRALS_MODE_CREATE, "a substatus without a status is left to the service");
}

static void test_required(referrals_arena *a) {
  referrals_error err;
  referrals_arena_reset(a);
  referrals_referral *r = valid_referral(a);
  r->type.state = REFERRALS_ABSENT;
  expect_error(r, REFERRALS_MODE_CREATE, "required", "type", &err, "type absent on create");
  CHECK_STR(err.message, "type: required on create", "required: message");
  expect_valid(r, REFERRALS_MODE_UPDATE, "type absent on update is valid");

  r = valid_referral(a);
  r->consent = null_value();
  expect_error(r, REFERRALS_MODE_CREATE, "required", "consent", &err, "consent null on create");
  CHECK_STR(err.message, "consent: required on create, got null", "required null: message");
}

static void test_read_only(referrals_arena *a) {
  referrals_error err;
  referrals_arena_reset(a);
  referrals_referral *r = valid_referral(a);
  r->id = text("4111fffc-f9ee-4d53-bba6-569135228642");
  expect_error(r, REFERRALS_MODE_CREATE, "read_only", "id", &err, "id on create");
  CHECK_STR(err.message, "id: read-only, set by the server; remove it before create",
            "read_only: message");
  expect_valid(r, REFERRALS_MODE_UPDATE, "id on update is valid");

  r = valid_referral(a);
  TEAM_MEMBER(CUSTOMER(r)->team, 1)->emailValidationStatus = null_value();
  expect_error(r, REFERRALS_MODE_CREATE, "read_only",
               "customerProfile.team[2].emailValidationStatus", &err,
               "a read-only null deep in an array on create");

  r = valid_referral(a);
  r->eTag = text("\"2500ec5a\"");
  r->type.state = REFERRALS_ABSENT;
  r->id = text("an id");
  expect_error(r, REFERRALS_MODE_CREATE, "read_only", "id", &err,
               "the first problem in schema order (id before type and eTag)");
}

static void test_enum(referrals_arena *a) {
  referrals_error err;
  referrals_arena_reset(a);
  referrals_referral *r = valid_referral(a);
  r->status = text("active");
  r->substatus.state = REFERRALS_ABSENT;
  expect_error(r, REFERRALS_MODE_UPDATE, "enum", "status", &err, "a status in the wrong case");
  CHECK_STR(err.message,
            "status: not one of None, New, Active, Closed (case matters); did you mean \"Active\"?",
            "enum: message lists the values, never quotes the value (issue 13)");
  CHECK_STR(err.value, "active", "enum: the value is in err.value");

  r = valid_referral(a);
  r->type = text("Bogus");
  r->type.code = REFERRALS_type_Shared; /* a stale code must not pass */
  expect_error(r, REFERRALS_MODE_CREATE, "enum", "type", &err, "the string decides, not .code");

  r = valid_referral(a);
  ((referrals_target *)r->target.as.items[0].as.object)->type = text("Microsoft");
  expect_error(r, REFERRALS_MODE_CREATE, "enum", "target[1].type", &err,
               "an enum in an array item");

  r = valid_referral(a);
  CUSTOMER(r)->size = text("");
  expect_error(r, REFERRALS_MODE_CREATE, "enum", "customerProfile.size", &err, "\"\" on create");
  expect_valid(r, REFERRALS_MODE_UPDATE, "\"\" on update, as the service sends it");

  r = valid_referral(a);
  static const char long_value[] =
      "Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\xC3\xA9tc";
  CUSTOMER(r)->size = text(long_value);
  expect_error(r, REFERRALS_MODE_CREATE, "enum", "customerProfile.size", &err, "a long value");
  CHECK(strstr(err.message, "Aaaa") == NULL && strcmp(err.value, long_value) == 0,
        "a long value is kept whole in err.value, not in the message");
}

static void test_datetime(referrals_arena *a) {
  referrals_error err;
  referrals_arena_reset(a);
  referrals_referral *r = valid_referral(a);
  DETAILS(r)->closingDateTime = text("2018-11-14");
  expect_error(r, REFERRALS_MODE_CREATE, "datetime", "details.closingDateTime", &err,
               "a date only");
  CHECK_STR(err.message,
            "details.closingDateTime: not a UTC datetime like 2019-02-23T02:05:23.2931817Z",
            "datetime: message, without the value");
  CHECK_STR(err.value, "2018-11-14", "datetime: the value is in err.value");

  r = valid_referral(a);
  referrals_requirements *req = DETAILS(r)->requirements.as.object;
  ((referrals_solution_tag *)req->solutions.as.items[0].as.object)->closingDateTime =
      text("2019-02-23T02:05:23+01:00");
  expect_error(r, REFERRALS_MODE_CREATE, "datetime",
               "details.requirements.solutions[1].closingDateTime", &err, "an offset deep down");
}

static void test_utf8_rule(referrals_arena *a) {
  referrals_error err;
  referrals_arena_reset(a);
  referrals_referral *r = valid_referral(a);
  TEAM_MEMBER(CUSTOMER(r)->team, 1)->email = text("joe\xC0\x80@contoso.com");
  expect_error(r, REFERRALS_MODE_CREATE, "utf8", "customerProfile.team[2].email", &err,
               "an overlong in a team member's email");
  CHECK_STR(err.message, "customerProfile.team[2].email: not valid UTF-8", "utf8: message");

  r = valid_referral(a);
  r->tags = array(a, 3);
  r->tags.as.items[0] = text("a");
  r->tags.as.items[1] = null_value();
  r->tags.as.items[2] = text("\xED\xA0\x80");
  expect_error(r, REFERRALS_MODE_UPDATE, "utf8", "tags[3]", &err, "a string array item");

  r = valid_referral(a);
  r->status = text("Acti\xFFve");
  expect_error(r, REFERRALS_MODE_UPDATE, "utf8", "status", &err,
               "an enum is checked for UTF-8 first");

  r = valid_referral(a);
  DETAILS(r)->closingDateTime = text("2018-11-14T00:00:00\xC3Z");
  expect_error(r, REFERRALS_MODE_UPDATE, "utf8", "details.closingDateTime", &err,
               "a datetime is checked for UTF-8 first");
}

static void test_number(referrals_arena *a) {
  referrals_error err;
  referrals_arena_reset(a);
  referrals_referral *r = valid_referral(a);
  DETAILS(r)->dealValue = number(NAN);
  expect_error(r, REFERRALS_MODE_CREATE, "number", "details.dealValue", &err, "NaN");
  DETAILS(r)->dealValue = number(-INFINITY);
  expect_error(r, REFERRALS_MODE_CREATE, "number", "details.dealValue", &err, "-infinity");
  CHECK_STR(err.message,
            "details.dealValue: expected a finite number, got -inf (JSON has no NaN or infinity)",
            "number: message");
  DETAILS(r)->dealValue = number(10000.5);
  expect_valid(r, REFERRALS_MODE_CREATE, "a finite fraction is valid");
}

static void test_status_pair_rule(referrals_arena *a) {
  referrals_error err;
  referrals_arena_reset(a);
  referrals_referral *r = valid_referral(a);
  r->status = text("Active");
  r->substatus = text("Won");
  expect_error(r, REFERRALS_MODE_CREATE, "status_pair", "substatus", &err, "Active with Won");
  CHECK_STR(err.message,
            "substatus: status Active does not allow substatus Won; it allows Accepted",
            "status_pair: message");
  expect_error(r, REFERRALS_MODE_UPDATE, "status_pair", "substatus", &err, "also on update");

  DETAILS(r)->closingDateTime = text("tomorrow");
  expect_error(r, REFERRALS_MODE_UPDATE, "datetime", "details.closingDateTime", &err,
               "field rules come before the pair");

  r = valid_referral(a);
  r->status = text("Closed");
  r->substatus = text("Lost");
  expect_valid(r, REFERRALS_MODE_UPDATE, "Closed with Lost is valid");
}

static void test_raw(referrals_arena *a) {
  referrals_error err;
  referrals_arena_reset(a);
  referrals_referral *r = valid_referral(a);
  r->target = raw("{\"type\":\"SolutionProfile\",\"id\":\"SOL-34104-EBB\"}");
  expect_error(r, REFERRALS_MODE_CREATE, "type", "target", &err, "target as an object on create");
  CHECK_STR(err.message, "target: expected array, got object", "type: message");
  expect_valid(r, REFERRALS_MODE_UPDATE, "a raw target on update goes back as it came");

  r = valid_referral(a);
  DETAILS(r)->dealValue = raw("\"10000\"");
  expect_error(r, REFERRALS_MODE_CREATE, "type", "details.dealValue", &err,
               "dealValue as a string on create (spec §6 pitfall 10)");
  CHECK_STR(err.message, "details.dealValue: expected number, got string",
            "type: message for a scalar");

  r = valid_referral(a);
  CUSTOMER(r)->team.as.items[0] = raw("42");
  expect_error(r, REFERRALS_MODE_CREATE, "type", "customerProfile.team[1]", &err,
               "a raw array item");
  expect_valid(r, REFERRALS_MODE_UPDATE, "a raw array item on update");

  r = valid_referral(a);
  r->consent = raw("true");
  expect_error(r, REFERRALS_MODE_CREATE, "type", "consent", &err,
               "a required member in the wrong shape is a type error, not a missing one");

  r = valid_referral(a);
  r->tags = raw("{}");
  expect_error(r, REFERRALS_MODE_CREATE, "read_only", "tags", &err,
               "a read-only member is refused on create whatever its shape");
}

static void test_validate_value(referrals_arena *a) {
  referrals_error err;
  referrals_arena_reset(a);
  const referrals_field *email = referrals_field_find(&referrals_type_member, "email", 5, NULL);
  referrals_value v = text("bad\xF4\x90\x80\x80");
  referrals_error_clear(&err);
  int rc = referrals_validate_value(email, &v, "team[1].email", REFERRALS_MODE_UPDATE, &err);
  CHECK(rc == REFERRALS_E_VALIDATION, "validate_value: refused");
  CHECK_STR(err.field, "team[1].email", "validate_value: the given path");
  rc = referrals_validate_value(email, &v, NULL, REFERRALS_MODE_UPDATE, &err);
  CHECK(rc == REFERRALS_E_VALIDATION, "validate_value without a path: refused");
  CHECK_STR(err.field, "email", "validate_value without a path: the field's key");

  const referrals_field *team = referrals_field_find(&referrals_type_referral, "team", 4, NULL);
  referrals_value members = array(a, 2);
  members.as.items[0] = object(member(a, "Ann", "ann@example.com"));
  members.as.items[1] = object(member(a, "Bob", "bob@example.com"));
  TEAM_MEMBER(members, 1)->contactPreference = null_value();
  TEAM_MEMBER(members, 1)->lastName = text("\xE2\x82");
  rc = referrals_validate_value(team, &members, "team", REFERRALS_MODE_UPDATE, &err);
  CHECK(rc == REFERRALS_E_VALIDATION, "validate_value on an array: refused");
  CHECK_STR(err.field, "team[2].lastName", "validate_value on an array: the item's path");

  TEAM_MEMBER(members, 1)->lastName = text("Brown");
  rc = referrals_validate_value(team, &members, "team", REFERRALS_MODE_UPDATE, &err);
  CHECK(rc == REFERRALS_OK, "validate_value on a valid array");
}

/* ---- status (spec §3.1) ------------------------------------------------------------- */

static const char *const statuses[] = {"None", "New", "Active", "Closed"};
static const char *const substatuses[] = {"None", "Pending", "Received", "Accepted",
                                          "Won",  "Lost",    "Declined", "Expired"};

static void test_transitions(void) {
  /* may_move[from][to], written out from the spec's table; None may move anywhere. */
  static const int may_move[4][4] = {
      {1, 1, 1, 1}, /* None */
      {0, 1, 1, 1}, /* New */
      {0, 0, 1, 1}, /* Active */
      {0, 0, 0, 1}, /* Closed */
  };
  char what[120];
  for (int from = 0; from < 4; from++) {
    for (int to = 0; to < 4; to++) {
      const char *reason = NULL;
      int ok = referrals_transition_allowed(statuses[from], statuses[to], NULL, &reason);
      snprintf(what, sizeof what, "transition %s -> %s %s", statuses[from], statuses[to],
               may_move[from][to] ? "allowed" : "refused, with a reason");
      CHECK(ok == may_move[from][to] && (ok || (reason && strstr(reason, " cannot move to "))),
            what);
    }
  }
  const char *reason = NULL;
  referrals_transition_allowed("Closed", "Active", NULL, &reason);
  CHECK_STR(reason ? reason : "",
            "status Closed cannot move to Active; it may move to Closed only: Closed is terminal",
            "the reason for leaving Closed");
  referrals_transition_allowed("Active", "New", NULL, &reason);
  CHECK_STR(reason ? reason : "",
            "status Active cannot move to New; it may move to Active or Closed",
            "the reason for Active back to New");

  CHECK(referrals_transition_allowed("New", "Active", "Accepted", NULL), "New -> Active/Accepted");
  CHECK(referrals_transition_allowed("Active", "Closed", "Won", NULL), "Active -> Closed/Won");
  CHECK(referrals_transition_allowed(NULL, "New", "Pending", NULL), "no status -> New/Pending");
  reason = NULL;
  CHECK(!referrals_transition_allowed("New", "Active", "Won", &reason) && reason &&
            strstr(reason, "does not allow substatus Won"),
        "New -> Active/Won refused for the pair");
  reason = NULL;
  CHECK(!referrals_transition_allowed("Closed", "Active", "Accepted", &reason) && reason &&
            strstr(reason, "cannot move"),
        "Closed -> Active/Accepted refused for the move, a good pair or not");
  reason = NULL;
  CHECK(!referrals_transition_allowed("Open", "Active", NULL, &reason) && reason &&
            strstr(reason, "current status is not a known status"),
        "an unknown current status");
  reason = NULL;
  CHECK(!referrals_transition_allowed("New", "active", NULL, &reason) && reason &&
            strncmp(reason, "not a known status", 18) == 0,
        "an unknown new status (case matters)");
  reason = NULL;
  CHECK(!referrals_transition_allowed("New", "Closed", "Done", &reason) && reason &&
            strncmp(reason, "not a known substatus", 21) == 0,
        "an unknown substatus");
}

static void test_pairs(void) {
  /* pair[status][substatus], written out from the spec's table. */
  static const int pair[4][8] = {
      {1, 0, 0, 0, 0, 0, 0, 0}, /* None: None */
      {0, 1, 1, 0, 0, 0, 0, 0}, /* New: Pending, Received */
      {0, 0, 0, 1, 0, 0, 0, 0}, /* Active: Accepted */
      {0, 0, 0, 0, 1, 1, 1, 1}, /* Closed: Won, Lost, Declined, Expired */
  };
  char what[120];
  for (int st = 0; st < 4; st++) {
    for (int sub = 0; sub < 8; sub++) {
      const char *reason = NULL;
      int ok = referrals_status_pair_valid(statuses[st], substatuses[sub], &reason);
      snprintf(what, sizeof what, "pair %s/%s %s", statuses[st], substatuses[sub],
               pair[st][sub] ? "valid" : "refused, naming both");
      CHECK(ok == pair[st][sub] && (ok || (reason && strstr(reason, statuses[st]) &&
                                           strstr(reason, substatuses[sub]))),
            what);
    }
    snprintf(what, sizeof what, "status %s without a substatus", statuses[st]);
    CHECK(referrals_status_pair_valid(statuses[st], NULL, NULL), what);
  }
  const char *reason = NULL;
  CHECK(!referrals_status_pair_valid(NULL, "Won", &reason) && reason, "no status is refused");
}

/* ---- datetimes ---------------------------------------------------------------------- */

static void test_datetime_valid(void) {
  static const char *const valid[] = {
      "2018-11-14T00:00:00Z",         "2019-02-23T02:05:23.2931817Z", "2019-02-23T02:05:23.2Z",
      "2020-02-29T23:59:59Z",         "2000-02-29T00:00:00Z",         "0001-01-01T00:00:00Z",
      "9999-12-31T23:59:59.9999999Z",
  };
  static const char *const invalid[] = {
      "2019-02-23T02:05:23.29318170Z", /* 8 fractional digits */
      "2019-02-23T02:05:23",           /* no Z */
      "2019-02-23T02:05:23.2931817",   /* no Z */
      "2019-02-23T02:05:23+01:00",     /* an offset */
      "2019-02-23T02:05:23.2931817+01:00",
      "2019-02-30T00:00:00Z", /* Feb 30 */
      "2019-02-29T00:00:00Z", /* not a leap year */
      "1900-02-29T00:00:00Z", /* not a leap year either */
      "2019-04-31T00:00:00Z",
      "2019-2-23T02:05:23Z",
      "2019-13-01T00:00:00Z",
      "2019-00-01T00:00:00Z",
      "2019-01-00T00:00:00Z",
      "0000-01-01T00:00:00Z",
      "2019-02-23T24:00:00Z",
      "2019-02-23T02:60:00Z",
      "2019-02-23T02:05:60Z", /* no leap second */
      "2019-02-23T02:05:23.Z",
      "2019-02-23t02:05:23Z",
      "2019-02-23T02:05:23z",
      "2019-02-23 02:05:23Z",
      "2019-02-23T02:05:23ZZ",
      "",
  };
  for (size_t i = 0; i < COUNT(valid); i++)
    CHECK(referrals_datetime_valid(valid[i], strlen(valid[i])), valid[i]);
  char what[80];
  for (size_t i = 0; i < COUNT(invalid); i++) {
    snprintf(what, sizeof what, "invalid: \"%s\"", invalid[i]);
    CHECK(!referrals_datetime_valid(invalid[i], strlen(invalid[i])), what);
  }
  CHECK(!referrals_datetime_valid("2018-11-14T00:00:00Z", 19), "the length given is the string");
}

static void test_datetime_format(void) {
  static const struct {
    double epoch;
    const char *text;
  } cases[] = {
      {0, "1970-01-01T00:00:00Z"},
      {1542153600, "2018-11-14T00:00:00Z"},
      {1.5, "1970-01-01T00:00:01.5Z"},
      {-0.5, "1969-12-31T23:59:59.5Z"},
      {1542153600.1, "2018-11-14T00:00:00.1Z"},
      {1550887523.2931817, "2019-02-23T02:05:23.2931817Z"},
      {0.0000001, "1970-01-01T00:00:00.0000001Z"},
      {0.99999999, "1970-01-01T00:00:01Z"},
      {951782400, "2000-02-29T00:00:00Z"},
      {-62135596800.0, "0001-01-01T00:00:00Z"},
      {253402300799.0, "9999-12-31T23:59:59Z"},
  };
  char out[32], what[80];
  for (size_t i = 0; i < COUNT(cases); i++) {
    memset(out, 'x', sizeof out);
    size_t n = referrals_datetime_format(cases[i].epoch, out);
    snprintf(what, sizeof what, "format %.10g", cases[i].epoch);
    CHECK_STR(n ? out : "", cases[i].text, what);
    snprintf(what, sizeof what, "format %.10g: length, and a valid datetime", cases[i].epoch);
    CHECK(n == strlen(cases[i].text) && referrals_datetime_valid(out, n), what);
  }
  static const double out_of_range[] = {-62135596801.0, 253402300800.0, 253402300799.99999999,
                                        1e300, -1e300};
  for (size_t i = 0; i < COUNT(out_of_range); i++) {
    snprintf(what, sizeof what, "format %g: out of the years 0001-9999", out_of_range[i]);
    CHECK(referrals_datetime_format(out_of_range[i], out) == 0, what);
  }
  CHECK(referrals_datetime_format(NAN, out) == 0, "format NaN: refused");
  CHECK(referrals_datetime_format(INFINITY, out) == 0, "format infinity: refused");
}

/* ---- UTF-8 -------------------------------------------------------------------------- */

static void test_utf8(void) {
  static const char *const valid[] = {
      "",
      "plain ASCII, longer than eight bytes",
      "Vicente L\xC3\xB3pez",                        /* U+00F3 */
      "\xE2\x82\xAC 50000",                          /* U+20AC */
      "\xF0\x9D\x84\x9E",                            /* U+1D11E */
      "\xF4\x8F\xBF\xBF",                            /* U+10FFFF, the last */
      "\xED\x9F\xBF\xEE\x80\x80",                    /* U+D7FF, U+E000 around the surrogates */
      "0123456789abcdef\xC3\xA9xyz0123456789abcdef", /* multibyte between ASCII runs */
      "abcdefgh\xC3\xA9",                            /* multibyte in the last word */
  };
  static const char *const invalid[] = {
      "\xC0\x80",              /* overlong NUL */
      "\xC1\xBF",              /* overlong */
      "\xE0\x80\x80",          /* overlong, 3 bytes */
      "\xE0\x9F\xBF",          /* overlong U+07FF */
      "\xF0\x80\x80\x80",      /* overlong, 4 bytes */
      "\xF0\x8F\xBF\xBF",      /* overlong U+FFFF */
      "\xED\xA0\x80",          /* surrogate U+D800 */
      "\xED\xBF\xBF",          /* surrogate U+DFFF */
      "\xF4\x90\x80\x80",      /* U+110000 */
      "\xF5\x80\x80\x80",      /* no such lead */
      "\xFF",                  /* no such byte */
      "\x80",                  /* a continuation alone */
      "ab\xC3",                /* truncated 2 */
      "\xE2\x82",              /* truncated 3 */
      "\xF0\x9D\x84",          /* truncated 4 */
      "\xE2\x28\xA1",          /* a bad continuation */
      "\xF0\x9D\x84\x2E",      /* a bad last continuation */
      "0123456789abcdef\xC3(", /* after an ASCII run */
      "abcdefg\x80",           /* the 8th byte of one word */
      "abcdefghi\xFF",         /* in a last word that overlaps the first */
  };
  char what[80];
  for (size_t i = 0; i < COUNT(valid); i++) {
    snprintf(what, sizeof what, "utf8 valid #%zu", i + 1);
    CHECK(referrals_utf8_valid(valid[i], strlen(valid[i])), what);
  }
  for (size_t i = 0; i < COUNT(invalid); i++) {
    snprintf(what, sizeof what, "utf8 invalid #%zu", i + 1);
    CHECK(!referrals_utf8_valid(invalid[i], strlen(invalid[i])), what);
  }
  CHECK(referrals_utf8_valid("a\0b", 3), "an embedded NUL is valid UTF-8");
  CHECK(!referrals_utf8_valid("\xE2\x82\xAC", 2), "the length given is the string");
}

/* ---- suggestions -------------------------------------------------------------------- */

static void test_suggest(void) {
  static const struct {
    const referrals_type *type;
    const char *key, *want;
  } cases[] = {
      /* the known mistakes */
      {&referrals_type_referral, "ReferralType", "type"},
      {&referrals_type_referral, "referralType", "type"},
      {&referrals_type_referral, "ReferralTarget", "target"},
      {&referrals_type_referral, "closeDate", "details.closingDateTime"},
      {&referrals_type_referral, "CloseDate", "details.closingDateTime"},
      {&referrals_type_referral, "closingDate", "details.closingDateTime"},
      {&referrals_type_referral, "closingDateTime", "details.closingDateTime"},
      {&referrals_type_referral, "dealValue", "details.dealValue"},
      {&referrals_type_member, "emailAddress", "email"},
      {&referrals_type_member, "EmailAddress", "email"},
      {&referrals_type_member, "phone", "phoneNumber"},
      {&referrals_type_consent, "consentToShareInfoWithOthers", "consentToToShareInfoWithOthers"},
      {&referrals_type_solution_tag, "SolutionType", "type"},
      /* found by ignoring case */
      {&referrals_type_referral, "Substatus", "substatus"},
      {&referrals_type_referral, "StatusReason", "statusReason"},
      {&referrals_type_referral, "ETag", "eTag"},
      {&referrals_type_referral, "Id", "id"},
      {&referrals_type_referral, "EngagementId", "engagementId"},
      {&referrals_type_referral, "Target", "target"},
      {&referrals_type_consent, "ConsentToToShareInfoWithOthers", "consentToToShareInfoWithOthers"},
      {&referrals_type_consent, "ConsentToContact", "consentToContact"},
      /* a right key is its own answer, even one the table lists in another case */
      {&referrals_type_solution_tag, "solutionType", "solutionType"},
      /* near typos */
      {&referrals_type_referral, "customerProfil", "customerProfile"},
      {&referrals_type_referral, "enagementId", "engagementId"}, /* the docs' typo, spec §7.5 */
      {&referrals_type_referral, "nmae", "name"},                /* a transposition counts 1 */
      {&referrals_type_address, "addressLine3", "addressLine1"}, /* a tie: schema order */
      {&referrals_type_member, "mail", "email"},
      /* nothing near enough */
      {&referrals_type_referral, "fooBarBaz", NULL},
      {&referrals_type_referral, "emailAddress", NULL}, /* the table is per type */
      {&referrals_type_tag, "ix", NULL},                /* half the key is too far */
      {&referrals_type_referral, "", NULL},
  };
  char what[120];
  for (size_t i = 0; i < COUNT(cases); i++) {
    const char *got = referrals_suggest_key(cases[i].type, cases[i].key, strlen(cases[i].key));
    snprintf(what, sizeof what, "suggest %s.%s -> %s", cases[i].type->wire_name, cases[i].key,
             cases[i].want ? cases[i].want : "nothing");
    CHECK_STR(got ? got : "(null)", cases[i].want ? cases[i].want : "(null)", what);
  }
  CHECK_STR(referrals_suggest_key(&referrals_type_referral, "typeXYZ", 4), "type",
            "suggest reads only the length given");
}

int main(void) {
  referrals_arena *a = referrals_arena_new();
  if (!a) return 2;
  test_valid(a);
  test_required(a);
  test_read_only(a);
  test_enum(a);
  test_datetime(a);
  test_utf8_rule(a);
  test_number(a);
  test_status_pair_rule(a);
  test_raw(a);
  test_validate_value(a);
  test_transitions();
  test_pairs();
  test_datetime_valid();
  test_datetime_format();
  test_utf8();
  test_suggest();
  referrals_arena_free(a);
  return tap_done();
}
