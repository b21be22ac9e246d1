#include "client/ctl/code_command.h"

#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/str_replace.h"
#include "client/ctl/ctl_common.h"
#include "common/status_macros.h"
#include "crypto/code_signing.h"
#include "gs1/digital_link.h"
#include "gs1/element_string.h"
#include "gs1/gs1.h"
#include "crypto/key_ring.h"
#include "gs1/unit_code.h"

namespace hallmark::ctl {
namespace {

using gs1::UnitCode;

struct CodeOptions {
  std::string keys_dir;
  std::string gtin;
  std::string serial;
  std::string lot;
  std::string expiry;
  std::string production;
  std::string host = "id.example.com";
  std::string code;
};

// The raw form with its invisible GS shown as "{GS}".
std::string ShowRaw(const UnitCode& code) {
  return absl::StrReplaceAll(gs1::FormatRawElementString(code, "]d2"),
                             {{std::string(1, gs1::kGroupSeparator), "{GS}"}});
}

// "261231 (2026-12-31)", or "-" when absent.
std::string DateLine(const std::string& yymmdd) {
  if (yymmdd.empty()) return "-";
  return yymmdd + " (" + gs1::Gs1DateIso(yymmdd) + ")";
}

void PrintCode(const UnitCode& code, const std::string& host) {
  std::cout << "gtin:            " << code.gtin << "\n"
            << "serial:          " << code.serial << "\n"
            << "lot:             " << (code.lot.empty() ? "-" : code.lot) << "\n"
            << "expiry (17):     " << DateLine(code.expiry) << "\n"
            << "production (11): " << DateLine(code.production) << "\n"
            << "digsig:          " << (code.digsig.empty() ? "-" : code.digsig) << "\n";
  if (absl::StatusOr<std::string> link = gs1::FormatDigitalLink(host, code); link.ok()) {
    std::cout << "digital_link:    " << *link << "\n";
  }
  std::cout << "element_string:  " << gs1::FormatBracketedElementString(code) << "\n"
            << "raw (DataMatrix): " << ShowRaw(code) << "\n";
}

absl::StatusOr<UnitCode> ValidatedUnit(const CodeOptions& o) {
  UnitCode code;
  HALLMARK_ASSIGN_OR_RETURN(code.gtin, gs1::NormalizeGtin(o.gtin));
  HALLMARK_RETURN_IF_ERROR(gs1::ValidateSerial(o.serial));
  code.serial = o.serial;
  if (!o.lot.empty()) HALLMARK_RETURN_IF_ERROR(gs1::ValidateLot(o.lot));
  code.lot = o.lot;
  HALLMARK_RETURN_IF_ERROR(gs1::ValidateLotDates(o.expiry, o.production, "expiry", "production"));
  code.expiry = o.expiry;
  code.production = o.production;
  HALLMARK_RETURN_IF_ERROR(gs1::ValidateResolverHost(o.host));
  return code;
}

int Sign(const CodeOptions& o) {
  absl::StatusOr<UnitCode> code = ValidatedUnit(o);
  if (!code.ok()) return ReportError(code.status());
  auto ring = crypto::KeyRing::LoadDirectory(o.keys_dir, /*require_signing_key=*/true);
  if (!ring.ok()) return ReportError(ring.status());
  absl::StatusOr<std::string> digsig = crypto::SignUnit(**ring, *code);
  if (!digsig.ok()) return ReportError(digsig.status());
  code->digsig = *digsig;
  std::cout << "key_id:          " << crypto::FormatKeyId((*ring)->active()->info.id) << " ("
            << crypto::AlgorithmName((*ring)->active()->info.algorithm) << ")\n";
  PrintCode(*code, o.host);
  return kExitOk;
}

int Inspect(CodeOptions o) {
  if (o.code == "-") std::getline(std::cin, o.code);
  absl::StatusOr<UnitCode> code = gs1::ParseScannedCode(o.code);
  if (!code.ok()) return ReportError(code.status());
  PrintCode(*code, o.host);
  if (o.keys_dir.empty()) return kExitOk;
  auto ring = crypto::KeyRing::LoadDirectory(o.keys_dir, /*require_signing_key=*/false);
  if (!ring.ok()) return ReportError(ring.status());
  const crypto::CodeVerification v = crypto::VerifyUnitCode(**ring, *code);
  if (v.ok()) {
    const crypto::KeyRing::Key* key = (*ring)->Find(v.key_id);
    std::cout << "signature:       valid (key " << crypto::FormatKeyId(v.key_id) << ", "
              << crypto::AlgorithmName(key->info.algorithm) << ", "
              << crypto::KeyStateName(key->info.state) << ")\n";
    return kExitOk;
  }
  std::cout << "signature:       INVALID (" << crypto::ReasonCode(v.failure)
            << (v.key_id_known ? ", key " + crypto::FormatKeyId(v.key_id) : std::string()) << ")\n";
  return kExitNegative;
}

}  // namespace

void AddCodeCommands(CLI::App& app, int* exit_code) {
  auto opts = std::make_shared<CodeOptions>();
  CLI::App* code = app.add_subcommand("code", "Sign and inspect unit codes offline");
  code->require_subcommand(1);

  CLI::App* sign = code->add_subcommand(
      "sign", "Sign GTIN + serial (+ lot, expiry, production date) with the ACTIVE key; print "
              "DIGSIG, Digital Link and element strings");
  sign->add_option("--keys_dir", opts->keys_dir, "Keys directory")->required();
  sign->add_option("--gtin", opts->gtin, "GTIN-8/12/13/14")->required();
  sign->add_option("--serial", opts->serial, "AI (21) serial, 1..20 chars of GS1 set 82")
      ->required();
  sign->add_option("--lot", opts->lot, "AI (10) lot, optional");
  sign->add_option("--expiry", opts->expiry,
                   "AI (17) expiry date YYMMDD (DD = 00: the month's last day), optional");
  sign->add_option("--production", opts->production, "AI (11) production date YYMMDD, optional");
  sign->add_option("--host", opts->host, "Resolver host for the Digital Link")
      ->capture_default_str();
  sign->callback([opts, exit_code] { *exit_code = Sign(*opts); });

  CLI::App* inspect = code->add_subcommand(
      "inspect",
      "Parse a scanned code (Digital Link, bracketed or raw element string; '-' reads one line "
      "from stdin) and, with --keys_dir, verify its signature. Exit 3 when it does not verify");
  inspect->add_option("code", opts->code, "The code as scanned, or - for stdin")->required();
  inspect->add_option("--keys_dir", opts->keys_dir, "Verify against this keys directory");
  inspect->add_option("--host", opts->host, "Resolver host for the printed Digital Link")
      ->capture_default_str();
  inspect->callback([opts, exit_code] { *exit_code = Inspect(*opts); });
}

}  // namespace hallmark::ctl
