// The GS1 Lightweight Messaging Standard for Verification of Product Identifiers (1.0.2, as
// GS1 US's DSCSA guideline 1.3 profiles it) on the front door: a conformance test of request
// parsing and of the response against the message's schema (fields, types, the standard's
// failure reasons and additional-info codes), then every answer against the real server with
// curl: verified, each failure reason, recalled, stolen, expired, an extended expiry, and the
// callers it refuses (anonymous, unknown token, a consumer app, another brand's issuer, a
// partner over its rate limit).
#include <grpcpp/grpcpp.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hallmark/v1/stolen_registry.grpc.pb.h"
#include "server/verification/identifier_check.h"
#include "server/web/verification_service.h"
#include "tests/common/harness_test.h"
#include "tests/common/subprocess.h"

namespace hallmark::testing {
namespace {

using ::testing::HasSubstr;
using verification::CheckIdentifier;
using verification::IdentifierCheck;
using verification::ProductIdentifier;
using web::ParseVerificationQuery;

constexpr char kGln[] = "0950600013439";  // the responder (valid GS1 check digit)
constexpr char kUuid[] = "9b0e8c1a-4f7e-4a53-9c1d-2f6b3e8a7d10";

// The response schema (GS1 US DSCSA guideline's OpenAPI, as published in its examples): the
// top-level and data fields, and the values verificationFailureReason and additionalInfo take.
const std::set<std::string> kTopFields = {"verificationTimestamp", "responderGLN", "data",
                                          "corrUUID"};
const std::set<std::string> kDataFields = {"verified", "verificationFailureReason",
                                           "additionalInfo"};
const std::set<std::string> kFailureReasons = {
    "No_match_GTIN_Serial", "No_match_GTIN_Serial_Lot", "No_match_GTIN_Serial_Expiry",
    "No_match_GTIN_Serial_Lot_Expiry", "No_reason_provided", "Manufacturer_policy",
    "Not_for_re-distribution"};
const std::set<std::string> kAdditionalInfo = {"Expired", "ExpirationExtended", "Recalled",
                                               "Suspect", "Illegitimate"};

// Checks `json` against the schema; returns the parsed message.
google::protobuf::Struct ConformingResponse(const std::string& json) {
  google::protobuf::Struct s;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &s).ok()) << json;
  for (const auto& [k, v] : s.fields()) EXPECT_TRUE(kTopFields.count(k)) << "field " << k;
  EXPECT_TRUE(s.fields().count("verificationTimestamp"));
  const std::string ts = s.fields().at("verificationTimestamp").string_value();
  // ISO 8601 UTC with milliseconds: 2026-12-01T10:00:00.000Z
  EXPECT_EQ(ts.size(), 24u) << ts;
  EXPECT_TRUE(absl::EndsWith(ts, "Z") && ts[10] == 'T' && ts[19] == '.') << ts;
  EXPECT_EQ(s.fields().at("responderGLN").string_value().size(), 13u);
  const google::protobuf::Struct& data = s.fields().at("data").struct_value();
  for (const auto& [k, v] : data.fields()) EXPECT_TRUE(kDataFields.count(k)) << "data." << k;
  EXPECT_EQ(data.fields().at("verified").kind_case(), google::protobuf::Value::kBoolValue);
  const bool verified = data.fields().at("verified").bool_value();
  EXPECT_EQ(data.fields().count("verificationFailureReason"), verified ? 0u : 1u)
      << "a reason exactly when not verified";
  if (!verified) {
    EXPECT_TRUE(kFailureReasons.count(
        data.fields().at("verificationFailureReason").string_value()));
  }
  if (data.fields().count("additionalInfo")) {
    EXPECT_TRUE(kAdditionalInfo.count(data.fields().at("additionalInfo").string_value()));
  }
  return s;
}

