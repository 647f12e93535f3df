/*
 * referrals.h: the public C API of the Partner Center Referrals client: the resources, the
 * codec and validation. The client over HTTP is referrals_client.h, which includes this.
 *
 * The resources (spec §2) are plain C structs generated from referrals_schema.h. Every member
 * of every struct is a referrals_value, because the service may send any field as null or
 * leave it out (spec §2, "Nearly every field may be null"): a value knows whether it was
 * absent, null or set. Structs are allocated in a referrals_arena that the caller owns and
 * frees in one go. Functions return 0 (REFERRALS_OK) or a referrals_category and fill a
 * referrals_error.
 */
#ifndef REFERRALS_H
#define REFERRALS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "referrals_schema.h"

#ifdef __cplusplus
extern "C" {
#endif
/* The library is built with hidden visibility: what this header declares is its API, the
 * only symbols a shared object that links it may export (see tools/check-symbols.sh). */
#if defined(__GNUC__)
#pragma GCC visibility push(default)
#endif

#define REFERRALS_VERSION "0.1.0"

/* ---- values ------------------------------------------------------------------------- */

typedef enum referrals_state {
  REFERRALS_ABSENT = 0, /* the member was not there */
  REFERRALS_NULL = 1,   /* the member was JSON null */
  REFERRALS_SET = 2,
  /* The member was there, but in a shape the schema does not expect (an object where a
   * string belongs, "ids": {} from an old sample, spec §7.7): as.string holds its raw JSON,
   * written back verbatim, so reading never fails on shape drift and nothing is lost. */
  REFERRALS_RAW = 3
} referrals_state;

typedef struct referrals_value {
  uint8_t state;      /* referrals_state */
  uint8_t is_integer; /* NUMBER: as.integer holds the exact value (else as.number) */
  int16_t code;       /* ENUM: index into the enum's values, -1 for a value it does not list */
  uint32_t len;       /* STRING, DATETIME, ENUM: bytes; JSON: bytes of raw JSON; arrays: items */
  union {
    const char *string;            /* STRING, DATETIME, ENUM (NUL-terminated, len bytes), JSON */
    int boolean;                   /* BOOL */
    double number;                 /* NUMBER, !is_integer */
    long long integer;             /* NUMBER, is_integer */
    void *object;                  /* OBJECT: a struct of the field's type */
    struct referrals_value *items; /* OBJECT_ARRAY (items are OBJECT values), STRING_ARRAY */
  } as;
} referrals_value;

/* A member the schema does not know, kept as raw JSON so that nothing the service sends is
 * lost when a referral is read and written back (the API keeps adding fields, spec §6.7). */
typedef struct referrals_unknown {
  struct referrals_unknown *next;
  const char *key;
  size_t key_len;
  const char *json;
  size_t json_len;
} referrals_unknown;

/* ---- descriptors -------------------------------------------------------------------- */

typedef enum referrals_kind {
  REFERRALS_KIND_STRING,
  REFERRALS_KIND_DATETIME, /* a string, ISO-8601 UTC (spec §2) */
  REFERRALS_KIND_BOOL,
  REFERRALS_KIND_NUMBER,
  REFERRALS_KIND_ENUM, /* a string from a fixed list */
  REFERRALS_KIND_OBJECT,
  REFERRALS_KIND_JSON, /* any JSON value, kept verbatim (undocumented shapes) */
  REFERRALS_KIND_OBJECT_ARRAY,
  REFERRALS_KIND_STRING_ARRAY
} referrals_kind;

typedef struct referrals_enum {
  const char *name;
  const char *lua_name;
  const char *const *values;
  unsigned count;
} referrals_enum;

typedef struct referrals_type referrals_type;

typedef struct referrals_field {
  const char *key;        /* the wire key */
  const char *quoted_key; /* "key": as the writer emits it */
  uint16_t key_len;
  uint8_t kind;                      /* referrals_kind */
  uint8_t flags;                     /* REFERRALS_F_* */
  const referrals_type *type;        /* OBJECT, OBJECT_ARRAY */
  const referrals_enum *enumeration; /* ENUM */
} referrals_field;

struct referrals_type {
  unsigned index;        /* position in referrals_all_types */
  const char *name;      /* C name, e.g. "customer_profile" */
  const char *wire_name; /* the spec's name, e.g. "CustomerProfile" */
  size_t size;
  const referrals_field *fields;
  unsigned nfields;
};
/* The unknown-member list of a struct of type t. */
#define REFERRALS_UNKNOWN(obj, t) ((referrals_unknown **)((referrals_value *)(obj) + (t)->nfields))

/* ---- the resources ------------------------------------------------------------------ */

/* Generators: each line of a list becomes a member or a constant. */
/* clang-format off */
#define REFERRALS_MEMBER_(name, kind, sub, flags) referrals_value name;
#define REFERRALS_MEMBER_KEY_(name, key, kind, sub, flags) referrals_value name;
#define REFERRALS_STRUCT_(tname, wire)                                          \
  typedef struct referrals_##tname {                                           \
    REFERRALS_FIELDS_##tname(REFERRALS_MEMBER_, REFERRALS_MEMBER_KEY_)         \
    referrals_unknown *unknown;                                                \
  } referrals_##tname;
