/*
 * referrals_schema.h: the one description of the Partner Center Referrals resources.
 *
 * Every resource of the API reference (shared/spec/partner-referrals-api.md, cited as
 * "spec §N") is one X-macro list below; every enum is one list of values. The C structs of
 * referrals.h and the descriptor tables of src/core/schema.c are both generated from these lists,
 * so adding a field is one line here. The walkers (JSON <-> struct, Lua <-> struct,
 * validation) only read the descriptors.
 *
 * Members are listed in the order the service writes them (the documented create request
 * and response, then the members seen in real responses), so encode writes the documented
 * request byte for byte and decode finds most keys at the first place it looks.
 *
 * A field line is  F(name, KIND, sub, flags)  where name is the wire key (camelCase,
 * exactly as on the wire), KIND one of STRING DATETIME BOOL NUMBER ENUM OBJECT JSON
 * OBJECT_ARRAY STRING_ARRAY, sub the enum or struct it refers to (or _ for none), and
 * flags a | of REFERRALS_F_* (or 0). FK(cname, "key", ...) is the same for a wire key that
 * is no C identifier.
 */
#ifndef REFERRALS_SCHEMA_H
#define REFERRALS_SCHEMA_H

/* The lists are tables, one entry a line: clang-format would fold them into staircases. */
/* clang-format off */

/* Field flags. */
#define REFERRALS_F_REQUIRED 0x01  /* required on create (spec §1.4) */
#define REFERRALS_F_RO 0x02       /* set by the server; rejected on create (spec §2, "RO") */
#define REFERRALS_F_PATCH 0x04     /* a PATCH path may end here (spec §1.5) */

/* ---- enums (spec §2.2) ---------------------------------------------------------------- */

#define REFERRALS_ENUM_type(V, e) V(e, Shared) V(e, Independent)
#define REFERRALS_ENUM_status(V, e) V(e, None) V(e, New) V(e, Active) V(e, Closed)
#define REFERRALS_ENUM_substatus(V, e) \
  V(e, None) V(e, Pending) V(e, Received) V(e, Accepted) V(e, Won) V(e, Lost) V(e, Declined) V(e, Expired)
#define REFERRALS_ENUM_qualification(V, e) V(e, None) V(e, Direct) V(e, MarketingQualified) V(e, SalesQualified)
#define REFERRALS_ENUM_direction(V, e) V(e, Incoming) V(e, Outgoing)
#define REFERRALS_ENUM_sales_stage(V, e) V(e, Qualify) V(e, Develop) V(e, Propose) V(e, Close)
#define REFERRALS_ENUM_assistance_request_code(V, e)                                        \
  V(e, Unknown) V(e, GeneralOrOther) V(e, CustomerTechnicalArchitecture) V(e, ProofOfConceptOrDemo) \
  V(e, QuotesOrLicensing) V(e, PostSalesCustomerSuccess) V(e, WorkloadSpecificValueProposition)
#define REFERRALS_ENUM_target_type(V, e) V(e, None) V(e, BusinessProfileLocation) V(e, SolutionProfile)
#define REFERRALS_ENUM_solution_type(V, e) V(e, None) V(e, Category) V(e, Name)
#define REFERRALS_ENUM_customer_size(V, e)                                                  \
  V(e, 1to50employees) V(e, 51to500employees) V(e, Morethan500employees) V(e, 1to9employees)         \
  V(e, 10to50employees) V(e, 51to250employees) V(e, 251to1000employees) V(e, 1001to5000employees)   \
  V(e, 5001to10000employees) V(e, 10001to20000employees) V(e, Morethan20000employees)
#define REFERRALS_ENUM_profile_type(V, e) V(e, Duns) V(e, External)
#define REFERRALS_ENUM_registration_type(V, e) V(e, AzureIPCoSell)
#define REFERRALS_ENUM_deployment_on(V, e) V(e, Customer) V(e, Partner)
#define REFERRALS_ENUM_pricing_model(V, e) V(e, PayAsYouGo) V(e, Other)
#define REFERRALS_ENUM_contract_term(V, e) V(e, Perpetual) V(e, Finite)