TEST(VerificationQueryTest, ParsesTheStandardsRequestInBothForms) {
  absl::StatusOr<web::VerificationQuery> q = ParseVerificationQuery(absl::StrCat(
      "/vrs/gtin/09506000134352/lot/B%2F1/ser/ABC123?exp=281130&linkType=verificationService"
      "&context=dscsaSaleableReturn&reqGLN=",
      kGln, "&corrUUID=", kUuid, "&ctrlPossessAtt=true"));
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(q->pi.gtin, "09506000134352");
  EXPECT_EQ(q->pi.lot, "B/1");
  EXPECT_EQ(q->pi.serial, "ABC123");
  EXPECT_EQ(q->pi.expiry, "281130");
  EXPECT_EQ(q->context, "dscsaSaleableReturn");
  EXPECT_EQ(q->req_gln, kGln);
  EXPECT_EQ(q->corr_uuid, kUuid);
  // The numeric Digital Link form, a GTIN-13, the gs1: prefix.
  q = ParseVerificationQuery(
      "/01/9506000134352/10/B1/21/ABC123?17=281130&linkType=gs1%3AverificationService");
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(q->pi.gtin, "09506000134352");
  EXPECT_EQ(q->pi.expiry, "281130");
  EXPECT_TRUE(web::IsVerificationServiceRequest("/gtin/1/ser/2?linkType=verificationService"));
  EXPECT_FALSE(web::IsVerificationServiceRequest(
      "/01/09506000134352/21/A?8030=AAAA&linkType=gs1:verificationService"));  // a scanned code
  EXPECT_FALSE(web::IsVerificationServiceRequest("/01/09506000134352/21/A?linkType=gs1:pip"));
}

TEST(VerificationQueryTest, AMalformedRequestNamesItsParameter) {
  const std::string base = "/gtin/09506000134352/lot/B1/ser/ABC123?linkType=verificationService";
  const struct {
    std::string uri;
    const char* message;
  } kCases[] = {
      {base + "&exp=280230", "exp: 2028-02 has no day 30"},
      {base + "&exp=2811", "exp: a GS1 date is YYMMDD"},
      {base + "&exp=281130&exp=281130", "exp: given twice"},
      {base + "&reqGLN=0950600013438", "reqGLN: the GLN's GS1 check digit"},
      {base + "&reqGLN=123", "reqGLN: a GLN has 13 digits"},
      {base + "&corrUUID=not-a-uuid", "corrUUID: must be a UUID"},
      {base + "&context=a%20b", "context: 1..64"},
      {"/gtin/09506000134353/ser/A?linkType=verificationService", "gtin: GS1 check digit"},
      {"/gtin/09506000134352/lot/B1?linkType=verificationService", "ser: the serial is required"},
      {"/gtin/09506000134352/x/B1/ser/A?linkType=verificationService", "path: must end"},
      {"/gtin/09506000134352/ser/A%20B?linkType=verificationService", "ser: character ' '"},
      {"/gtin/09506000134352/ser/A?exp=281130", "linkType: required"},
  };
  for (const auto& c : kCases) {
    absl::StatusOr<web::VerificationQuery> q = ParseVerificationQuery(c.uri);
    EXPECT_EQ(q.status().code(), absl::StatusCode::kInvalidArgument) << c.uri;
    EXPECT_THAT(std::string(q.status().message()), HasSubstr(c.message)) << c.uri;
  }
}

TEST(IdentifierCheckTest, EveryAnswerOfTheStandard) {
  const absl::CivilDay today(2026, 12, 1);
  registry::VerifyRecord unit;
  unit.registered = true;
  unit.unit.lot = "B1";
  unit.unit.expiry = "281130";
  const ProductIdentifier pi{"09506000134352", "S", "B1", "281130"};
  const auto check = [&](ProductIdentifier p, registry::VerifyRecord r,
                         absl::string_view context = "") {
    return CheckIdentifier(p, context, r, {}, today);
  };
  const auto is = [](const IdentifierCheck& c, bool verified, const std::string& reason,
                     const std::string& info) {
    EXPECT_EQ(c.verified, verified);
    EXPECT_EQ(c.failure_reason, reason);
    EXPECT_EQ(c.additional_info, info);
  };
  is(check(pi, unit), true, "", "");
  is(check(pi, registry::VerifyRecord{}), false, "No_match_GTIN_Serial", "");
  is(check({pi.gtin, "S", "B2", "281130"}, unit), false, "No_match_GTIN_Serial_Lot", "");
  is(check({pi.gtin, "S", "B1", "281231"}, unit), false, "No_match_GTIN_Serial_Expiry", "");
  is(check({pi.gtin, "S", "B1", ""}, unit), false, "No_match_GTIN_Serial_Expiry", "");
  is(check({pi.gtin, "S", "B2", "281231"}, unit), false, "No_match_GTIN_Serial_Lot_Expiry", "");
  registry::VerifyRecord stolen = unit;
  stolen.stolen = registry::StolenFlag{"c", "a", 1, "p"};
  is(check(pi, stolen), false, "Not_for_re-distribution", "Illegitimate");
  registry::VerifyRecord recalled = unit;
  recalled.recalled = true;
  is(check(pi, recalled), true, "", "Recalled");
  is(check(pi, recalled, "dscsaSaleableReturn"), false, "Manufacturer_policy", "Recalled");
  registry::VerifyRecord gone = unit;
  gone.unit.status = registry::kStatusDecommissioned;
  gone.scans_after_decommission = 1;
  is(check(pi, gone), false, "Manufacturer_policy", "");
  registry::VerifyRecord cloned = unit;
  cloned.clone_evidence = 100;
  is(check(pi, cloned), false, "Not_for_re-distribution", "Suspect");
  registry::VerifyRecord old = unit;
  old.unit.expiry = "260100";
  is(check({pi.gtin, "S", "B1", "260100"}, old), true, "", "Expired");
  registry::VerifyRecord extended = unit;
  extended.unit.expiry = "290531";
  extended.former_expiries = {"281130"};
  is(check(pi, extended), true, "", "ExpirationExtended");
  // A former expiry later than the current one is no extension.
  // An extended date that has passed too: expired first.
  registry::VerifyRecord extended_past = unit;
  extended_past.unit.expiry = "261100";
  extended_past.former_expiries = {"260500"};
  is(check({pi.gtin, "S", "B1", "260500"}, extended_past), true, "", "Expired");
  registry::VerifyRecord shortened = unit;
  shortened.unit.expiry = "271130";
  shortened.former_expiries = {"281130"};
  is(check(pi, shortened), false, "No_match_GTIN_Serial_Expiry", "");
}

