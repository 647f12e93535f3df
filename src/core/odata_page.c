/*
 * odata_page.c: the descriptor of the OData collection a list returns (spec §1.2), so that
 * referrals_decode reads a page -- and every referral in it -- in its one pass, as it reads
 * a single referral. Its keys are not C identifiers and it is no resource of spec §2, which
 * is why it is described here and not in referrals_schema.h.
 */
#include <limits.h>
#include <stddef.h>

#include "referrals_client.h"

#define MEMBER(k, kind_, type_)                                            \
  {                                                                        \
    .key = k, .quoted_key = "\"" k "\":", .key_len = sizeof(k) - 1,        \
    .kind = REFERRALS_KIND_##kind_, .flags = REFERRALS_F_RO, .type = type_ \
  }

static const referrals_field page_fields[] = {
    MEMBER("@odata.context", STRING, NULL),
    MEMBER("@odata.count", NUMBER, NULL),
    MEMBER("value", OBJECT_ARRAY, &referrals_type_referral),
    MEMBER("@odata.nextLink", STRING, NULL),
};

/* referrals_decode finds a member's value by its field's index (REFERRALS_FIELD_VALUE). */
typedef char
    page_layout_check[offsetof(referrals_page, unknown) ==
                              sizeof page_fields / sizeof page_fields[0] * sizeof(referrals_value)
                          ? 1
                          : -1];

/* index UINT_MAX: not in referrals_all_types, so the Lua walkers (which index their key
 * tables by it) never take a page; the binding pushes its items one by one. */
const referrals_type referrals_type_page = {UINT_MAX,
                                            "page",
                                            "ReferralCollection",
                                            sizeof(referrals_page),
                                            page_fields,
                                            sizeof page_fields / sizeof page_fields[0]};