/* Every enum: E(name, LuaTableName). The Lua name is the table referrals.<LuaTableName>. */
#define REFERRALS_ENUMS(E)                                                        \
  E(type, Type) E(status, Status) E(substatus, Substatus)                        \
  E(qualification, Qualification) E(direction, Direction)                       \
  E(sales_stage, SalesStage) E(assistance_request_code, AssistanceRequestCode)   \
  E(target_type, TargetType) E(solution_type, SolutionType)                     \
  E(customer_size, CustomerSize) E(profile_type, ProfileType)                   \
  E(registration_type, RegistrationType) E(deployment_on, DeploymentOn)         \
  E(pricing_model, PricingModel) E(contract_term, ContractTerm)

/* ---- resources (spec §2) ----------------------------------------------------------------
 * Listed leaves first; REFERRALS_TYPES at the end names them all. */

/* spec §2.3 Address */
#define REFERRALS_FIELDS_address(F, FK) \
  F(addressLine1, STRING, _, 0)         \
  F(addressLine2, STRING, _, 0)         \
  F(city, STRING, _, 0)                 \
  F(state, STRING, _, 0)                \
  F(postalCode, STRING, _, 0)           \
  F(country, STRING, _, 0)              \
  F(region, STRING, _, 0)

/* spec §2.3 CustomerProfileId */
#define REFERRALS_FIELDS_customer_profile_id(F, FK) \
  F(profileType, ENUM, profile_type, 0)             \
  F(id, STRING, _, 0)

/* spec §2.4 ContactPreference */
#define REFERRALS_FIELDS_contact_preference(F, FK) \
  F(locale, STRING, _, 0)                          \
  F(disableNotifications, BOOL, _, 0)

/* spec §2.4 Member */
#define REFERRALS_FIELDS_member(F, FK)                     \
  F(contactPreference, OBJECT, contact_preference, 0)      \
  F(firstName, STRING, _, 0)                               \
  F(lastName, STRING, _, 0)                                \
  F(phoneNumber, STRING, _, 0)                             \
  F(email, STRING, _, 0)                                   \
  F(title, STRING, _, 0)                                   \
  F(emailValidationStatus, STRING, _, REFERRALS_F_RO) \
  F(phoneValidationStatus, STRING, _, REFERRALS_F_RO)

/* spec §2.3 CustomerProfile; only team is patchable (spec §1.5) */
#define REFERRALS_FIELDS_customer_profile(F, FK)               \
  F(name, STRING, _, 0)                                        \
  F(address, OBJECT, address, 0)                               \
  F(size, ENUM, customer_size, 0)                              \
  F(team, OBJECT_ARRAY, member, REFERRALS_F_PATCH)             \
  F(ids, OBJECT_ARRAY, customer_profile_id, 0)                 \
  F(isMatchingComplete, BOOL, _, REFERRALS_F_RO)

/* spec §2.5 Consent: the double "To" of consentToToShareInfoWithOthers is the real key. */
#define REFERRALS_FIELDS_consent(F, FK)                                \
  F(consentToToShareInfoWithOthers, BOOL, _, 0)                        \
  F(consentToContact, BOOL, _, 0)                                      \
  F(consentToShareReferralWithMicrosoftSellers, BOOL, _, REFERRALS_F_PATCH) \
  F(consentToMicrosoftToContactSpecificPartners, BOOL, _, 0)

/* spec §2.7 Tag: industries, products, services, offers, salesPlays */
#define REFERRALS_FIELDS_tag(F, FK) F(id, STRING, _, 0)

/* spec §2.7 SolutionTag */
#define REFERRALS_FIELDS_solution_tag(F, FK) \
  F(name, STRING, _, 0)                      \
  F(type, ENUM, solution_type, 0)            \
  F(id, STRING, _, 0)                        \
  F(price, NUMBER, _, 0)                     \
  F(quantity, NUMBER, _, 0)                  \
  F(currency, STRING, _, 0)                  \
  F(publisherName, STRING, _, 0)             \
  F(solutionType, STRING, _, 0)              \
  F(closingDateTime, DATETIME, _, 0)

