#include "client/ctl/epcis.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "gs1/digital_link.h"
#include "gs1/gs1.h"

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
  gs1::UnitCode code;
  code.gtin = unit.gtin();
  code.serial = unit.serial();
  absl::StatusOr<std::string> uri = gs1::FormatDigitalLink("id.gs1.org", code);
  return uri.ok() ? *uri : "";
}

bool IsGln(const std::string& s) {
  if (s.size() != 13) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// A JSON value of `s`, `list` or `object` (protobuf's Struct: the JSON is written by
// protobuf's JSON printer, never spliced by hand).
google::protobuf::Value Str(const std::string& s) {
  google::protobuf::Value v;
  v.set_string_value(s);
  return v;
}

google::protobuf::Value List(const std::vector<google::protobuf::Value>& items) {
  google::protobuf::Value v;
  for (const google::protobuf::Value& item : items) *v.mutable_list_value()->add_values() = item;
  return v;
}

google::protobuf::Value Object(const google::protobuf::Struct& s) {
  google::protobuf::Value v;
  *v.mutable_struct_value() = s;
  return v;
}

// The lot's master data (EPCIS "instance/lot master data", on the commissioning event): the lot
// (CBV cbvmda:lotNumber), the expiry date (cbvmda:itemExpirationDate, an xsd:date) and the
// production date (hallmark:productionDate: CBV has no production-date attribute). The dates
// are the lot's as registered now; a correction since is an event of its own.
google::protobuf::Value Ilmd(const v1::UnitRecord& record) {
  google::protobuf::Struct ilmd;
  auto& f = *ilmd.mutable_fields();
  if (!record.lot().empty()) f["cbvmda:lotNumber"] = Str(record.lot());
  if (!record.expiry_date().empty()) {
    f["cbvmda:itemExpirationDate"] = Str(gs1::Gs1DateIso(record.expiry_date()));
  }
  if (!record.production_date().empty()) {
    f["hallmark:productionDate"] = Str(gs1::Gs1DateIso(record.production_date()));
  }
  return Object(ilmd);
}

google::protobuf::Value Event(const v1::AuditEvent& e, const v1::UnitRecord& record) {
  const Vocabulary v = Map(e);
  google::protobuf::Struct o;
  auto& f = *o.mutable_fields();
  f["type"] = Str("ObjectEvent");
  f["eventTime"] = Str(TimeUtil::ToString(e.at()));
  f["eventTimeZoneOffset"] = Str("+00:00");
  f["recordTime"] = Str(TimeUtil::ToString(e.has_recorded_at() ? e.recorded_at() : e.at()));
  f["epcList"] = List({Str(Epc(e.unit()))});
  f["action"] = Str(v.action);
  f["bizStep"] = Str(v.biz_step);
  if (e.action() == "commissioned" &&
      !(record.lot().empty() && record.expiry_date().empty() && record.production_date().empty())) {
    f["ilmd"] = Ilmd(record);
  }
  f["disposition"] = Str(v.disposition);
  if (IsGln(e.location())) {
    google::protobuf::Struct read_point;
    (*read_point.mutable_fields())["id"] = Str("https://id.gs1.org/414/" + e.location());
    f["readPoint"] = Object(read_point);
  }
  f["hallmark:action"] = Str(e.action());
  if (!e.principal().empty()) f["hallmark:principal"] = Str(e.principal());
  if (!e.organisation().empty()) f["hallmark:organisation"] = Str(e.organisation());
  if (!e.reference().empty()) f["hallmark:reference"] = Str(e.reference());
  if (!e.location().empty()) f["hallmark:location"] = Str(e.location());
  if (e.flags_size() > 0) {
    std::vector<google::protobuf::Value> flags;
    for (const std::string& flag : e.flags()) flags.push_back(Str(flag));
    f["hallmark:flags"] = List(flags);
  }
  if (!e.detail().empty()) f["hallmark:detail"] = Str(e.detail());
  return Object(o);
}

}  // namespace

std::string EpcisDocument(const v1::UnitHistory& history, absl::Time created) {
  std::vector<google::protobuf::Value> events;
  for (const v1::AuditEvent& e : history.events()) events.push_back(Event(e, history.record()));
  google::protobuf::Struct extension;
  (*extension.mutable_fields())["hallmark"] = Str(kExtensionNamespace);
  google::protobuf::Struct body;
  (*body.mutable_fields())["eventList"] = List(events);
  google::protobuf::Struct doc;
  auto& f = *doc.mutable_fields();
  f["@context"] = List({Str(kContext), Object(extension)});
  f["type"] = Str("EPCISDocument");
  f["schemaVersion"] = Str("2.0");
  f["creationDate"] = Str(absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", created, absl::UTCTimeZone()));
  f["epcisBody"] = Object(body);
  std::string out;
  // Printing a Struct of strings, lists and objects cannot fail.
  (void)google::protobuf::util::MessageToJsonString(doc, &out);
  return out + "\n";
}

}  // namespace hallmark::ctl
