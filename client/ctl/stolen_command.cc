#include "client/ctl/stolen_command.h"

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <google/protobuf/util/time_util.h>

#include "absl/strings/str_cat.h"
#include "client/ctl/connection.h"
#include "client/ctl/ctl_common.h"
#include "client/ctl/units_io.h"

namespace hallmark::ctl {
namespace {

using google::protobuf::util::TimeUtil;

struct StolenOptions {
  ClientSettings connection;
  std::string case_id, agency, note, file;
  std::vector<std::string> units;
  bool all = false;
};

constexpr size_t kChunk = 1000;

absl::StatusOr<std::vector<v1::UnitId>> Units(const StolenOptions& o) {
  return CollectUnits(o.units, o.file);
}

std::string OutcomeName(v1::UnitOutcome o) { return v1::UnitOutcome_Name(o).substr(13); }

bool PrintResults(const google::protobuf::RepeatedPtrField<v1::UnitResult>& results) {
  bool all_ok = true;
  for (const v1::UnitResult& r : results) {
    all_ok = all_ok && r.outcome() == v1::UNIT_OUTCOME_OK;
    std::cout << OutcomeName(r.outcome()) << "\t" << r.unit().gtin() << "\t" << r.unit().serial()
              << (r.detail().empty() ? "" : "\t" + r.detail()) << "\n";
  }
  return all_ok;
}

// Runs `call` over `units` in chunks of up to 1000 (smaller when the caller's rate limit
// requires, see InBatches); `call` returns false for a negative outcome.
template <typename Call>
int Chunked(const std::vector<v1::UnitId>& units, Client& client, Call call) {
  bool all_ok = true;
  absl::Status sent = InBatches(units.size(), kChunk, [&](size_t first, size_t count) {
    std::vector<v1::UnitId> chunk(units.begin() + first, units.begin() + first + count);
    absl::StatusOr<bool> ok = call(chunk);
    if (!ok.ok()) return ok.status();
    all_ok = all_ok && *ok;
    return absl::OkStatus();
  });
  if (!sent.ok()) return ReportCallError(sent, client.options().address);
  return all_ok ? kExitOk : kExitNegative;
}

int Report(const StolenOptions& o) {
  absl::StatusOr<std::vector<v1::UnitId>> units = Units(o);
  if (!units.ok()) return ReportError(units.status());
  if (units->empty()) return ReportError(absl::InvalidArgumentError("no units to report"));
  absl::StatusOr<std::unique_ptr<Client>> client = Connect(o.connection);
  if (!client.ok()) return ReportError(client.status());
  return Chunked(*units, **client, [&](const std::vector<v1::UnitId>& chunk) -> absl::StatusOr<bool> {
    v1::ReportStolenRequest r;
    r.set_case_id(o.case_id);
    r.set_agency(o.agency);
    r.set_note(o.note);
    for (const auto& u : chunk) *r.add_units() = u;
    absl::StatusOr<v1::ReportStolenResponse> resp = (*client)->ReportStolen(r);
    if (!resp.ok()) return resp.status();
    return PrintResults(resp->results());
  });
}

int Clear(const StolenOptions& o) {
  absl::StatusOr<std::vector<v1::UnitId>> units = Units(o);
  if (!units.ok()) return ReportError(units.status());
  if (units->empty() != o.all) {
    return ReportError(absl::InvalidArgumentError(
        "name the recovered units, or pass --all (and no units) to clear the whole case"));
  }
  absl::StatusOr<std::unique_ptr<Client>> client = Connect(o.connection);
  if (!client.ok()) return ReportError(client.status());
  auto clear = [&](const std::vector<v1::UnitId>& chunk) -> absl::StatusOr<bool> {
    v1::ClearStolenRequest r;
    r.set_case_id(o.case_id);
    r.set_note(o.note);
    for (const auto& u : chunk) *r.add_units() = u;
    absl::StatusOr<v1::ClearStolenResponse> resp = (*client)->ClearStolen(r);
    if (!resp.ok()) return resp.status();
    return PrintResults(resp->results());
  };
  if (o.all) {
    absl::StatusOr<bool> ok = clear({});
    if (!ok.ok()) return ReportCallError(ok.status(), (*client)->options().address);
    return *ok ? kExitOk : kExitNegative;
  }
  return Chunked(*units, **client, clear);
}

int Check(const StolenOptions& o) {
  absl::StatusOr<std::vector<v1::UnitId>> units = Units(o);
  if (!units.ok()) return ReportError(units.status());
  if (units->empty()) return ReportError(absl::InvalidArgumentError("no units to check"));
  absl::StatusOr<std::unique_ptr<Client>> client = Connect(o.connection);
  if (!client.ok()) return ReportError(client.status());
  return Chunked(*units, **client, [&](const std::vector<v1::UnitId>& chunk) -> absl::StatusOr<bool> {
    v1::CheckStolenRequest r;
    for (const auto& u : chunk) *r.add_units() = u;
    absl::StatusOr<v1::CheckStolenResponse> resp = (*client)->CheckStolen(r);
    if (!resp.ok()) return resp.status();
    bool clean = true;
    for (const v1::StolenStatus& s : resp->statuses()) {
      const char* state = !s.registered() ? "UNREGISTERED" : s.stolen() ? "STOLEN" : "clean";
      clean = clean && s.registered() && !s.stolen();
      std::cout << state << "\t" << s.unit().gtin() << "\t" << s.unit().serial();
      if (s.stolen()) {
        std::cout << "\treported=" << TimeUtil::ToString(s.reported_at());
        if (!s.case_id().empty()) std::cout << "\tcase=" << s.case_id() << "\tagency=" << s.agency();
      }
      std::cout << "\n";
    }
    return clean;
  });
}

int Case(const StolenOptions& o) {
  absl::StatusOr<std::unique_ptr<Client>> client = Connect(o.connection);
  if (!client.ok()) return ReportError(client.status());
  v1::GetCaseRequest r;
  r.set_case_id(o.case_id);
  absl::StatusOr<v1::StolenCase> c = (*client)->GetCase(r);
  if (!c.ok()) return ReportCallError(c.status(), (*client)->options().address);
  std::cout << "case " << c->case_id() << " (" << c->agency() << "): " << c->units_size()
            << " units flagged\n";
  for (const v1::StolenStatus& s : c->units()) {
    std::cout << "STOLEN\t" << s.unit().gtin() << "\t" << s.unit().serial() << "\treported="
              << TimeUtil::ToString(s.reported_at()) << "\n";
  }
  std::cout << "history:\n";
  for (const v1::AuditEvent& e : c->history()) {
    std::cout << TimeUtil::ToString(e.at()) << "\t" << e.principal() << "\t" << e.action() << "\t"
              << e.unit().gtin() << "\t" << e.unit().serial()
              << (e.detail().empty() ? "" : "\t" + e.detail()) << "\n";
  }
  return kExitOk;
}

}  // namespace

void AddStolenCommands(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<StolenOptions>();
  CLI::App* cmd = app.add_subcommand("stolen", "The stolen-goods registry");
  cmd->require_subcommand(1);
  auto units = [&](CLI::App* c) {
    AddConnectionFlags(c, &o->connection);
    c->add_option("units", o->units, "Units: GTIN,SERIAL or a scanned code");
    c->add_option("--file", o->file, "More units, one per line ('-' for stdin)");
  };
  CLI::App* report = cmd->add_subcommand("report", "Flag units as stolen under a case");
  units(report);
  report->add_option("--case", o->case_id, "The agency's case reference")->required();
  report->add_option("--agency", o->agency, "Reporting agency")->required();
  report->add_option("--note", o->note, "Note for the audit log");
  report->callback([o, exit_code] { *exit_code = Report(*o); });

  CLI::App* clear = cmd->add_subcommand("clear", "Units recovered: clear their flags");
  units(clear);
  clear->add_option("--case", o->case_id, "Case reference")->required();
  clear->add_option("--note", o->note, "Note for the audit log");
  clear->add_flag("--all", o->all, "Clear every unit of the case");
  clear->callback([o, exit_code] { *exit_code = Clear(*o); });

  CLI::App* check = cmd->add_subcommand(
      "check", "Registered? Stolen? for each unit (exit 3 if any is stolen or unregistered)");
  units(check);
  check->callback([o, exit_code] { *exit_code = Check(*o); });

  CLI::App* show = cmd->add_subcommand("case", "A case's flagged units and its audit history");
  AddConnectionFlags(show, &o->connection);
  show->add_option("case_id", o->case_id, "Case reference")->required();
  show->callback([o, exit_code] { *exit_code = Case(*o); });
}

}  // namespace hallmark::ctl
