#include "client/ctl/epcis.h"

#include <google/protobuf/util/time_util.h>

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/json.h"
#include "crypto/digital_link.h"

namespace hallmark::ctl {
namespace {

using google::protobuf::util::TimeUtil;

constexpr char kContext[] = "https://ref.gs1.org/standards/epcis/epcis-context.jsonld";
constexpr char kExtensionNamespace[] = "urn:hallmark:epcis:";

struct Vocabulary {
  const char* action;
  const char* biz_step;
  std::string disposition;
};

std::string StatusDisposition(v1::UnitStatus status) {
  switch (status) {
    case v1::UNIT_STATUS_IN_TRANSIT:
      return "in_transit";
    case v1::UNIT_STATUS_SOLD:
      return "retail_sold";
    case v1::UNIT_STATUS_RETURNED:
      return "returned";
    case v1::UNIT_STATUS_IN_REPAIR:
      return "in_progress";
    case v1::UNIT_STATUS_DECOMMISSIONED:
      return "inactive";
    case v1::UNIT_STATUS_RECALLED:
      return "recalled";
    default:
      return "active";
  }
}

Vocabulary Map(const v1::AuditEvent& e) {
  const std::string& a = e.action();
  const std::string by_status = StatusDisposition(e.status());
  if (a == "commissioned") return {"ADD", "commissioning", "active"};
  if (a == "shipped") return {"OBSERVE", "shipping", "in_transit"};
  if (a == "received") return {"OBSERVE", "receiving", by_status};
  if (a == "sold") return {"OBSERVE", "retail_selling", "retail_sold"};
  if (a == "returned") return {"OBSERVE", "receiving", "returned"};
  if (a == "repaired") return {"OBSERVE", "repairing", "in_progress"};
  if (a == "refurbished") return {"OBSERVE", "repairing", "active"};
  if (a == "decommissioned") {
    const std::string d =
        e.detail() == "destroyed" || e.detail() == "expired" ? e.detail() : "inactive";
    return {"DELETE", "decommissioning", d};
  }
  if (a == "recalled") return {"OBSERVE", "other", "recalled"};
  if (a == "report_stolen") return {"OBSERVE", "other", "stolen"};
  return {"OBSERVE", "other", by_status};  // reactivated, clear_stolen
}

std::string Epc(const v1::UnitId& unit) {
  crypto::UnitCode code;
  code.gtin = unit.gtin();
  code.serial = unit.serial();
  absl::StatusOr<std::string> uri = crypto::FormatDigitalLink("id.gs1.org", code);
  return uri.ok() ? *uri : "";
}

bool IsGln(const std::string& s) {
  if (s.size() != 13) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

std::string Event(const v1::AuditEvent& e) {
  const Vocabulary v = Map(e);
  JsonObject o;
  o.Add("type", "ObjectEvent");
  o.Add("eventTime", TimeUtil::ToString(e.at()));
  o.Add("eventTimeZoneOffset", "+00:00");
  o.Add("recordTime", TimeUtil::ToString(e.has_recorded_at() ? e.recorded_at() : e.at()));
  o.Raw("epcList", absl::StrCat("[", JsonQuote(Epc(e.unit())), "]"));
  o.Add("action", v.action);
  o.Add("bizStep", v.biz_step);
  o.Add("disposition", v.disposition);
  if (IsGln(e.location())) {
    o.Raw("readPoint", JsonObject().Add("id", "https://id.gs1.org/414/" + e.location()).Build());
  }
  o.Add("hallmark:action", e.action());
  if (!e.principal().empty()) o.Add("hallmark:principal", e.principal());
  if (!e.organisation().empty()) o.Add("hallmark:organisation", e.organisation());
  if (!e.reference().empty()) o.Add("hallmark:reference", e.reference());
  if (!e.location().empty()) o.Add("hallmark:location", e.location());
  if (e.flags_size() > 0) {
    std::vector<std::string> flags;
    for (const std::string& f : e.flags()) flags.push_back(JsonQuote(f));
    o.Raw("hallmark:flags", absl::StrCat("[", absl::StrJoin(flags, ","), "]"));
  }
  if (!e.detail().empty()) o.Add("hallmark:detail", e.detail());
  return o.Build();
}

}  // namespace

std::string EpcisDocument(const v1::UnitHistory& history, absl::Time created) {
  std::vector<std::string> events;
  for (const v1::AuditEvent& e : history.events()) events.push_back(Event(e));
  const std::string context =
      absl::StrCat("[", JsonQuote(kContext), ",",
                   JsonObject().Add("hallmark", kExtensionNamespace).Build(), "]");
  const std::string body = absl::StrCat("{\"eventList\":[\n", absl::StrJoin(events, ",\n"), "\n]}");
  JsonObject doc;
  doc.Raw("@context", context);
  doc.Add("type", "EPCISDocument");
  doc.Add("schemaVersion", "2.0");
  doc.Add("creationDate", absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", created, absl::UTCTimeZone()));
  doc.Raw("epcisBody", body);
  return doc.Build() + "\n";
}

}  // namespace hallmark::ctl