TEST(VerificationResponseTest, TheBodyFollowsTheSchema) {
  const absl::Time at = absl::FromUnixMillis(1800000000123);
  const std::string ok = web::VerificationResponseJson({true, "", ""}, kGln, kUuid, at);
  EXPECT_EQ(ok, absl::StrCat("{\"verificationTimestamp\":\"2027-01-15T08:00:00.123Z\","
                             "\"responderGLN\":\"",
                             kGln, "\",\"data\":{\"verified\":true},\"corrUUID\":\"", kUuid,
                             "\"}"));
  ConformingResponse(ok);
  ConformingResponse(web::VerificationResponseJson(
      {false, "Manufacturer_policy", "Recalled"}, kGln, "", at));
}

class VerificationServiceTest : public HarnessTest {
 protected:
  ServerHarness::Options HarnessOptions() override {
    ServerHarness::Options o;
    o.configure = [](api::ServerConfig* c) {
      c->http_listen = "127.0.0.1:0";
      c->responder_gln = kGln;
      c->http_client_rate = 1;  // burst 3: an address failing authentication is soon refused
    };
    return o;
  }

  using Http = HttpReply;

  // GET `target` with `principal`'s bearer token ("" for none, "?" for an unknown one).
  Http Get(const std::string& target, const std::string& principal) {
    std::string auth;
    if (principal == "?") auth = "-H 'Authorization: Bearer not-a-token' ";
    if (!principal.empty() && principal != "?") {
      auth = absl::StrCat("-H 'Authorization: Bearer ", h_->token(principal), "' ");
    }
    return Curl(h_->server().http_port(), target, "-H 'Accept: application/json' " + auth);
  }

  static std::string Target(const v1::IssuedUnit& u, const std::string& lot,
                            const std::string& exp, const std::string& extra = "") {
    return absl::StrCat("/gtin/", u.unit().gtin(), "/lot/", lot, "/ser/", u.unit().serial(),
                        "?exp=", exp, "&linkType=verificationService&reqGLN=", kGln,
                        "&corrUUID=", kUuid, extra);
  }

  // The data object of a 200 answer that conforms to the schema.
  google::protobuf::Struct Data(const Http& r) {
    EXPECT_EQ(r.status, 200) << r.head << r.body;
    EXPECT_THAT(r.head, HasSubstr("Content-Type: application/json"));
    google::protobuf::Struct s = ConformingResponse(r.body);
    EXPECT_EQ(s.fields().at("responderGLN").string_value(), kGln);
    EXPECT_EQ(s.fields().at("corrUUID").string_value(), kUuid);
    return s.fields().at("data").struct_value();
  }

  std::vector<v1::IssuedUnit> IssueDated(const std::string& rid, const std::string& lot,
                                         const std::string& exp, uint32_t count) {
    v1::IssueSerialsRequest r;
    r.set_gtin(kBrandGtin);
    r.set_lot(lot);
    r.set_expiry_date(exp);
    r.set_count(count);
    r.set_request_id(rid);
    v1::IssueSerialsResponse resp;
    EXPECT_TRUE(issuance_->IssueSerials(h_->Context(kIssuer).get(), r, &resp).ok());
    return {resp.units().begin(), resp.units().end()};
  }

