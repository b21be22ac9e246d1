#include "client/ctl/lifecycle_command.h"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "client/ctl/connection.h"
#include "client/ctl/ctl_common.h"
#include "client/ctl/epcis.h"
#include "client/ctl/units_io.h"
#include "crypto/prf.h"

namespace hallmark::ctl {
namespace {

using google::protobuf::util::TimeUtil;

struct LifecycleOptions {
  ClientSettings connection;
  std::string action, unit, reference, location, at, customer, reason, request_id;
  std::string format = "text";
  std::string gtin, lot, sku, file, expiry, production;
  std::vector<std::string> units;
  int months = -1;
};

std::string StatusName(v1::UnitStatus s) { return v1::UnitStatus_Name(s).substr(12); }

absl::StatusOr<v1::LifecycleAction> ParseAction(const std::string& name) {
  v1::LifecycleAction a;
  if (!v1::LifecycleAction_Parse("LIFECYCLE_ACTION_" + absl::AsciiStrToUpper(name), &a) ||
      a == v1::LIFECYCLE_ACTION_UNSPECIFIED) {
    return absl::InvalidArgumentError(
        absl::StrCat("action '", name,
                     "': one of shipped, received, sold, returned, repaired, refurbished, "
                     "decommissioned, reactivated"));
  }
  return a;
}

absl::StatusOr<v1::DecommissionReason> ParseReason(const std::string& name) {
  v1::DecommissionReason r;
  if (!v1::DecommissionReason_Parse("DECOMMISSION_REASON_" + absl::AsciiStrToUpper(name), &r) ||
      r == v1::DECOMMISSION_REASON_UNSPECIFIED) {
    return absl::InvalidArgumentError(
        absl::StrCat("--reason '", name, "': one of destroyed, expired, sample, exported"));
  }
  return r;
}

std::string Date(const google::protobuf::Timestamp& t) { return TimeUtil::ToString(t); }

void PrintWarranty(const v1::Warranty& w) {
  std::cout << (w.active() ? "ACTIVE" : "INACTIVE");
  if (!w.reason().empty()) std::cout << "\treason=" << w.reason();
  if (w.has_starts_at()) {
    std::cout << "\tfrom=" << Date(w.starts_at()) << "\tuntil=" << Date(w.ends_at())
              << "\tmonths=" << w.months();
  }
  std::cout << "\n";
}

void PrintRecord(const v1::UnitRecord& r) {
  std::cout << StatusName(r.status()) << "\t" << r.unit().gtin() << "\t" << r.unit().serial();
  if (r.stolen()) std::cout << "\tSTOLEN";
  if (r.recalled()) std::cout << "\tRECALLED";
  if (!r.sold_by().empty()) std::cout << "\tsold_by=" << r.sold_by();
  if (!r.expiry_date().empty()) std::cout << "\texpiry=" << r.expiry_date();
  if (!r.production_date().empty()) std::cout << "\tproduction=" << r.production_date();
  const v1::AuditEvent& e = r.last_event();
  std::cout << "\tlast=" << e.action();
  if (e.flags_size() > 0) std::cout << "\tflags=" << absl::StrJoin(e.flags(), ",");
  std::cout << "\n";
  std::cout << "warranty\t";
  PrintWarranty(r.warranty());
}

void PrintEvent(const v1::AuditEvent& e) {
  std::cout << Date(e.at()) << "\t" << e.action() << "\t" << StatusName(e.status()) << "\t"
            << e.principal() << (e.organisation().empty() ? "" : " (" + e.organisation() + ")");
  if (!e.reference().empty()) std::cout << "\tref=" << e.reference();
  if (!e.location().empty()) std::cout << "\tat=" << e.location();
  if (e.flags_size() > 0) std::cout << "\tflags=" << absl::StrJoin(e.flags(), ",");
  if (!e.detail().empty()) std::cout << "\t" << e.detail();
  std::cout << "\n";
}

absl::StatusOr<std::string> RandomRequestId() {
  absl::StatusOr<std::string> bytes = crypto::RandomBytes(12);
  if (!bytes.ok()) return bytes.status();
  return "ctl-" + absl::BytesToHexString(*bytes);
}

// Parses UNIT, connects, and runs `call`; the shared frame of the one-unit commands.
template <typename Call>
int WithUnit(const LifecycleOptions& o, Call call) {
  absl::StatusOr<v1::UnitId> unit = ParseUnitArg(o.unit);
  if (!unit.ok()) return ReportError(unit.status());
  absl::StatusOr<std::unique_ptr<Client>> client = Connect(o.connection);
  if (!client.ok()) return ReportError(client.status());
  return call(**client, *unit);
}

int Event(const LifecycleOptions& o) {
  absl::StatusOr<v1::LifecycleAction> action = ParseAction(o.action);
  if (!action.ok()) return ReportError(action.status());
  v1::RecordEventRequest r;
  r.set_action(*action);
  r.set_reference(o.reference);
  r.set_location(o.location);
  r.set_customer_registration(o.customer);
  if (!o.at.empty() && !TimeUtil::FromString(o.at, r.mutable_at())) {
    return ReportError(absl::InvalidArgumentError(
        absl::StrCat("--at '", o.at, "': an RFC 3339 time, e.g. 2026-11-28T10:00:00Z")));
  }
  if (!o.reason.empty()) {
    absl::StatusOr<v1::DecommissionReason> reason = ParseReason(o.reason);
    if (!reason.ok()) return ReportError(reason.status());
    r.set_decommission_reason(*reason);
  }
  // A fresh id per run: the client's retries of this run reuse it, a second run is a new event.
  absl::StatusOr<std::string> id = o.request_id.empty() ? RandomRequestId() : o.request_id;
  if (!id.ok()) return ReportError(id.status());
  r.set_request_id(*id);
  return WithUnit(o, [&](Client& client, const v1::UnitId& unit) {
    *r.mutable_unit() = unit;
    absl::StatusOr<v1::UnitRecord> record = client.RecordEvent(r);
    if (!record.ok()) return ReportCallError(record.status(), client.options().address);
    PrintRecord(*record);
    return kExitOk;
  });
}

int History(const LifecycleOptions& o) {
  if (o.format != "text" && o.format != "json" && o.format != "epcis") {
    return ReportError(absl::InvalidArgumentError("--format: text, json or epcis"));
  }
  return WithUnit(o, [&](Client& client, const v1::UnitId& unit) {
    v1::GetHistoryRequest r;
    *r.mutable_unit() = unit;
    absl::StatusOr<v1::UnitHistory> h = client.GetHistory(r);
    if (!h.ok()) return ReportCallError(h.status(), client.options().address);
    if (o.format == "epcis") {
      std::cout << EpcisDocument(*h, absl::Now());
    } else if (o.format == "json") {
      std::string json;
      google::protobuf::util::JsonPrintOptions options;
      options.add_whitespace = true;
      (void)google::protobuf::util::MessageToJsonString(*h, &json, options);
      std::cout << json;
    } else {
      PrintRecord(h->record());
      for (const v1::AuditEvent& e : h->events()) PrintEvent(e);
    }
    return kExitOk;
  });
}

int Recall(const LifecycleOptions& o) {
  absl::StatusOr<std::vector<v1::UnitId>> units = CollectUnits(o.units, o.file);
  if (!units.ok()) return ReportError(units.status());
  v1::RecallRequest r;
  r.set_gtin(o.gtin);
  r.set_lot(o.lot);
  r.set_reason(o.reason);
  for (const v1::UnitId& u : *units) *r.add_units() = u;
  // Without --request-id the recall's content names it: running the same recall again is safe.
  std::string id = o.request_id;
  if (id.empty()) {
    std::string all = absl::StrCat(o.gtin, "\n", o.lot, "\n", o.reason);
    for (const v1::UnitId& u : *units) absl::StrAppend(&all, "\n", u.gtin(), ",", u.serial());
    id = "recall-" + absl::BytesToHexString(crypto::Sha256(all)).substr(0, 24);
  }
  r.set_request_id(id);
  absl::StatusOr<std::unique_ptr<Client>> client = Connect(o.connection);
  if (!client.ok()) return ReportError(client.status());
  absl::StatusOr<v1::RecallResponse> resp = (*client)->Recall(r);
  if (!resp.ok()) return ReportCallError(resp.status(), (*client)->options().address);
  std::cout << "recalled " << resp->affected() << " units\n";
  return kExitOk;
}

int CorrectLot(const LifecycleOptions& o) {
  v1::CorrectLotDatesRequest r;
  r.set_gtin(o.gtin);
  r.set_lot(o.lot);
  r.set_expiry_date(o.expiry);
  r.set_production_date(o.production);
  r.set_reason(o.reason);
  // A fresh id per run, as for events: a second run is a new correction (the same dates again
  // are refused as no change); the client's retries of this run reuse it.
  absl::StatusOr<std::string> id = o.request_id.empty() ? RandomRequestId() : o.request_id;
  if (!id.ok()) return ReportError(id.status());
  r.set_request_id(*id);
  absl::StatusOr<std::unique_ptr<Client>> client = Connect(o.connection);
  if (!client.ok()) return ReportError(client.status());
  absl::StatusOr<v1::CorrectLotDatesResponse> resp = (*client)->CorrectLotDates(r);
  if (!resp.ok()) return ReportCallError(resp.status(), (*client)->options().address);
  const auto shown = [](const std::string& d) { return d.empty() ? std::string("-") : d; };
  std::cout << "lot " << o.lot << ": expiry " << shown(resp->previous_expiry_date()) << " -> "
            << shown(o.expiry) << ", production " << shown(resp->previous_production_date())
            << " -> " << shown(o.production) << "\n";
  return kExitOk;
}

int Warranty(const LifecycleOptions& o) {
  return WithUnit(o, [&](Client& client, const v1::UnitId& unit) {
    v1::GetWarrantyRequest r;
    *r.mutable_unit() = unit;
    // A scanned code goes too: verifiers are answered only for a code that verifies.
    if (o.unit.find(',') == std::string::npos) r.set_code(o.unit);
    absl::StatusOr<v1::Warranty> w = client.GetWarranty(r);
    if (!w.ok()) return ReportCallError(w.status(), client.options().address);
    PrintWarranty(*w);
    return w->active() ? kExitOk : kExitNegative;
  });
}

int Terms(const LifecycleOptions& o) {
  absl::StatusOr<std::unique_ptr<Client>> client = Connect(o.connection);
  if (!client.ok()) return ReportError(client.status());
  v1::SetWarrantyTermsRequest r;
  r.set_gtin(o.gtin);
  r.set_sku(o.sku);
  r.set_months(static_cast<uint32_t>(o.months));
  absl::StatusOr<v1::WarrantyTerms> t = (*client)->SetWarrantyTerms(r);
  if (!t.ok()) return ReportCallError(t.status(), (*client)->options().address);
  std::cout << "warranty terms\t" << t->gtin() << "\t" << (t->sku().empty() ? "*" : t->sku())
            << "\t" << t->months() << " months\n";
  return kExitOk;
}

int Registration(const LifecycleOptions& o) {
  return WithUnit(o, [&](Client& client, const v1::UnitId& unit) {
    v1::VerifyRegistrationRequest r;
    *r.mutable_unit() = unit;
    r.set_customer_registration(o.customer);
    absl::StatusOr<v1::VerifyRegistrationResponse> v = client.VerifyRegistration(r);
    if (!v.ok()) return ReportCallError(v.status(), client.options().address);
    std::cout << (!v->registered() ? "NOT_REGISTERED" : v->matches() ? "MATCH" : "NO_MATCH");
    if (v->registered()) std::cout << "\tregistered_at=" << Date(v->registered_at());
    std::cout << "\n";
    return v->matches() ? kExitOk : kExitNegative;
  });
}

}  // namespace

void AddLifecycleCommands(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<LifecycleOptions>();
  CLI::App* event = app.add_subcommand("event", "Record a lifecycle event of a unit");
  AddConnectionFlags(event, &o->connection);
  event
      ->add_option("action", o->action,
                   "shipped, received, sold, returned, repaired, refurbished, decommissioned, "
                   "reactivated")
      ->required();
  event->add_option("unit", o->unit, "GTIN,SERIAL or a scanned code")->required();
  event->add_option("--reference", o->reference, "Invoice, RMA, repair ticket, ...");
  event->add_option("--location", o->location, "Store, site or GLN");
  event->add_option("--at", o->at, "When it happened (RFC 3339; default now)");
  event->add_option("--customer", o->customer,
                    "sold: the customer's registration reference (stored only as a keyed hash)");
  event->add_option("--reason", o->reason, "decommissioned: destroyed, expired, sample, exported");
  event->add_option("--request-id,--request_id", o->request_id, "Idempotency key (default: a fresh one)");
  event->callback([o, exit_code] { *exit_code = Event(*o); });

  CLI::App* history = app.add_subcommand("history", "A unit's record and its whole history");
  AddConnectionFlags(history, &o->connection);
  history->add_option("unit", o->unit, "GTIN,SERIAL or a scanned code")->required();
  history->add_option("--format", o->format, "text, json or epcis (EPCIS 2.0 JSON-LD)");
  history->callback([o, exit_code] { *exit_code = History(*o); });

  CLI::App* recall = app.add_subcommand("recall", "Recall a lot, or units of one GTIN");
  AddConnectionFlags(recall, &o->connection);
  recall->add_option("units", o->units, "Units: GTIN,SERIAL or a scanned code");
  recall->add_option("--file", o->file, "More units, one per line ('-' for stdin)");
  recall->add_option("--gtin", o->gtin, "The GTIN (required with --lot)");
  recall->add_option("--lot", o->lot, "Recall this whole lot");
  recall->add_option("--reason", o->reason, "Why (shown in every unit's history)")->required();
  recall->add_option("--request-id,--request_id", o->request_id, "Idempotency key (default: from the content)");
  recall->callback([o, exit_code] { *exit_code = Recall(*o); });

  CLI::App* correct = app.add_subcommand(
      "correct-lot",
      "Correct a lot's expiry and production dates (both set as given; an audited event in "
      "every unit's history; codes printed with the old dates then read MISMATCH)");
  AddConnectionFlags(correct, &o->connection);
  correct->add_option("--gtin", o->gtin, "The GTIN")->required();
  correct->add_option("--lot", o->lot, "The lot")->required();
  correct->add_option("--expiry", o->expiry, "New expiry date, AI (17) YYMMDD (empty: none)");
  correct->add_option("--production", o->production,
                      "New production date, AI (11) YYMMDD (empty: none)");
  correct->add_option("--reason", o->reason, "Why (shown in every unit's history)")->required();
  correct->add_option("--request-id,--request_id", o->request_id,
                      "Idempotency key (default: a fresh one)");
  correct->callback([o, exit_code] { *exit_code = CorrectLot(*o); });

  CLI::App* warranty =
      app.add_subcommand("warranty", "Is the unit's warranty active? (exit 3 if not)");
  AddConnectionFlags(warranty, &o->connection);
  warranty->add_option("unit", o->unit, "GTIN,SERIAL or a scanned code")->required();
  warranty->callback([o, exit_code] { *exit_code = Warranty(*o); });

  CLI::App* terms = app.add_subcommand("warranty-terms", "Set a product's warranty length");
  AddConnectionFlags(terms, &o->connection);
  terms->add_option("--gtin", o->gtin, "The GTIN")->required();
  terms->add_option("--sku", o->sku, "The SKU (default: every SKU of the GTIN without terms)");
  terms->add_option("--months", o->months, "Warranty length in months (0: none)")
      ->required()
      ->check(CLI::Range(0, 240));
  terms->callback([o, exit_code] { *exit_code = Terms(*o); });

  CLI::App* registration = app.add_subcommand(
      "registration", "Does a customer reference match the unit's registration?");
  AddConnectionFlags(registration, &o->connection);
  registration->add_option("unit", o->unit, "GTIN,SERIAL or a scanned code")->required();
  registration->add_option("--customer", o->customer, "The customer's reference")->required();
  registration->callback([o, exit_code] { *exit_code = Registration(*o); });
}

}  // namespace hallmark::ctl
