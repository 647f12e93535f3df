/*
 * examples/c/create.c: the C core without Lua. Builds a private-deal referral
 * member by member, validates it for create and prints the JSON body that would be POSTed.
 *   cc create.c $(pkg-config --cflags --libs referrals)   (or see CMakeLists.txt)
 */
#include <stdio.h>

#include "referrals.h"

int main(void) {
  referrals_arena *arena = referrals_arena_new();
  if (!arena) return 1;
  referrals_referral *ref = referrals_new(arena, &referrals_type_referral);
  referrals_customer_profile *customer = referrals_new(arena, &referrals_type_customer_profile);
  referrals_consent *consent = referrals_new(arena, &referrals_type_consent);
  referrals_details *details = referrals_new(arena, &referrals_type_details);
  if (!ref || !customer || !consent || !details) return 1;

  ref->name = referrals_string("Contoso supply chain");
  ref->type = referrals_string("Independent");
  ref->target = referrals_array(arena, NULL, 0); /* a private deal targets nobody */
  customer->name = referrals_string("Contoso Customer Inc");
  customer->size = referrals_string("10to50employees");
  ref->customerProfile = referrals_object(customer);
  consent->consentToShareReferralWithMicrosoftSellers = referrals_bool(0);
  ref->consent = referrals_object(consent);
  details->dealValue = referrals_integer(50000);
  details->currency = referrals_string("USD");
  details->closingDateTime = referrals_string("2018-11-14T00:00:00Z");
  ref->details = referrals_object(details);

  referrals_error err;
  referrals_error_clear(&err);
  referrals_buffer body;
  referrals_buffer_init(&body);
  int rc = referrals_validate(ref, REFERRALS_MODE_CREATE, &err);
  if (rc == REFERRALS_OK) rc = referrals_encode(&referrals_type_referral, ref, &body, &err);
  if (rc == REFERRALS_OK)
    printf("%s\n", body.data);
  else
    fprintf(stderr, "%s error (%s): %s\n", referrals_category_name(err.category), err.code,
            err.message);

  /* The same referral with a status that does not go with its substatus. */
  ref->status = referrals_string("Active");
  ref->substatus = referrals_string("Won");
  if (referrals_validate(ref, REFERRALS_MODE_CREATE, &err) != REFERRALS_OK)
    printf("refused: %s\n", err.message);

  referrals_buffer_free(&body);
  referrals_arena_free(arena);
  return rc == REFERRALS_OK ? 0 : 1;
}