REFERRALS_TYPES(REFERRALS_STRUCT_)
#undef REFERRALS_STRUCT_

#define REFERRALS_TYPE_DECL_(tname, wire) extern const referrals_type referrals_type_##tname;
REFERRALS_TYPES(REFERRALS_TYPE_DECL_)
#undef REFERRALS_TYPE_DECL_

/* Enum constants, e.g. REFERRALS_status_Active, usable with referrals_value.code. */
#define REFERRALS_ENUM_CONST_(ename, v) REFERRALS_##ename##_##v,
#define REFERRALS_ENUM_DECL_(ename, lua)                                        \
  enum referrals_##ename##_code {                                              \
    REFERRALS_ENUM_##ename(REFERRALS_ENUM_CONST_, ename) REFERRALS_##ename##_count_ \
  };                                                                            \
  extern const referrals_enum referrals_enum_##ename;
REFERRALS_ENUMS(REFERRALS_ENUM_DECL_)
#undef REFERRALS_ENUM_DECL_
/* clang-format on */

/* Every type and every enum, for walkers that go over all of them. */
extern const referrals_type *const referrals_all_types[];
extern const unsigned referrals_all_types_count;
extern const referrals_enum *const referrals_all_enums[];
extern const unsigned referrals_all_enums_count;

/* The field of t whose wire key is key[0..len), or NULL. The search starts at *hint (a field
 * index, or NULL for 0) and leaves the next index there: members usually arrive in schema
 * order, so a decoder that keeps the hint finds most keys on the first comparison. */
const referrals_field *referrals_field_find(const referrals_type *t, const char *key, size_t len,
                                            unsigned *hint);
/* The index of s[0..len) in e's values, or -1. Case-exact. */
int referrals_enum_find(const referrals_enum *e, const char *s, size_t len);
/* How deep t's objects nest: 1, plus the deepest type among its object and object-array
 * members (the schema has no cycles). */
unsigned referrals_type_depth(const referrals_type *t);
/* The referrals_value of field f of type t inside the struct obj. Every member of a generated
 * struct is a referrals_value in schema order, so a field's index is its offset (schema.c
 * checks the layout at compile time). */
#define REFERRALS_FIELD_VALUE(obj, t, f) ((referrals_value *)(obj) + ((f) - (t)->fields))

/* ---- memory ------------------------------------------------------------------------- */

/* A bump allocator: every struct, string and array of one operation lives in one arena,
 * freed at once. referrals_arena_reset keeps the first block for reuse. */
typedef struct referrals_arena referrals_arena;
/* A new, empty arena, or NULL when out of memory. */
referrals_arena *referrals_arena_new(void);
void *referrals_arena_alloc(referrals_arena *a, size_t size); /* zeroed, NULL when out of memory */
/* The same, not zeroed: for memory the caller fills itself (decoded strings, item arrays). */
void *referrals_arena_alloc_uninit(referrals_arena *a, size_t size);
/* A NUL-terminated copy of s[0..len) in a, or NULL when out of memory. */
char *referrals_arena_strdup(referrals_arena *a, const char *s, size_t len);
/* Frees everything allocated in a at once (pointers into it die), keeping the first block. */
void referrals_arena_reset(referrals_arena *a);
/* Frees a and everything allocated in it. NULL is fine. */
void referrals_arena_free(referrals_arena *a);

