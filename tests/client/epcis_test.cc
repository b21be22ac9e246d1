// The EPCIS 2.0 export of a unit's history: every history action maps to an ObjectEvent with
// the CBV bizStep and disposition documented in client/ctl/epcis.h, and the document passes
// the EPCIS 2.0 JSON schema rules that matter (tests/client/epcis_check.h).
#include "client/ctl/epcis.h"

#include <google/protobuf/util/time_util.h>

#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/client/epcis_check.h"

namespace hallmark::ctl {
namespace {

using google::protobuf::util::TimeUtil;

v1::AuditEvent* Add(v1::UnitHistory* h, const std::string& action, v1::UnitStatus status,
                    const std::string& detail = "") {
  v1::AuditEvent* e = h->add_events();
  e->set_action(action);
  e->set_status(status);
  e->set_detail(detail);
  e->mutable_unit()->set_gtin("09506000134352");
  e->mutable_unit()->set_serial("A/1%x");
  *e->mutable_at() = TimeUtil::SecondsToTimestamp(1780000000 + h->events_size());
  e->set_principal("acme");
  return e;
}

TEST(EpcisTest, EveryActionMapsToTheCbvVocabulary) {
  v1::UnitHistory h;
  Add(&h, "commissioned", v1::UNIT_STATUS_ACTIVE, "lot L1");
  Add(&h, "shipped", v1::UNIT_STATUS_IN_TRANSIT)->set_location("4012345000009");
  Add(&h, "received", v1::UNIT_STATUS_ACTIVE);
  Add(&h, "sold", v1::UNIT_STATUS_SOLD)->set_reference("RCPT \"7\"");
  Add(&h, "returned", v1::UNIT_STATUS_RETURNED)->add_flags("return_other_retailer");
  Add(&h, "repaired", v1::UNIT_STATUS_IN_REPAIR);
  Add(&h, "refurbished", v1::UNIT_STATUS_ACTIVE);
  Add(&h, "recalled", v1::UNIT_STATUS_ACTIVE, "battery");
  Add(&h, "report_stolen", v1::UNIT_STATUS_ACTIVE);
  Add(&h, "clear_stolen", v1::UNIT_STATUS_ACTIVE);
  Add(&h, "decommissioned", v1::UNIT_STATUS_DECOMMISSIONED, "sample");
  Add(&h, "reactivated", v1::UNIT_STATUS_ACTIVE);
  Add(&h, "decommissioned", v1::UNIT_STATUS_DECOMMISSIONED, "destroyed");
  const std::string doc = EpcisDocument(h, absl::FromUnixSeconds(1790000000));
  std::string error;
  const std::vector<testing::EpcisEvent> events = testing::CheckEpcis(doc, &error);
  ASSERT_EQ(error, "") << doc;
  ASSERT_EQ(events.size(), 13u);
  struct Want {
    const char* action;
    const char* biz_step;
    const char* disposition;
  };
  const Want want[] = {
      {"ADD", "commissioning", "active"},       {"OBSERVE", "shipping", "in_transit"},
      {"OBSERVE", "receiving", "active"},       {"OBSERVE", "retail_selling", "retail_sold"},
      {"OBSERVE", "receiving", "returned"},     {"OBSERVE", "repairing", "in_progress"},
      {"OBSERVE", "repairing", "active"},       {"OBSERVE", "other", "recalled"},
      {"OBSERVE", "other", "stolen"},           {"OBSERVE", "other", "active"},
      {"DELETE", "decommissioning", "inactive"}, {"OBSERVE", "other", "active"},
      {"DELETE", "decommissioning", "destroyed"}};
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].action, want[i].action) << i;
    EXPECT_EQ(events[i].biz_step, want[i].biz_step) << i;
    EXPECT_EQ(events[i].disposition, want[i].disposition) << i;
    EXPECT_EQ(events[i].hallmark_action, h.events(static_cast<int>(i)).action());
    // The canonical Digital Link of the unit, the serial percent-encoded.
    EXPECT_EQ(events[i].epc, "https://id.gs1.org/01/09506000134352/21/A%2F1%25x");
  }
  EXPECT_EQ(events[0].event_time, "2026-05-28T20:26:41Z");
  EXPECT_THAT(doc, ::testing::HasSubstr(
                       "\"readPoint\":{\"id\":\"https://id.gs1.org/414/4012345000009\"}"));
  EXPECT_THAT(doc, ::testing::HasSubstr("\"creationDate\":\"2026-09-21T"));
  EXPECT_THAT(doc, ::testing::Not(::testing::HasSubstr("ilmd")));  // no lot, no dates
}

// A regulated unit's lot and dates are its lot master data (ilmd) on the commissioning event.
TEST(EpcisTest, TheLotAndItsDatesAreTheCommissioningEventsIlmd) {
  v1::UnitHistory h;
  h.mutable_record()->set_lot("B26");
  h.mutable_record()->set_expiry_date("281100");
  h.mutable_record()->set_production_date("261115");
  Add(&h, "commissioned", v1::UNIT_STATUS_ACTIVE, "lot B26");
  Add(&h, "lot_dates_corrected", v1::UNIT_STATUS_ACTIVE, "from expiry 280531 ...");
  const std::string doc = EpcisDocument(h, absl::FromUnixSeconds(1790000000));
  std::string error;
  const std::vector<testing::EpcisEvent> events = testing::CheckEpcis(doc, &error);
  ASSERT_EQ(error, "") << doc;
  ASSERT_EQ(events.size(), 2u);
  // (Struct fields print in no fixed order.)
  EXPECT_THAT(doc, ::testing::HasSubstr("\"ilmd\":{"));
  EXPECT_THAT(doc, ::testing::HasSubstr("\"cbvmda:itemExpirationDate\":\"2028-11-30\""));
  EXPECT_THAT(doc, ::testing::HasSubstr("\"cbvmda:lotNumber\":\"B26\""));
  EXPECT_THAT(doc, ::testing::HasSubstr("\"hallmark:productionDate\":\"2026-11-15\""));
  EXPECT_EQ(doc.find("ilmd"), doc.rfind("ilmd")) << "only on the commissioning event";
  EXPECT_EQ(events[1].hallmark_action, "lot_dates_corrected");
}

TEST(EpcisTest, TheCheckerRejectsWhatTheSchemaRejects) {
  std::string error;
  testing::CheckEpcis("{not json", &error);
  EXPECT_EQ(error, "not JSON");
  v1::UnitHistory h;
  Add(&h, "shipped", v1::UNIT_STATUS_IN_TRANSIT);
  std::string doc = EpcisDocument(h, absl::Now());
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"\"bizStep\":\"shipping\"", "\"bizStep\":\"teleporting\""},
           {"\"disposition\":\"in_transit\"", "\"disposition\":\"lost in space\""},
           {"\"action\":\"OBSERVE\"", "\"action\":\"LOOK\""},
           {"\"schemaVersion\":\"2.0\"", "\"schemaVersion\":\"1.2\""},
           {"\"eventTimeZoneOffset\":\"+00:00\"", "\"eventTimeZoneOffset\":\"UTC\""}}) {
    std::string bad = doc;
    const size_t pos = bad.find(from);
    ASSERT_NE(pos, std::string::npos) << from;
    bad.replace(pos, from.size(), to);
    error.clear();
    testing::CheckEpcis(bad, &error);
    EXPECT_NE(error, "") << to;
  }
}

}  // namespace
}  // namespace hallmark::ctl
