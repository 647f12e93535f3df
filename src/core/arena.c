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
  block *head; /* current (newest, largest) block; older ones follow through next */
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

/* Bump allocation without zeroing. */
static void *arena_take(referrals_arena *a, size_t size) {
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
  return p;
}

void *referrals_arena_alloc(referrals_arena *a, size_t size) {
  void *p = arena_take(a, size);
  if (p) memset(p, 0, size);
  return p;
}

void *referrals_arena_alloc_uninit(referrals_arena *a, size_t size) { return arena_take(a, size); }

char *referrals_arena_strdup(referrals_arena *a, const char *s, size_t len) {
  char *p = arena_take(a, len + 1);
  if (!p) return NULL;
  if (len) memcpy(p, s, len);
  p[len] = '\0';
  return p;
}

/* Keeps the newest block, the largest, so a steady workload soon allocates nothing per
 * call; but not one past KEEP_AT_MOST, so one huge document does not pin its memory. */
#define KEEP_AT_MOST (1u << 20)

void referrals_arena_reset(referrals_arena *a) {
  block *keep = a->head, *b = keep->next;
  if (keep->size > KEEP_AT_MOST) { /* keep the first, smallest block instead */
    while (keep->next) {
      block *next = keep->next;
      free(keep);
      keep = next;
    }
    b = NULL;
  }
  while (b) {
    block *next = b->next;
    free(b);
    b = next;
  }
  keep->next = NULL;
  keep->used = 0;
  a->head = keep;
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