/* spec §2.7 additionalRequirements.iot */
#define REFERRALS_FIELDS_iot(F, FK)           \
  F(customerLicenseAgreementNumber, STRING, _, 0) \
  F(deviceCategory, STRING, _, 0)             \
  F(siliconType, STRING, _, 0)                \
  F(azureCertifiedDevice, BOOL, _, 0)         \
  F(attachServices, BOOL, _, 0)

/* spec §2.7 additionalRequirements.attributes[] ({"id":"HaveNotDecided","type":"CustomerMarketplaceIntent"}) */
#define REFERRALS_FIELDS_requirement_attribute(F, FK) \
  F(id, STRING, _, 0)                                 \
  F(type, STRING, _, 0)

/* spec §2.7 additionalRequirements */
#define REFERRALS_FIELDS_additional_requirements(F, FK) \
  F(iot, OBJECT, iot, 0)                                \
  F(attributes, OBJECT_ARRAY, requirement_attribute, 0)

/* spec §2.7 ReferralRequirements */
#define REFERRALS_FIELDS_requirements(F, FK)                       \
  F(industries, OBJECT_ARRAY, tag, 0)                              \
  F(products, OBJECT_ARRAY, tag, 0)                                \
  F(services, OBJECT_ARRAY, tag, 0)                                \
  F(solutions, OBJECT_ARRAY, solution_tag, REFERRALS_F_PATCH)      \
  F(offers, OBJECT_ARRAY, tag, 0)                                  \
  F(salesPlays, OBJECT_ARRAY, tag, 0)                              \
  F(additionalRequirements, OBJECT, additional_requirements, 0)

/* spec §2.6 ReferralDetails */
#define REFERRALS_FIELDS_details(F, FK)                        \
  F(notes, STRING, _, REFERRALS_F_PATCH)                       \
  F(dealValue, NUMBER, _, REFERRALS_F_PATCH)                   \
  F(currency, STRING, _, REFERRALS_F_PATCH)                    \
  F(closingDateTime, DATETIME, _, REFERRALS_F_PATCH)           \
  F(requirements, OBJECT, requirements, 0)                     \
  F(customerRequestedContact, BOOL, _, REFERRALS_F_RO)  \
  F(customerAction, STRING, _, REFERRALS_F_RO)          \
  F(incentiveLevel, JSON, _, REFERRALS_F_RO)

/* spec §2.8 inviteContext.invitedBy. The server fills it; the documented create request
 * still sends {"organizationId":"msft"} (spec §7.18), so it is accepted on create. */
#define REFERRALS_FIELDS_organization(F, FK) \
  F(organizationId, STRING, _, 0)            \
  F(organizationName, STRING, _, 0)

/* spec §2.8 InviteContext */
#define REFERRALS_FIELDS_invite_context(F, FK)                    \
  F(notes, STRING, _, 0)                                          \
  F(invitedBy, OBJECT, organization, 0)                           \
  F(assistanceRequestCode, ENUM, assistance_request_code, 0)      \
  F(invitedMpnId, STRING, _, REFERRALS_F_RO)

/* spec §2.9 ReferralTarget (items of the target array) */
#define REFERRALS_FIELDS_target(F, FK) \
  F(type, ENUM, target_type, 0)        \
  F(id, STRING, _, 0)

/* spec §2.10 one link of Links; G0 links also carried "headers": [] */
#define REFERRALS_FIELDS_link(F, FK) \
  F(uri, STRING, _, 0)               \
  F(method, STRING, _, 0)            \
  F(headers, JSON, _, 0)

/* spec §2.10 Links */
#define REFERRALS_FIELDS_links(F, FK)   \
  F(relatedReferrals, OBJECT, link, 0)  \
  F(self, OBJECT, link, 0)