/* A growable byte buffer, reused across calls. */
typedef struct referrals_buffer {
  char *data;
  size_t len;
  size_t cap;
  int failed; /* an allocation failed; the contents are incomplete */
} referrals_buffer;
/* An empty buffer: data NULL until the first append. */
void referrals_buffer_init(referrals_buffer *b);
/* Makes room for extra more bytes plus a NUL; 0 ok, -1 out of memory (sticky). */
int referrals_buffer_grow(referrals_buffer *b, size_t extra);
/* Frees the contents; b is then empty, as after referrals_buffer_init. */
void referrals_buffer_free(referrals_buffer *b);
/* The writers append a few bytes at a time: keep the common case inline. The contents are
 * NUL-terminated after every append. */
static inline int referrals_buffer_reserve(referrals_buffer *b, size_t extra) {
  return b->cap - b->len > extra ? 0 : referrals_buffer_grow(b, extra);
}
static inline void referrals_buffer_append(referrals_buffer *b, const char *s, size_t n) {
  if (referrals_buffer_reserve(b, n) != 0) return;
  memcpy(b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = '\0';
}

/* ---- building values in C ----------------------------------------------------------- */

/* A new zeroed struct of type t in a (every member absent), or NULL when out of memory. */
void *referrals_new(referrals_arena *a, const referrals_type *t);
/* Set values for the members of a struct. A string is not copied: it must outlive the
 * struct's use (a literal, or a copy made with referrals_arena_strdup). */
referrals_value referrals_string(const char *s); /* also for datetimes and enums */
referrals_value referrals_bool(int b);
referrals_value referrals_integer(long long i);
referrals_value referrals_number(double d);
referrals_value referrals_object(void *obj);
referrals_value referrals_null(void);
/* An array value of n items copied into a. */
referrals_value referrals_array(referrals_arena *a, const referrals_value *items, size_t n);

/* ---- errors ------------------------------------------------------------------------- */

/* The result of every function that can fail: REFERRALS_OK, or the category of the error
 * (its name in Lua, err.category: "validation", "transport", "http", "api", "json", "auth",
 * "memory", "webhook"; see referrals_category_name). */
typedef enum referrals_category {
  REFERRALS_OK = 0,
  REFERRALS_E_VALIDATION,
  REFERRALS_E_TRANSPORT,
  REFERRALS_E_HTTP,
  REFERRALS_E_API,
  REFERRALS_E_JSON,
  REFERRALS_E_AUTH,
  REFERRALS_E_MEMORY,
  REFERRALS_E_WEBHOOK /* a webhook event refused by referrals_webhook_verify */
} referrals_category;

/* The error record (DESIGN.md "Errors"). Fixed-size text: filling it never allocates.
 * Never holds a token or any other secret. */
typedef struct referrals_error {
  referrals_category category;
  char code[64];      /* stable code: "required", "enum", "HTTP_429", "preconditionFailed" ... */
  char message[1100]; /* human text (the API's message is at most 1024 chars, spec §5) */
  char field[256];    /* validation: path of the field, e.g. customerProfile.team[2].email */
  long position;      /* JSON: byte offset of the error in the input, else -1 */
  long status;        /* HTTP status, else 0 */
  char target[256];   /* the API's error.target */
  char request_id[80];
  double retry_after; /* seconds, or -1 */
  int retryable;      /* trying again later is safe and may succeed (408, 429, 5xx, network) */
  int attempts;       /* requests sent for the call, retries included; 0 when none was */
  int in_doubt;       /* a write (POST, PATCH without If-Match) went out and no answer came:
                         it may have been applied, and it is never sent again by itself */
  /* validation: the refused value or unknown key as given (cut to fit), for scripts; never
   * part of message, which names the field and the rule only (issue 13) */
  char value[256];
  /* api: the API's error.message as sent, when message had to escape control bytes or
   * bytes that are not UTF-8 (\xNN); else empty */
  char raw_message[1100];
  /* a 401: the audience the API needs, and the `aud` claim of the token sent when it is a
   * JWT (read without verifying it; empty for an opaque token) -- the message says whether
   * they match (issue 17) */
  char needed_audience[64];
  char audience[256];
} referrals_error;

/* Empties err (category REFERRALS_OK, no text, position and retry_after -1). */
void referrals_error_clear(referrals_error *err);
/* Fills err and returns its category. */
int referrals_error_set(referrals_error *err, referrals_category category, const char *code,
                        const char *field, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;
/* Fills err as the one out-of-memory error (category memory, code ENOMEM); returns its
 * category. */
int referrals_error_out_of_memory(referrals_error *err);
/* "validation", "transport", "http", "api", "json", "auth", "memory", or "ok" for
 * REFERRALS_OK: a static string. */
const char *referrals_category_name(referrals_category c);

/* ---- JSON codec (marshal) ----------------------------------------------------------- */

#define REFERRALS_MAX_DEPTH 64
/* What one document may decode to: at most REFERRALS_DECODE_RATIO times its length plus
 * 1 MiB of structs, strings and arrays; more fails with REFERRALS_E_JSON
 * "decoded_too_large". A documented referral takes about 1.5 times its JSON; a page of empty
 * objects `{}` would take 240 times (issue 13). */
#define REFERRALS_DECODE_RATIO 16

/* Parses json[0..len) into a new struct of type t allocated in a; *out points to it.
 * Members of an unexpected JSON type are kept as unknown members rather than refused
 * (older shapes, spec §7.7). Errors: REFERRALS_E_JSON with err->position. */
int referrals_decode(const referrals_type *t, const char *json, size_t len, referrals_arena *a,
                     void **out, referrals_error *err);
/* Appends the JSON text of obj (a struct of type t) to buf. Fields in schema order, then the
 * unknown members; absent members are left out, null ones written as null. */
int referrals_encode(const referrals_type *t, const void *obj, referrals_buffer *buf,
                     referrals_error *err);

/* Appends the JSON of one value of field f (as_item: one item of the array field f), e.g.
 * the value of a JSON Patch operation. */
int referrals_encode_value(const referrals_field *f, const referrals_value *v, int as_item,
                           referrals_buffer *b, referrals_error *err);

/* ---- validation --------------------------------------------------------------------- */

typedef enum referrals_mode {
  REFERRALS_MODE_CREATE = 0, /* a referral to POST (spec §1.4) */
  REFERRALS_MODE_UPDATE = 1  /* a referral as read and modified (no required/read-only checks) */
} referrals_mode;

/* Checks a referral: required fields, enum values, datetimes, UTF-8, the status/substatus
 * pair (spec §3.1), read-only fields on create. The first problem found is reported with
 * its field path. */
int referrals_validate(const referrals_referral *r, referrals_mode mode, referrals_error *err);
/* Receives each problem of a referrals_validate_each walk; the record is valid during the call. */
typedef void (*referrals_problem_fn)(void *ud, const referrals_error *problem);
/* As referrals_validate, but the walk goes on past a problem: sink (when not NULL) receives
 * every problem in walk order, err holds the first, and the first's result is returned. */
int referrals_validate_each(const referrals_referral *r, referrals_mode mode,
                            referrals_problem_fn sink, void *ud, referrals_error *err);
/* Checks one value against one field's rules; path names the field for the error. */
int referrals_validate_value(const referrals_field *f, const referrals_value *v, const char *path,
                             referrals_mode mode, referrals_error *err);

/* spec §3.1: whether status/substatus is a valid pair (substatus may be NULL). */
int referrals_status_pair_valid(const char *status, const char *substatus, const char **reason);
/* spec §3.1: whether a referral in from_status may move to to_status/to_substatus.
 * Returns 1, or 0 with *reason set to a static explanation. */
int referrals_transition_allowed(const char *from_status, const char *to_status,
                                 const char *to_substatus, const char **reason);

/* Datetimes (spec §2): "2018-11-14T00:00:00Z", up to 7 fractional digits, UTC only. */
int referrals_datetime_valid(const char *s, size_t len);
/* Formats epoch seconds (fraction kept to 7 digits) as a spec datetime; out needs 32 bytes. */
size_t referrals_datetime_format(double epoch_seconds, char out[32]);
/* Whether s[0..len) is valid UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF). */
int referrals_utf8_valid(const char *s, size_t len);

/* The near key to suggest for an unknown key in type t: a known mistake of real integrations
 * (spec §6: ReferralType, emailAddress, closeDate...) or a key at edit distance <= 2.
 * Returns a static string such as "type" or "details.closingDateTime", or NULL. */
const char *referrals_suggest_key(const referrals_type *t, const char *key, size_t len);
/* The listed value of e nearest to value (the same in another case, or a typo), or NULL. */
const char *referrals_suggest_value(const referrals_enum *e, const char *value, size_t len);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
}
#endif
#endif