  static std::string Str(const google::protobuf::Struct& d, const std::string& k) {
    return d.fields().count(k) ? d.fields().at(k).string_value() : "";
  }
};

TEST_F(VerificationServiceTest, APartnerGetsTheStandardsAnswerForEveryCase) {
  const std::vector<v1::IssuedUnit> u = IssueDated("vrs", "B1", "281130", 4);
  ASSERT_EQ(u.size(), 4u);
  // Positive, for each partner role.
  for (const char* who : {kRetailer, kPolice, kIssuer}) {
    const google::protobuf::Struct d = Data(Get(Target(u[0], "B1", "281130"), who));
    EXPECT_TRUE(d.fields().at("verified").bool_value()) << who;
  }
  // Each failure reason.
  const auto reason = [&](const std::string& target) {
    return Str(Data(Get(target, kRetailer)), "verificationFailureReason");
  };
  v1::IssuedUnit unknown = u[0];
  unknown.mutable_unit()->set_serial("NEVERISSUED1");
  EXPECT_EQ(reason(Target(unknown, "B1", "281130")), "No_match_GTIN_Serial");
  EXPECT_EQ(reason(Target(u[0], "B2", "281130")), "No_match_GTIN_Serial_Lot");
  EXPECT_EQ(reason(Target(u[0], "B1", "281231")), "No_match_GTIN_Serial_Expiry");
  EXPECT_EQ(reason(Target(u[0], "B2", "281231")), "No_match_GTIN_Serial_Lot_Expiry");
  // Recalled: verified with Recalled; refused for a saleable return by manufacturer policy.
  v1::RecallRequest recall;
  recall.set_gtin(kBrandGtin);
  *recall.add_units() = u[1].unit();
  recall.set_reason("sterility");
  recall.set_request_id("recall-1");
  v1::RecallResponse recalled;
  ASSERT_TRUE(lifecycle_->Recall(h_->Context(kIssuer).get(), recall, &recalled).ok());
  google::protobuf::Struct d = Data(Get(Target(u[1], "B1", "281130"), kRetailer));
  EXPECT_TRUE(d.fields().at("verified").bool_value());
  EXPECT_EQ(Str(d, "additionalInfo"), "Recalled");
  d = Data(Get(Target(u[1], "B1", "281130", "&context=dscsaSaleableReturn"), kRetailer));
  EXPECT_FALSE(d.fields().at("verified").bool_value());
  EXPECT_EQ(Str(d, "verificationFailureReason"), "Manufacturer_policy");
  EXPECT_EQ(Str(d, "additionalInfo"), "Recalled");
  // Stolen: illegitimate, not for redistribution.
  v1::ReportStolenRequest report;
  report.set_case_id("VRS-1");
  report.set_agency("Metro Police");
  *report.add_units() = u[2].unit();
  v1::ReportStolenResponse reported;
  ASSERT_TRUE(stolen_->ReportStolen(h_->Context(kPolice).get(), report, &reported).ok());
  d = Data(Get(Target(u[2], "B1", "281130"), kRetailer));
  EXPECT_FALSE(d.fields().at("verified").bool_value());
  EXPECT_EQ(Str(d, "verificationFailureReason"), "Not_for_re-distribution");
  EXPECT_EQ(Str(d, "additionalInfo"), "Illegitimate");
  // An extended expiry: the pack's printed date was the lot's before the correction.
  v1::CorrectLotDatesRequest fix;
  fix.set_gtin(kBrandGtin);
  fix.set_lot("B1");
  fix.set_expiry_date("290531");
  fix.set_reason("shelf life extended");
  fix.set_request_id("fix-1");
  v1::CorrectLotDatesResponse fixed;
  ASSERT_TRUE(lifecycle_->CorrectLotDates(h_->Context(kIssuer).get(), fix, &fixed).ok());
  d = Data(Get(Target(u[3], "B1", "281130"), kRetailer));
  EXPECT_TRUE(d.fields().at("verified").bool_value());
  EXPECT_EQ(Str(d, "additionalInfo"), "ExpirationExtended");
  // Decommissioned (dispensed) and scanned once since: manufacturer policy, not a suspect —
  // the partner's check is no scan.
  const std::vector<v1::IssuedUnit> dispensed = IssueDated("vrs-dec", "B5", "281130", 1);
  v1::RecordEventRequest dispense;
  *dispense.mutable_unit() = dispensed[0].unit();
  dispense.set_action(v1::LIFECYCLE_ACTION_DECOMMISSIONED);
  dispense.set_decommission_reason(v1::DECOMMISSION_REASON_SAMPLE);
  dispense.set_request_id("dispense-1");
  v1::UnitRecord rec;
  ASSERT_TRUE(lifecycle_->RecordEvent(h_->Context(kIssuer).get(), dispense, &rec).ok());
  v1::VerifyRequest once;
  once.set_code(dispensed[0].digital_link());
  v1::VerifyResponse seen;
  ASSERT_TRUE(verify_->Verify(h_->Context(kRetailer).get(), once, &seen).ok());
  ASSERT_EQ(seen.verdict(), v1::VERDICT_DECOMMISSIONED);
  for (int i = 0; i < 2; ++i) {
    d = Data(Get(Target(dispensed[0], "B5", "281130"), kRetailer));
    EXPECT_FALSE(d.fields().at("verified").bool_value());
    EXPECT_EQ(Str(d, "verificationFailureReason"), "Manufacturer_policy");
    EXPECT_EQ(Str(d, "additionalInfo"), "");
  }
  // Expired.
  const std::vector<v1::IssuedUnit> old = IssueDated("vrs-old", "OLD", "200100", 1);
  d = Data(Get(Target(old[0], "OLD", "200100"), kRetailer));
  EXPECT_TRUE(d.fields().at("verified").bool_value());
  EXPECT_EQ(Str(d, "additionalInfo"), "Expired");
  // The numeric form answers the same; a check stores no scan.
  d = Data(Get(absl::StrCat("/01/", kBrandGtin, "/10/B1/21/", u[3].unit().serial(),
                            "?17=290531&linkType=gs1:verificationService&corrUUID=", kUuid),
               kRetailer));
  EXPECT_TRUE(d.fields().at("verified").bool_value());
  v1::VerifyRequest vr;
  vr.set_code(u[0].digital_link());
  v1::VerifyResponse scanned;
  ASSERT_TRUE(verify_->Verify(h_->Context(kRetailer).get(), vr, &scanned).ok());
  EXPECT_EQ(scanned.scan_count(), 1u);
}