/* spec §2.11 TrackingInfo */
#define REFERRALS_FIELDS_tracking_info(F, FK) \
  F(microsoftMsxId, STRING, _, 0)             \
  F(microsoftUSFedOpportunityId, STRING, _, 0) \
  F(microsoftUSFedLeadId, STRING, _, 0)       \
  F(migratedPSCDealId, STRING, _, 0)          \
  F(migratedPSCPartnerDealId, STRING, _, 0)

/* spec §2.12 Registration.contract; its members are patchable (spec §1.5, deal registration) */
#define REFERRALS_FIELDS_contract(F, FK)                 \
  F(value, NUMBER, _, REFERRALS_F_PATCH)                 \
  F(currency, STRING, _, REFERRALS_F_PATCH)              \
  F(startDateTime, DATETIME, _, REFERRALS_F_PATCH)       \
  F(endDateTime, DATETIME, _, REFERRALS_F_PATCH)         \
  F(signDateTime, DATETIME, _, REFERRALS_F_PATCH)        \
  F(term, ENUM, contract_term, REFERRALS_F_PATCH)

/* spec §2.12 solutionDetails[].marketplaceTransactionDetails */
#define REFERRALS_FIELDS_marketplace_transaction(F, FK)        \
  F(isMarketplaceTransacted, BOOL, _, REFERRALS_F_PATCH)       \
  F(marketplaceTransactionDateTime, DATETIME, _, REFERRALS_F_PATCH)

/* spec §2.12 Registration.solutionDetails[] */
#define REFERRALS_FIELDS_solution_detail(F, FK)                                   \
  F(id, STRING, _, 0)                                                             \
  F(name, STRING, _, 0)                                                           \
  F(value, NUMBER, _, REFERRALS_F_PATCH)                                          \
  F(currency, STRING, _, REFERRALS_F_PATCH)                                       \
  F(isDeployedOnAzure, BOOL, _, REFERRALS_F_PATCH)                                \
  F(primaryDeploymentOn, ENUM, deployment_on, REFERRALS_F_PATCH)                  \
  F(pricingModel, ENUM, pricing_model, REFERRALS_F_PATCH)                         \
  F(marketplaceTransactionDetails, OBJECT, marketplace_transaction, 0)

/* spec §2.12 Registration.statusHistory */
#define REFERRALS_FIELDS_status_history(F, FK) \
  F(reviewPendingDateTime, DATETIME, _, 0)     \
  F(actionRequiredDateTime, DATETIME, _, 0)    \
  F(passedDateTime, DATETIME, _, 0)            \
  F(failedDateTime, DATETIME, _, 0)            \
  F(approvedDateTime, DATETIME, _, 0)

/* spec §2.12 Registration (items of registrations) */
#define REFERRALS_FIELDS_registration(F, FK)                \
  F(id, STRING, _, 0)                                       \
  F(type, ENUM, registration_type, 0)                       \
  F(registrationDateTime, DATETIME, _, 0)                   \
  F(status, STRING, _, 0)                                   \
  F(statusReason, STRING, _, 0)                             \
  F(contract, OBJECT, contract, 0)                          \
  F(solutionDetails, OBJECT_ARRAY, solution_detail, 0)      \
  F(statusHistory, OBJECT, status_history, 0)

/* spec §2.1 Referral. engagementId is not read-only: the connected half of a shared referral
 * carries the first half's engagementId (spec §3.2). */
