#include "client/ctl/issue_command.h"

#include <deque>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "client/ctl/connection.h"
#include "client/ctl/ctl_common.h"
#include "client/ctl/unit_writer.h"
#include "client/ctl/units_io.h"
#include "common/files.h"
#include "crypto/prf.h"

namespace hallmark::ctl {
namespace {

struct IssueOptions {
  ClientSettings connection;
  std::string gtin, lot, expiry, production, sku, format = "random", plant, prefix, request_id,
      out;
  uint32_t count = 0;
  bool json = false;
};

absl::StatusOr<v1::SerialFormat> ParseFormat(const std::string& f) {
  if (f == "random") return v1::SERIAL_FORMAT_RANDOM;
  if (f == "sequential") return v1::SERIAL_FORMAT_SEQUENTIAL;
  if (f == "date") return v1::SERIAL_FORMAT_DATE_ENCODED;
  if (f == "plant") return v1::SERIAL_FORMAT_PLANT_ENCODED;
  return absl::InvalidArgumentError("--format: one of random, sequential, date, plant");
}

// "issued 120,000/1,000,000 (45,210 units/s, ETA 19s)" on a terminal's stderr, redrawn in
// place at most 5 times a second.
class Progress {
 public:
  Progress(uint64_t total, uint64_t start)
      : total_(total), done_(start), start_count_(start), enabled_(::isatty(2) == 1) {}
  void Add() {
    ++done_;
    const absl::Time now = absl::Now();
    if (!enabled_ || now - last_ < absl::Milliseconds(200)) return;
    last_ = now;
    const double secs = absl::ToDoubleSeconds(now - began_);
    const double rate = secs > 0 ? (done_ - start_count_) / secs : 0;
    std::fprintf(stderr, "\rissued %llu/%llu (%.0f units/s, ETA %.0fs)   ",
                 static_cast<unsigned long long>(done_), static_cast<unsigned long long>(total_),
                 rate, rate > 0 ? (total_ - done_) / rate : 0.0);
  }
  void Finish() {
    if (enabled_) std::fprintf(stderr, "\r%60s\r", "");
  }

 private:
  const uint64_t total_;
  uint64_t done_;
  const uint64_t start_count_;
  const bool enabled_;
  const absl::Time began_ = absl::Now();
  absl::Time last_ = absl::InfinitePast();
};

int Issue(const IssueOptions& o) {
  absl::StatusOr<v1::SerialFormat> format = ParseFormat(o.format);
  if (!format.ok()) return ReportError(format.status());
  absl::StatusOr<std::unique_ptr<Client>> client = Connect(o.connection);
  if (!client.ok()) return ReportError(client.status());
  absl::StatusOr<std::unique_ptr<UnitWriter>> out =
      UnitWriter::Open(o.out, o.json, /*resume=*/true);
  if (!out.ok()) return ReportError(out.status());
  v1::IssueSerialsRequest req;
  req.set_gtin(o.gtin);
  req.set_lot(o.lot);
  req.set_expiry_date(o.expiry);
  req.set_production_date(o.production);
  req.set_sku(o.sku);
  req.set_count(o.count);
  req.set_format(*format);
  req.set_plant(o.plant);
  req.set_prefix(o.prefix);
  req.set_request_id(o.request_id);
  const uint64_t skip = (*out)->already_written();
  if (skip >= o.count) {
    std::cerr << "hallmarkctl: " << o.out << " already holds all " << o.count << " units\n";
    return kExitOk;
  }
  if (skip > 0) std::cerr << "resuming after the " << skip << " units already in " << o.out << "\n";
  absl::Status s;
  if (o.count <= 10000) {
    absl::StatusOr<v1::IssueSerialsResponse> resp = (*client)->IssueSerials(req);
    s = resp.status();
    for (int i = static_cast<int>(skip); s.ok() && i < resp->units_size(); ++i) {
      s = (*out)->Write(resp->units(i));
    }
  } else {
    Progress progress(o.count, skip);
    s = (*client)->StreamIssueSerials(req, skip, [&](const v1::IssuedUnit& u) {
      progress.Add();
      return (*out)->Write(u);
    });
    progress.Finish();
  }
  absl::Status closed = (*out)->Close();
  if (!s.ok()) return ReportCallError(s, (*client)->options().address);
  if (!closed.ok()) return ReportError(closed);
  return kExitOk;
}

struct ImportOptions {
  ClientSettings connection;
  std::string gtin, lot, expiry, production, sku, supplier, request_id, csv, out;
  bool json = false;
};

// A file's serials with the line each came from (1-based), so rejections can name the line.
struct FileSerials {
  std::vector<std::string> serials;
  std::vector<size_t> lines;
};

absl::StatusOr<FileSerials> ReadSerials(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path, 256 << 20);
  if (!text.ok()) return text.status();
  FileSerials out;
  size_t number = 0;
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    ++number;
    line = absl::StripTrailingAsciiWhitespace(line);
    if (line.empty()) continue;
    std::string first = SplitCsv(line)[0];
    if (out.serials.empty() && absl::AsciiStrToLower(first) == "serial") continue;
    out.serials.push_back(std::move(first));
    out.lines.push_back(number);
  }
  return out;
}

