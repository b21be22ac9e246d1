// File: tests/client/epcis_check.h
//
// Checks an EPCIS 2.0 JSON-LD document against the rules of the EPCIS 2.0 JSON schema that
// matter for Hallmark's export: the document's type, schemaVersion, @context and creationDate;
// per event its type, eventTime and eventTimeZoneOffset (date-time formats), a non-empty
// epcList of URIs, action (ADD/OBSERVE/DELETE), and bizStep and disposition from the CBV 2.0
// vocabularies (bare names or URIs). Parses with protobuf's JSON parser into a Struct, so any
// JSON syntax error is caught too.
#ifndef HALLMARK_TESTS_CLIENT_EPCIS_CHECK_H_
#define HALLMARK_TESTS_CLIENT_EPCIS_CHECK_H_

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <regex>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

namespace hallmark::testing {

// CBV 2.0 business steps and dispositions (GS1 CBV 2.0, sections 7.1 and 7.2).
inline const std::set<std::string>& CbvBizSteps() {
  static const std::set<std::string> v = {
      "accepting", "arriving", "assembling", "collecting", "commissioning", "consigning",
      "creating_class_instance", "cycle_counting", "decommissioning", "departing", "destroying",
      "disassembling", "dispensing", "encoding", "entering_exiting", "holding", "inspecting",
      "installing", "killing", "loading", "other", "packing", "picking", "receiving", "removing",
      "repackaging", "repairing", "replacing", "reserving", "retail_selling", "sampling",
      "sensor_reporting", "shipping", "staging_outbound", "stock_taking", "stocking", "storing",
      "transporting", "unloading", "unpacking", "void_shipping"};
  return v;
}

inline const std::set<std::string>& CbvDispositions() {
  static const std::set<std::string> v = {
      "active", "available", "completeness_inferred", "completeness_verified", "conformant",
      "container_closed", "container_open", "damaged", "destroyed", "dispensed", "disposed",
      "encoded", "expired", "in_progress", "in_transit", "inactive", "mismatch_instance",
      "mismatch_class", "mismatch_quantity", "needs_replacement", "no_pedigree_match",
      "non_conformant", "non_sellable_other", "partially_dispensed", "recalled", "reserved",
      "retail_sold", "returned", "sellable_accessible", "sellable_not_accessible", "stolen",
      "unavailable", "unknown"};
  return v;
}

struct EpcisEvent {
  std::string event_time, action, biz_step, disposition, epc, hallmark_action;
};

// The document's events, or the first problem found (in `error`).
inline std::vector<EpcisEvent> CheckEpcis(const std::string& json, std::string* error) {
  namespace pb = google::protobuf;
  std::vector<EpcisEvent> events;
  pb::Struct doc;
  if (!pb::util::JsonStringToMessage(json, &doc).ok()) {
    *error = "not JSON";
    return events;
  }
  const std::regex date_time(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d))");
  const std::regex offset(R"([+-]\d\d:\d\d)");
  const std::regex uri(R"([A-Za-z][A-Za-z0-9+.-]*:\S+)");
  auto str = [](const pb::Struct& s, const std::string& k) {
    auto it = s.fields().find(k);
    return it == s.fields().end() ? std::string() : it->second.string_value();
  };
  auto fail = [&](const std::string& what) {
    if (error->empty()) *error = what;
  };
  if (str(doc, "type") != "EPCISDocument") fail("type is not EPCISDocument");
  if (str(doc, "schemaVersion") != "2.0") fail("schemaVersion is not 2.0");
  if (!std::regex_match(str(doc, "creationDate"), date_time)) fail("creationDate");
  const auto ctx = doc.fields().find("@context");
  bool has_context = false;
  if (ctx != doc.fields().end()) {
    for (const pb::Value& v : ctx->second.list_value().values()) {
      has_context = has_context || v.string_value() ==
                                       "https://ref.gs1.org/standards/epcis/epcis-context.jsonld";
    }
  }
  if (!has_context) fail("@context lacks the EPCIS 2.0 context");
  const auto body = doc.fields().find("epcisBody");
  if (body == doc.fields().end()) {
    fail("no epcisBody");
    return events;
  }
  const auto list = body->second.struct_value().fields().find("eventList");
  if (list == body->second.struct_value().fields().end()) {
    fail("no eventList");
    return events;
  }
  int i = 0;
  for (const pb::Value& v : list->second.list_value().values()) {
    const pb::Struct& e = v.struct_value();
    const std::string at = absl::StrCat("event ", i++, ": ");
    EpcisEvent out{str(e, "eventTime"), str(e, "action"),         str(e, "bizStep"),
                   str(e, "disposition"), "", str(e, "hallmark:action")};
    if (str(e, "type") != "ObjectEvent") fail(at + "type");
    if (!std::regex_match(out.event_time, date_time)) fail(at + "eventTime");
    if (!std::regex_match(str(e, "eventTimeZoneOffset"), offset)) fail(at + "eventTimeZoneOffset");
    const auto epcs = e.fields().find("epcList");
    if (epcs == e.fields().end() || epcs->second.list_value().values_size() == 0) {
      fail(at + "epcList empty");
    } else {
      out.epc = epcs->second.list_value().values(0).string_value();
      if (!std::regex_match(out.epc, uri)) fail(at + "epcList entry is not a URI");
    }
    if (out.action != "ADD" && out.action != "OBSERVE" && out.action != "DELETE") {
      fail(at + "action");
    }
    if (!CbvBizSteps().count(out.biz_step) && !std::regex_match(out.biz_step, uri)) {
      fail(at + "bizStep " + out.biz_step);
    }
    if (!CbvDispositions().count(out.disposition) && !std::regex_match(out.disposition, uri)) {
      fail(at + "disposition " + out.disposition);
    }
    events.push_back(out);
  }
  return events;
}

}  // namespace hallmark::testing

#endif  // HALLMARK_TESTS_CLIENT_EPCIS_CHECK_H_
