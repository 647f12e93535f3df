/*
 * decode_sink.h: the one walk from JSON text to a resource (json_decode.c) and what it hands
 * its values to. The walk knows the schema: which member is which field, which shape each
 * field takes, what one document may decode to (REFERRALS_DECODE_RATIO); a sink only builds:
 * C structs in an arena for C callers (decode_structs.c, behind referrals_decode), Lua tables
 * for the binding (src/lua/json_to_table.c), so a Lua caller's referral is built straight
 * from the text, without structs in between (issue 16). Every error comes from the walk, so
 * both sinks refuse the same documents with the same errors.
 * Not installed: internal to the library and its binding.
 */
#ifndef REFERRALS_DECODE_SINK_H
#define REFERRALS_DECODE_SINK_H

#include "json_scan.h"
#include "referrals_client.h"

/* Where a value goes. */
typedef enum referrals_slot_where {
  REFERRALS_AT_ROOT,   /* the document's object */
  REFERRALS_AT_MEMBER, /* member `field` of the object being built */
  REFERRALS_AT_ITEM,   /* item `index` (from 0) of the array being built, of field `field` */
  REFERRALS_AT_UNKNOWN /* a member the schema does not know, named `key` */
} referrals_slot_where;

typedef struct referrals_slot {
  uint8_t where; /* referrals_slot_where */
  uint8_t kind;  /* what the schema expects here: the field's kind, its items' for an item */
  const referrals_field *field;     /* MEMBER and ITEM (the array's field); NULL otherwise */
  const referrals_json_string *key; /* UNKNOWN: the key as scanned (maybe escaped) */
  size_t index;                     /* ITEM */
} referrals_slot;

/* Each function returns 0, or -1 after filling the walk's error (out of memory). A sink
 * sees the calls of one value nested like the text: object_begin ... object_end around the
 * members of an object, array_begin ... array_end around the items of an array. */
typedef struct referrals_decode_sink {
  int (*object_begin)(void *ud, const referrals_slot *at, const referrals_type *t);
  int (*object_end)(void *ud, const referrals_slot *at, const referrals_type *t);
  int (*array_begin)(void *ud, const referrals_slot *at);
  int (*array_end)(void *ud, const referrals_slot *at, size_t n);
  /* a string where the schema takes one (STRING, DATETIME, ENUM); checked, maybe escaped */
  int (*string)(void *ud, const referrals_slot *at, const referrals_json_string *s);
  /* true, false, null (state NULL) or a number: v as the scanner read it */
  int (*scalar)(void *ud, const referrals_slot *at, const referrals_value *v);
  /* checked JSON text kept as it is: a JSON-kind member (state SET), a value in a shape
   * its field does not take (RAW), an unknown member's value (RAW). json is not compacted. */
  int (*raw)(void *ud, const referrals_slot *at, const char *json, size_t len, uint8_t state);
} referrals_decode_sink;

/* Walks json[0..len) as a t, handing every value to sink (with ud). The errors of
 * referrals_decode (REFERRALS_E_JSON with err->position, decoded_too_large, too_large). */
int referrals_decode_to(const referrals_type *t, const char *json, size_t len,
                        const referrals_decode_sink *sink, void *ud, referrals_error *err);

/* What reads a 2xx answer's referral instead of referrals_decode: read(ud, t, json, len,
 * err) returns 0 or an error category. While a client has one (the Lua binding sets it
 * for one call), create, get and update hand their answer's body to it and give *out
 * NULL (or the referral a create in doubt was resolved to, decoded into the arena). */
typedef int (*referrals_read_fn)(void *ud, const referrals_type *t, const char *json, size_t len,
                                 referrals_error *err);
void referrals_client_set_reader(referrals_client *c, referrals_read_fn read, void *ud);

#endif
