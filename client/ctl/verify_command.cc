#include "client/ctl/verify_command.h"

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "client/ctl/connection.h"
#include "client/ctl/ctl_common.h"
#include "common/json.h"

namespace hallmark::ctl {
namespace {

struct VerifyOptions {
  ClientSettings connection;
  std::vector<std::string> codes;
  std::string country, location, channel = "hallmarkctl";
  bool json = false;
};

std::string VerdictName(v1::Verdict v) { return v1::Verdict_Name(v).substr(8); }

void Print(const v1::VerifyResponse& r, bool json) {
  if (json) {
    std::cout << JsonObject()
                     .Add("verdict", VerdictName(r.verdict()))
                     .Add("gtin", r.unit().gtin())
                     .Add("serial", r.unit().serial())
                     .Add("lot", r.lot())
                     .Add("expiry_date", r.expiry_date())
                     .Add("production_date", r.production_date())
                     .Raw("expired", r.expired() ? "true" : "false")
                     .Add("sku", r.sku())
                     .Add("scan_count", r.scan_count())
                     .Raw("reasons", absl::StrCat("[", absl::StrJoin(r.reasons(), ",",
                                                    [](std::string* out, const std::string& s) {
                                                      out->append(JsonQuote(s));
                                                    }),
                                                  "]"))
                     .Add("stolen_case_id", r.stolen_case_id())
                     .Add("status", r.status() == v1::UNIT_STATUS_UNSPECIFIED
                                        ? std::string()
                                        : v1::UnitStatus_Name(r.status()).substr(12))
                     .Build()
              << "\n";
    return;
  }
  std::cout << VerdictName(r.verdict()) << "\t" << r.unit().gtin() << "\t" << r.unit().serial()
            << "\t" << (r.reasons().empty() ? "-" : absl::StrJoin(r.reasons(), ","));
  if (!r.stolen_case_id().empty()) std::cout << "\tcase=" << r.stolen_case_id();
  std::cout << "\n";
}

int Verify(VerifyOptions o) {
  if (o.codes.empty()) {
    std::string line;
    while (std::getline(std::cin, line)) {
      absl::string_view t = absl::StripTrailingAsciiWhitespace(line);
      if (!t.empty()) o.codes.emplace_back(t);
    }
  }
  if (o.codes.empty()) return ReportError(absl::InvalidArgumentError("no codes to verify"));
  absl::StatusOr<std::unique_ptr<Client>> client = Connect(o.connection);
  if (!client.ok()) return ReportError(client.status());
  int worst = kExitOk;
  absl::Status sent = InBatches(o.codes.size(), 1000, [&](size_t first, size_t count) {
    v1::VerifyBatchRequest batch;
    for (size_t i = first; i < first + count; ++i) {
      v1::VerifyRequest* r = batch.add_requests();
      r->set_code(o.codes[i]);
      r->mutable_context()->set_country(o.country);
      r->mutable_context()->set_location(o.location);
      r->mutable_context()->set_channel(o.channel);
    }
    absl::StatusOr<v1::VerifyBatchResponse> resp = (*client)->VerifyBatch(batch);
    if (!resp.ok()) return resp.status();
    for (const v1::VerifyResponse& r : resp->responses()) {
      Print(r, o.json);
      worst = std::max(worst, ResponseExitCode(r));
    }
    return absl::OkStatus();
  });
  if (!sent.ok()) return ReportCallError(sent, (*client)->options().address);
  return worst;
}

}  // namespace

int VerdictExitCode(v1::Verdict verdict) {
  switch (verdict) {
    case v1::VERDICT_AUTHENTIC: return 0;
    case v1::VERDICT_DECOMMISSIONED: return 10;
    case v1::VERDICT_RECALLED: return 11;
    case v1::VERDICT_MISMATCH: return 12;
    case v1::VERDICT_NOT_REGISTERED: return 13;
    case v1::VERDICT_SUSPECT_CLONE: return 14;
    case v1::VERDICT_COUNTERFEIT: return 15;
    case v1::VERDICT_STOLEN: return 16;
    default: return 15;
  }
}

int ResponseExitCode(const v1::VerifyResponse& r) {
  return std::max(VerdictExitCode(r.verdict()), r.expired() ? kExitExpired : kExitOk);
}

void AddVerifyCommand(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<VerifyOptions>();
  CLI::App* cmd = app.add_subcommand(
      "verify",
      "Verify codes (arguments, or one per line on stdin). Exit 0 only when every code is "
      "AUTHENTIC and none expired; otherwise the most serious answer's code: 9 EXPIRED (an "
      "AUTHENTIC unit past its expiry date), 10 DECOMMISSIONED, 11 RECALLED, 12 MISMATCH, "
      "13 NOT_REGISTERED, 14 SUSPECT_CLONE, 15 COUNTERFEIT, 16 STOLEN");
  AddConnectionFlags(cmd, &o->connection);
  cmd->add_option("codes", o->codes, "Codes as scanned (Digital Link or element string)");
  cmd->add_option("--country", o->country, "Where the scan happened (ISO 3166-1 alpha-2)");
  cmd->add_option("--location", o->location, "Store, site or geohash");
  cmd->add_option("--channel", o->channel, "Scan channel")->capture_default_str();
  cmd->add_flag("--json", o->json, "JSON Lines output");
  cmd->callback([o, exit_code] { *exit_code = Verify(*o); });
}

}  // namespace hallmark::ctl