// One rejection as the user reads it: the file's line, the serial, the reason; a serial the
// file already held on an earlier line "repeats line N" (within a request or across the
// 10,000-serial requests a file is sent in); "serials[i]" of a request becomes its file line.
std::string DescribeRejection(const v1::RejectedSerial& r, size_t line, size_t first_line,
                              const std::vector<size_t>& request_lines) {
  std::string detail = r.detail();
  std::string reason = v1::RejectReason_Name(r.reason()).substr(14);
  if (first_line < line) {
    reason = "DUPLICATE";
    detail = absl::StrCat("repeats line ", first_line);
  } else if (const size_t at = detail.find("serials["); at != std::string::npos) {
    const size_t close = detail.find(']', at);
    size_t i = 0;
    if (close != std::string::npos &&
        absl::SimpleAtoi(absl::string_view(detail).substr(at + 8, close - at - 8), &i) &&
        i < request_lines.size()) {
      detail.replace(at, close + 1 - at, absl::StrCat("line ", request_lines[i]));
    }
  }
  return absl::StrCat("rejected line ", line, " ", r.serial(), ": ", reason, " (", detail, ")");
}

int Import(const ImportOptions& o) {
  absl::StatusOr<FileSerials> file = ReadSerials(o.csv);
  if (!file.ok()) return ReportError(file.status());
  const std::vector<std::string>* serials = &file->serials;
  absl::flat_hash_map<absl::string_view, size_t> first_line;
  for (size_t i = 0; i < serials->size(); ++i) {
    first_line.try_emplace((*serials)[i], file->lines[i]);
  }
  // Without --request-id, the file's content names the request: re-running the same import
  // is safe by default.
  std::string request_id = o.request_id;
  if (request_id.empty()) {
    std::string all = absl::StrCat(o.gtin, "\n", o.lot, "\n", o.sku, "\n", o.supplier);
    // Dates only when given, so an import without them keeps the request id it always had.
    if (!o.expiry.empty() || !o.production.empty()) {
      absl::StrAppend(&all, "\ndates:", o.expiry, "/", o.production);
    }
    for (const std::string& s : *serials) absl::StrAppend(&all, "\n", s);
    request_id = "import-" + absl::BytesToHexString(crypto::Sha256(all)).substr(0, 24);
  }
  absl::StatusOr<std::unique_ptr<Client>> client = Connect(o.connection);
  if (!client.ok()) return ReportError(client.status());
  absl::StatusOr<std::unique_ptr<UnitWriter>> out = UnitWriter::Open(o.out, o.json, false);
  if (!out.ok()) return ReportError(out.status());
  uint64_t accepted = 0, rejected = 0;
  constexpr size_t kChunk = 10000;
  for (size_t first = 0; first < serials->size() || first == 0; first += kChunk) {
    v1::ImportSerialsRequest req;
    req.set_gtin(o.gtin);
    req.set_lot(o.lot);
    req.set_expiry_date(o.expiry);
    req.set_production_date(o.production);
    req.set_sku(o.sku);
    req.set_supplier(o.supplier);
    req.set_request_id(serials->size() > kChunk ? absl::StrCat(request_id, "-", first / kChunk)
                                                : request_id);
    for (size_t i = first; i < std::min(serials->size(), first + kChunk); ++i) {
      req.add_serials((*serials)[i]);
    }
    absl::StatusOr<v1::ImportSerialsResponse> resp = (*client)->ImportSerials(req);
    if (!resp.ok()) return ReportCallError(resp.status(), (*client)->options().address);
    for (const v1::IssuedUnit& u : resp->accepted()) {
      if (absl::Status s = (*out)->Write(u); !s.ok()) return ReportError(s);
      ++accepted;
    }
    // Each rejection's place in the request: the next unclaimed occurrence of its serial (a
    // repeat within the request is one after the occurrence it repeats).
    const size_t end = std::min(serials->size(), first + kChunk);
    const std::vector<size_t> request_lines(file->lines.begin() + first, file->lines.begin() + end);
    absl::flat_hash_map<absl::string_view, std::deque<size_t>> places;
    for (size_t i = first; i < end; ++i) places[(*serials)[i]].push_back(i - first);
    for (const v1::RejectedSerial& r : resp->rejected()) {
      std::deque<size_t>& q = places[r.serial()];
      size_t after = 0;
      const size_t mention = r.detail().find("repeats serials[");
      if (mention != std::string::npos) {
        absl::SimpleAtoi(absl::string_view(r.detail()).substr(mention + 16).substr(
                             0, r.detail().find(']', mention) - mention - 16),
                         &after);
        while (!q.empty() && q.front() <= after) q.pop_front();
      }
      const size_t index = q.empty() ? 0 : q.front();
      if (!q.empty()) q.pop_front();
      const size_t line = request_lines.empty() ? 0 : request_lines[index];
      std::cerr << DescribeRejection(r, line, first_line[r.serial()], request_lines) << "\n";
      ++rejected;
    }
    if (serials->empty()) break;
  }
  if (absl::Status s = (*out)->Close(); !s.ok()) return ReportError(s);
  std::cerr << "imported " << accepted << ", rejected " << rejected << " (request id "
            << request_id << ")\n";
  return rejected > 0 ? kExitNegative : kExitOk;
}

}  // namespace