#define REFERRALS_FIELDS_referral(F, FK) \
  FK(odataContext, "@odata.context", STRING, _, REFERRALS_F_RO)                 \
  F(id, STRING, _, REFERRALS_F_RO)                                              \
  F(engagementId, STRING, _, 0)                                                 \
  F(organizationId, STRING, _, REFERRALS_F_RO)                                  \
  F(organizationName, STRING, _, REFERRALS_F_RO)                                \
  F(externalReferenceId, STRING, _, REFERRALS_F_PATCH)                          \
  F(name, STRING, _, 0)                                                         \
  F(status, ENUM, status, REFERRALS_F_PATCH)                                    \
  F(substatus, ENUM, substatus, REFERRALS_F_PATCH)                              \
  F(statusReason, STRING, _, REFERRALS_F_PATCH)                                 \
  F(qualification, ENUM, qualification, 0)                                      \
  F(type, ENUM, type, REFERRALS_F_REQUIRED)                                     \
  F(target, OBJECT_ARRAY, target, 0)                                            \
  F(customerProfile, OBJECT, customer_profile, REFERRALS_F_REQUIRED)            \
  F(consent, OBJECT, consent, REFERRALS_F_REQUIRED)                             \
  F(details, OBJECT, details, REFERRALS_F_REQUIRED)                             \
  F(team, OBJECT_ARRAY, member, REFERRALS_F_PATCH)                              \
  F(inviteContext, OBJECT, invite_context, 0)                                   \
  F(createdDateTime, DATETIME, _, REFERRALS_F_RO)                               \
  F(updatedDateTime, DATETIME, _, REFERRALS_F_RO)                               \
  F(expirationDateTime, DATETIME, _, REFERRALS_F_RO)                            \
  F(eTag, STRING, _, REFERRALS_F_RO)                                            \
  F(links, OBJECT, links, REFERRALS_F_RO)                                       \
  F(lastModifiedVia, STRING, _, REFERRALS_F_RO)                                 \
  F(lastRunId, JSON, _, REFERRALS_F_RO)                                         \
  F(referralSource, STRING, _, REFERRALS_F_RO)                                  \
  F(favorite, BOOL, _, 0)                                                       \
  F(campaignId, STRING, _, REFERRALS_F_PATCH)                                   \
  F(salesStage, ENUM, sales_stage, REFERRALS_F_PATCH)                           \
  F(quality, STRING, _, REFERRALS_F_RO)                                         \
  F(isSpam, BOOL, _, REFERRALS_F_RO)                                            \
  F(direction, ENUM, direction, REFERRALS_F_RO)                                 \
  F(mpnId, STRING, _, REFERRALS_F_RO)                                           \
  F(referralProgram, STRING, _, REFERRALS_F_PATCH)                              \
  F(dealSensitivity, STRING, _, REFERRALS_F_RO)                                 \
  F(createdVia, STRING, _, REFERRALS_F_RO)                                      \
  F(tags, STRING_ARRAY, _, REFERRALS_F_RO)                                      \
  F(acceptedDateTime, DATETIME, _, REFERRALS_F_RO)                              \
  F(closedDateTime, DATETIME, _, REFERRALS_F_RO)                                \
  F(callToAction, STRING, _, REFERRALS_F_RO)                                    \
  F(registrationStatus, STRING, _, REFERRALS_F_RO)                              \
  F(trackingInfo, OBJECT, tracking_info, REFERRALS_F_RO)                        \
  F(registrations, OBJECT_ARRAY, registration, REFERRALS_F_RO | REFERRALS_F_PATCH)\
  F(attributes, JSON, _, REFERRALS_F_RO)                                        \
  F(exception, JSON, _, REFERRALS_F_RO)

/* Every resource: T(name, "WireName"). */
#define REFERRALS_TYPES(T)                                                           \
  T(address, "Address") T(customer_profile_id, "CustomerProfileId")                  \
  T(contact_preference, "ContactPreference") T(member, "Member")                     \
  T(customer_profile, "CustomerProfile") T(consent, "Consent") T(tag, "Tag")         \
  T(solution_tag, "SolutionTag") T(iot, "Iot")                                       \
  T(requirement_attribute, "RequirementAttribute")                                   \
  T(additional_requirements, "AdditionalRequirements")                               \
  T(requirements, "ReferralRequirements") T(details, "ReferralDetails")              \
  T(organization, "Organization") T(invite_context, "InviteContext")                 \
  T(target, "ReferralTarget") T(link, "Link") T(links, "Links")                      \
  T(tracking_info, "TrackingInfo") T(contract, "Contract")                           \
  T(marketplace_transaction, "MarketplaceTransactionDetails")                        \
  T(solution_detail, "SolutionDetail") T(status_history, "StatusHistory")            \
  T(registration, "Registration") T(referral, "Referral")

/* clang-format on */

#endif
