/*
 * arena.c: the bump allocator behind every decoded or converted referral. One operation's
 * structs, strings and arrays share an arena and are freed together, so no error path has
 * to walk a half-built tree to free it.
 */
#include <stdlib.h>
#include <string.h>

#include "referrals.h"

#define FIRST_BLOCK 8192 /* holds a documented referral (about 2.3 KB of JSON) with room */

typedef struct block {
  struct block *next;
  size_t size;
  size_t used;
  /* data follows, max_align_t-aligned */
} block;

struct referrals_arena {
  block *head; /* current block; the first block allocated stays at the tail */
};

#define HEADER ((sizeof(block) + 15) & ~(size_t)15)

static block *block_new(size_t size) {
  block *b = malloc(HEADER + size);
  if (!b) return NULL;
  b->next = NULL;
  b->size = size;
  b->used = 0;
  return b;
}

referrals_arena *referrals_arena_new(void) {
  referrals_arena *a = malloc(sizeof *a);
  if (!a) return NULL;
  a->head = block_new(FIRST_BLOCK);
  if (!a->head) {
    free(a);
    return NULL;
  }
  return a;
}

void *referrals_arena_alloc(referrals_arena *a, size_t size) {
  size = (size + 15) & ~(size_t)15;
  block *b = a->head;
  if (b->size - b->used < size) {
    size_t want = b->size * 2;
    if (want < size) want = size;
    block *nb = block_new(want);
    if (!nb) return NULL;
    nb->next = b;
    a->head = b = nb;
  }
  void *p = (char *)b + HEADER + b->used;
  b->used += size;
  memset(p, 0, size);
  return p;
}

char *referrals_arena_strdup(referrals_arena *a, const char *s, size_t len) {
  char *p = referrals_arena_alloc(a, len + 1);
  if (!p) return NULL;
  if (len) memcpy(p, s, len);
  p[len] = '\0';
  return p;
}

/* Keeps only the first (smallest) block, so a steady workload allocates nothing per call. */
void referrals_arena_reset(referrals_arena *a) {
  block *b = a->head;
  while (b->next) {
    block *next = b->next;
    free(b);
    b = next;
  }
  b->used = 0;
  a->head = b;
}

void referrals_arena_free(referrals_arena *a) {
  if (!a) return;
  block *b = a->head;
  while (b) {
    block *next = b->next;
    free(b);
    b = next;
  }
  free(a);
}
