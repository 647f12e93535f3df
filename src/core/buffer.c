/*
 * buffer.c: a growable byte buffer. The JSON writer appends to one that the caller reuses
 * across calls, so steady-state encoding does not allocate. A failed allocation is sticky
 * (b->failed) and checked once at the end instead of after every append.
 */
#include <stdlib.h>
#include <string.h>

#include "referrals.h"

void referrals_buffer_init(referrals_buffer *b) {
  b->data = NULL;
  b->len = b->cap = 0;
  b->failed = 0;
}

int referrals_buffer_grow(referrals_buffer *b, size_t extra) {
  if (b->failed) return -1;
  if (b->cap - b->len > extra) return 0; /* keeps one byte for a terminating NUL */
  size_t cap = b->cap ? b->cap : 1024;
  while (cap - b->len <= extra) {
    if (cap > ((size_t)-1) / 2) {
      b->failed = 1;
      return -1;
    }
    cap *= 2;
  }
  char *p = realloc(b->data, cap);
  if (!p) {
    b->failed = 1;
    return -1;
  }
  b->data = p;
  b->cap = cap;
  return 0;
}

void referrals_buffer_free(referrals_buffer *b) {
  free(b->data);
  referrals_buffer_init(b);
}
