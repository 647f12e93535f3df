/*
 * encode_walk.h: the one walk from a resource to its checks and its JSON (encode_walk.c),
 * and what it reads the resource from. The walk goes over the descriptors in schema order;
 * for each member it applies the rules of validate.c and writes the value with
 * json_encode.c; a source hands it one object at a time: C structs for C callers
 * (referrals_validate, referrals_encode), a Lua table for the binding
 * (src/lua/lua_values.c), which is checked and written in one pass without structs in
 * between (issue 16).
 * Not installed: internal to the library and its binding.
 */
#ifndef REFERRALS_ENCODE_WALK_H
#define REFERRALS_ENCODE_WALK_H

#include "referrals.h"

/* Where the walk is: a chain of frames on the C stack, from the value up to the root. The
 * path text is only built when something is wrong, so a valid referral costs no formatting. */
typedef struct referrals_path {
  const struct referrals_path *up;
  const char *key; /* a member's wire key; NULL for an item of the array named by up */
  size_t key_len;
  uint32_t item; /* the item's index from 1, as Lua counts */
} referrals_path;
/* "customerProfile.team[2].email" into out; returns its length. */
size_t referrals_path_render(const referrals_path *at, char *out, size_t size);

/* ---- validate.c: the rules ------------------------------------------------------------- */

/* The reporting of a walk: the first problem goes into err; with a sink, each problem is
 * also handed to it and the walk goes on past it (a value with a problem is not looked into
 * further), so a caller sees every problem of a referral in one pass. */
typedef struct referrals_checker {
  referrals_error *err;
  int clear_first; /* err is scratch: cleared when the first problem is written into it */
  referrals_problem_fn sink;
  void *ud;
  referrals_mode mode;
  int rc; /* the first problem's result, or REFERRALS_OK */
  /* the refused string of the next problem: kept in its err->value, never in its message
   * (issue 13) */
  const referrals_value *value;
} referrals_checker;

/* The rules of one member's value (read-only, required, shape, UTF-8, enum, datetime,
 * number), not looking into its object or items. */
int referrals_check_member(const referrals_field *f, const referrals_value *v,
                           const referrals_path *at, referrals_checker *ck);
/* The same for one item of the array field f. */
int referrals_check_item(const referrals_field *f, const referrals_value *item,
                         const referrals_path *at, referrals_checker *ck);
/* spec §3.1, after a referral's walk: status and substatus (values of its members). */
int referrals_check_status_pair(const referrals_value *status, const referrals_value *substatus,
                                referrals_checker *ck);

/* ---- json_encode.c: one value's JSON -------------------------------------------------- */

/* Writes a value that is no object or array: null, raw JSON, a string, a boolean, a number.
 * Unless checked (the rules ran on it), a string that is not UTF-8 and a number that is NaN
 * or infinite are refused, naming f's key. */
int referrals_write_scalar(const referrals_field *f, uint8_t kind, const referrals_value *v,
                           int checked, referrals_buffer *b, referrals_error *err);

/* ---- encode_walk.c: the walk ------------------------------------------------------------ */

/* What the walk reads a resource from. An object or array member's value carries a handle
 * the source gave it (as.object; an array's len is its length). Each function returns 0 or
 * an error category after filling the walk's err (a value that cannot be read: the walk
 * stops there). */
typedef struct referrals_encode_source {
  /* The members of the object at handle, of type t: *vals points to one value per field
   * (storage: room for them, t->nfields values, if the source needs it), *unknown to the
   * members the schema does not know, in the order they are written. */
  int (*object_open)(void *ud, const void *handle, const referrals_type *t,
                     const referrals_path *at, referrals_value *storage,
                     const referrals_value **vals, const referrals_unknown **unknown);
  void (*object_close)(void *ud);
  /* Item i of the array value v of field f: *item (storage: room for it). */
  int (*item_open)(void *ud, const referrals_field *f, const referrals_value *v, uint32_t i,
                   const referrals_path *at, referrals_value *storage,
                   const referrals_value **item);
  void (*item_close)(void *ud);
  /* (or NULL) The object or array value v of field f that the walk does not look into, a
   * rule having refused it: a source that reads as it goes reads it anyway, so that what
   * is inside is refused as it would be by reading it all first (unknown keys, shapes). */
  int (*skipped)(void *ud, const referrals_field *f, const referrals_value *v,
                 const referrals_path *at);
} referrals_encode_source;

/* C structs: a handle is the struct, an array's items are as.items. */
extern const referrals_encode_source referrals_struct_source;

typedef struct referrals_encode_walk {
  const referrals_encode_source *source;
  void *ud;
  referrals_checker *check; /* NULL: no rules applied (encode) */
  referrals_buffer *out;    /* NULL: nothing written (validate) */
  referrals_error *err;     /* a value the source cannot read, a value encode refuses */
  int stopped;              /* internal: a source error ended the walk, with stop_rc */
  int stop_rc;
  int writing; /* internal: out, and no problem yet */
} referrals_encode_walk;

/* Walks the object at handle, of type t, as a document's root (a referral's root also gets
 * the status pair checked). Returns the first problem's or error's result; with a checker
 * sink, every problem was reported. A value the source cannot read ends the walk and wins
 * (stopped); a value encode refuses ends the writing, not the reading. Written text is
 * complete only on REFERRALS_OK (the caller drops it otherwise). */
int referrals_walk_object(referrals_encode_walk *w, const referrals_type *t, const void *handle);
/* Walks one value of field f (as_item: an item of the array field f); path names it. */
int referrals_walk_value(referrals_encode_walk *w, const referrals_field *f, int as_item,
                         const referrals_value *v, const char *path);

#endif