void AddIssueCommand(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<IssueOptions>();
  CLI::App* cmd = app.add_subcommand(
      "issue", "Issue signed units and write them as CSV or JSON Lines; re-run with the same "
               "--request-id and --out to resume an interrupted run");
  AddConnectionFlags(cmd, &o->connection);
  cmd->add_option("--gtin", o->gtin, "GTIN-8/12/13/14")->required();
  cmd->add_option("--count", o->count, "Units, 1..10,000,000")->required();
  cmd->add_option("--request-id,--request_id", o->request_id, "Idempotency key, e.g. a UUID")
      ->required();
  cmd->add_option("--lot", o->lot, "Lot (AI 10)");
  cmd->add_option("--expiry", o->expiry,
                  "The lot's expiry date, AI (17) YYMMDD (DD = 00: the month's last day)");
  cmd->add_option("--production", o->production, "The lot's production date, AI (11) YYMMDD");
  cmd->add_option("--sku", o->sku, "SKU");
  cmd->add_option("--format", o->format, "random, sequential, date or plant")
      ->capture_default_str();
  cmd->add_option("--plant", o->plant, "Plant code (--format plant)");
  cmd->add_option("--prefix", o->prefix, "Serial prefix (--format sequential)");
  cmd->add_option("--out", o->out, "Output file (default stdout); an existing one is resumed");
  cmd->add_flag("--json", o->json, "JSON Lines instead of CSV");
  cmd->callback([o, exit_code] { *exit_code = Issue(*o); });
}

void AddImportCommand(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<ImportOptions>();
  CLI::App* cmd = app.add_subcommand(
      "import", "Register supplier serials from a file; writes the accepted units, reports "
                "each rejected serial; exit 3 when anything was rejected");
  AddConnectionFlags(cmd, &o->connection);
  cmd->add_option("--gtin", o->gtin, "GTIN-8/12/13/14")->required();
  cmd->add_option("--csv", o->csv, "File of serials, one per line (first CSV column)")
      ->required();
  cmd->add_option("--lot", o->lot, "Lot (AI 10)");
  cmd->add_option("--expiry", o->expiry,
                  "The lot's expiry date, AI (17) YYMMDD (DD = 00: the month's last day)");
  cmd->add_option("--production", o->production, "The lot's production date, AI (11) YYMMDD");
  cmd->add_option("--sku", o->sku, "SKU");
  cmd->add_option("--supplier", o->supplier, "Supplier name");
  cmd->add_option("--request-id,--request_id", o->request_id,
                  "Idempotency key (default: derived from the file's content)");
  cmd->add_option("--out", o->out, "Output file for accepted units (default stdout)");
  cmd->add_flag("--json", o->json, "JSON Lines instead of CSV");
  cmd->callback([o, exit_code] { *exit_code = Import(*o); });
}

}  // namespace hallmark::ctl
