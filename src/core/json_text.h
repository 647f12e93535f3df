/*
 * json_text.h: the JSON text helpers the codec (json_encode.c, json_write.c, json_scan.c,
 * utf8.c) and the Lua binding (json_value.c, patch.c) share. Not installed: they are not the
 * library's API, and hidden from every shared object that links it.
 */
#ifndef REFERRALS_JSON_TEXT_H
#define REFERRALS_JSON_TEXT_H

#include "referrals.h"

/* Appends s[0..len) as a JSON string, quotes included, escaping what JSON requires. */
void referrals_json_write_string(referrals_buffer *b, const char *s, size_t len);
/* Writes a NUMBER value: integers exactly, doubles in the shortest form that reads back
 * the same, whatever the C locale. Returns -1 (writes nothing) for NaN or infinity. */
int referrals_json_write_number(referrals_buffer *b, const referrals_value *v);
/* Reads a JSON number's text into v (exact integer when it fits 64 bits). Returns -1 when
 * it does not fit a double (1e999). */
int referrals_json_read_number(const char *text, size_t len, referrals_value *v);

/* The length of the well-formed multibyte sequence that starts at s (avail bytes readable
 * there), or 0 when it is not one. */
size_t referrals_utf8_sequence(const unsigned char *s, size_t avail);

#endif