TEST_F(VerificationServiceTest, CallersWhoAreNotPartnersAreRefused) {
  const std::vector<v1::IssuedUnit> u = IssueDated("vrs-auth", "B1", "281130", 1);
  const std::string target = Target(u[0], "B1", "281130");
  const Http anonymous = Get(target, "");
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_THAT(anonymous.head, HasSubstr("WWW-Authenticate: Bearer"));
  EXPECT_THAT(anonymous.body, Not(HasSubstr("verified")));
  EXPECT_EQ(Get(target, "?").status, 401);
  EXPECT_EQ(Get(target, kVerifier).status, 403) << "a consumer app is no trading partner";
  EXPECT_EQ(Get(target, kForeignIssuer).status, 403) << "another brand's issuer";
  // The scheme is case-insensitive.
  const std::string lower = RunShell(absl::StrCat(
      "curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: bearer ", h_->token(kRetailer),
      "' 'http://127.0.0.1:", h_->server().http_port(), target, "'"));
  EXPECT_EQ(lower, "200");
  // Bad requests are 400 naming the parameter, after authentication.
  const Http bad = Get(Target(u[0], "B1", "281131"), kRetailer);
  EXPECT_EQ(bad.status, 400);
  EXPECT_THAT(bad.body, HasSubstr("exp: 2028-11 has no day 31"));
  EXPECT_EQ(Get(Target(u[0], "B1", "281131"), "").status, 401) << "nothing parsed for strangers";
  // A partner over its rate limit (burst 5).
  int limited = 0;
  for (int i = 0; i < 8; ++i) limited += Get(target, kLimitedPolice).status == 429;
  EXPECT_GE(limited, 2);
  // A scanned code asking for this link type still gets its page, not the service.
  const std::string dl = u[0].digital_link();
  const Http page = Get(dl.substr(dl.find('/', 8)) + "&linkType=gs1:verificationService", "");
  EXPECT_EQ(page.status, 200);
  EXPECT_THAT(page.body, HasSubstr("AUTHENTIC"));
  // An address that keeps failing authentication is refused (429 instead of 401) once it has
  // failed past the web door's per-client rate; a valid token is still served.
  int refused = 0;
  for (int i = 0; i < 8; ++i) refused += Get(target, "?").status == 429;
  EXPECT_GE(refused, 3);
  EXPECT_EQ(Get(target, kRetailer).status, 200);
}

}  // namespace
}  // namespace hallmark::testing
