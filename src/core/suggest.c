/*
 * suggest.c: "did you mean ...?" for a key a type does not have, or a value an enum does not
 * list. Integrations get a few keys
 * wrong again and again (spec §6, §7): the docs' property tables name fields differently from
 * the wire, .NET serializers write PascalCase, and some keys are plain guesses. Those known
 * mistakes are a table; everything else is matched against the type's own keys.
 */
#include <stddef.h>
#include <string.h>

#include "referrals.h"

#define MAX_DISTANCE 2u
#define MAX_KEY 64u /* longer than any wire key; bounds the distance rows */

typedef struct known_mistake {
  const referrals_type *type;
  const char *key;   /* matched ignoring case */
  const char *right; /* the key, or the path from the type, that was meant */
} known_mistake;

/* Only what matching the type's keys cannot find: a PascalCase key such as "Substatus",
 * "StatusReason", "ETag", "Id", "EngagementId", "Target" or "ConsentToToShareInfoWithOthers"
 * (spec §7.2, §7.3) is found by ignoring case. */
static const known_mistake known_mistakes[] = {
    /* The docs' property table names the type, the wire key is type (spec §2.1, §6 pitfall 2). */
    {&referrals_type_referral, "ReferralType", "type"},
    /* Docs' type name of target, which is an array (spec §7.2). */
    {&referrals_type_referral, "ReferralTarget", "target"},
    /* A Python integration's keys (spec §6); the date and amount belong in details. */
    {&referrals_type_referral, "closeDate", "details.closingDateTime"},
    {&referrals_type_referral, "closingDate", "details.closingDateTime"},
    {&referrals_type_referral, "closingDateTime", "details.closingDateTime"},
    {&referrals_type_referral, "dealValue", "details.dealValue"},
    {&referrals_type_member, "emailAddress", "email"},
    {&referrals_type_member, "phone", "phoneNumber"},
    /* The connector's descriptions drop the double "To" of the real key (spec §2.5, §7.6). */
    {&referrals_type_consent, "consentToShareInfoWithOthers", "consentToToShareInfoWithOthers"},
    /* The G1 table calls the solution's type SolutionType; the newer solutionType is another
     * field, a plain string such as "3P" (spec §2.7, §7.2). */
    {&referrals_type_solution_tag, "SolutionType", "type"},
};

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c; }

static int same_ignoring_case(const char *a, size_t alen, const char *b, size_t blen) {
  if (alen != blen) return 0;
  for (size_t i = 0; i < alen; i++) {
    if (lower((unsigned char)a[i]) != lower((unsigned char)b[i])) return 0;
  }
  return 1;
}

/* Damerau-Levenshtein distance in its optimal string alignment form (a transposition of two
 * neighbours counts 1), ignoring case, so 0 means equal but for case. m <= MAX_KEY. */
static size_t osa_distance(const char *a, size_t n, const char *b, size_t m) {
  size_t rows[3][MAX_KEY + 1]; /* rows i-2, i-1 and i of the table, used in turn */
  for (size_t j = 0; j <= m; j++) rows[0][j] = j;
  for (size_t i = 1; i <= n; i++) {
    size_t *cur = rows[i % 3], *prev = rows[(i - 1) % 3], *prev2 = rows[(i + 1) % 3];
    cur[0] = i;
    for (size_t j = 1; j <= m; j++) {
      int ai = lower((unsigned char)a[i - 1]), bj = lower((unsigned char)b[j - 1]);
      size_t best = prev[j - 1] + (ai != bj);
      if (prev[j] + 1 < best) best = prev[j] + 1;
      if (cur[j - 1] + 1 < best) best = cur[j - 1] + 1;
      if (i > 1 && j > 1 && ai == lower((unsigned char)b[j - 2]) &&
          lower((unsigned char)a[i - 2]) == bj && prev2[j - 2] + 1 < best)
        best = prev2[j - 2] + 1;
      cur[j] = best;
    }
  }
  return rows[n % 3][m];
}

/* The search for the candidate nearest to a word: keys of a type, values of an enum. */
typedef struct nearest_candidate {
  const char *word;
  size_t len;
  const char *best;
  size_t best_distance;
} nearest_candidate;

static void consider(nearest_candidate *n, const char *cand, size_t cand_len) {
  /* A distance is at least the difference of the lengths: skip what cannot be near. */
  if (cand_len > MAX_KEY || n->len > MAX_KEY || n->len > cand_len + MAX_DISTANCE ||
      cand_len > n->len + MAX_DISTANCE)
    return;
  size_t d = osa_distance(n->word, n->len, cand, cand_len);
  /* Too far to mean it, or as far as half the word: "ix" is not a typo of "id". */
  if (d < n->best_distance && 2 * d < n->len) {
    n->best = cand;
    n->best_distance = d;
  }
}

const char *referrals_suggest_key(const referrals_type *t, const char *key, size_t len) {
  /* A right key is its own answer, before the table: SolutionType is a mistake, solutionType
   * a field of its own. */
  const referrals_field *exact = referrals_field_find(t, key, len, NULL);
  if (exact) return exact->key;
  for (size_t i = 0; i < sizeof known_mistakes / sizeof known_mistakes[0]; i++) {
    const known_mistake *k = &known_mistakes[i];
    if (k->type == t && same_ignoring_case(k->key, strlen(k->key), key, len)) return k->right;
  }
  /* The nearest key; distance 0, the same key in another case, wins over any typo. */
  nearest_candidate n = {key, len, NULL, MAX_DISTANCE + 1};
  for (unsigned i = 0; i < t->nfields; i++) consider(&n, t->fields[i].key, t->fields[i].key_len);
  return n.best;
}

const char *referrals_suggest_value(const referrals_enum *e, const char *value, size_t len) {
  nearest_candidate n = {value, len, NULL, MAX_DISTANCE + 1};
  for (unsigned i = 0; i < e->count; i++) consider(&n, e->values[i], strlen(e->values[i]));
  return n.best;
}
