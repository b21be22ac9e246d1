#include "client/ctl/issue_command.h"

#include <grpcpp/grpcpp.h>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "client/ctl/ctl_common.h"
#include "hallmark/v1/issuance.grpc.pb.h"

namespace hallmark::ctl {
namespace {

struct IssueOptions {
  std::string addr;
  std::string token;
  std::string gtin;
  std::string lot;
  std::string sku;
  std::string format = "random";
  std::string plant;
  std::string prefix;
  std::string request_id;
  uint32_t count = 0;
};

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

// RFC 4180: quote fields containing a comma, quote or line break.
std::string Csv(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  return absl::StrCat("\"", absl::StrReplaceAll(s, {{"\"", "\"\""}}), "\"");
}

void PrintUnit(const v1::IssuedUnit& u) {
  std::cout << Csv(u.unit().gtin()) << "," << Csv(u.unit().serial()) << "," << Csv(u.lot())
            << "," << u.key_id() << "," << u.digsig() << "," << Csv(u.digital_link()) << ","
            << Csv(u.element_string()) << "\n";
}

absl::StatusOr<v1::SerialFormat> ParseFormat(const std::string& f) {
  if (f == "random") return v1::SERIAL_FORMAT_RANDOM;
  if (f == "sequential") return v1::SERIAL_FORMAT_SEQUENTIAL;
  if (f == "date") return v1::SERIAL_FORMAT_DATE_ENCODED;
  if (f == "plant") return v1::SERIAL_FORMAT_PLANT_ENCODED;
  return absl::InvalidArgumentError("--format: one of random, sequential, date, plant");
}

int ReportRpc(const grpc::Status& s) {
  return ReportError(absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message()));
}

int Issue(IssueOptions o) {
  if (o.addr.empty()) o.addr = Env("HALLMARK_ADDR");
  if (o.addr.empty()) o.addr = "127.0.0.1:50051";
  if (o.token.empty()) o.token = Env("HALLMARK_TOKEN");
  absl::StatusOr<v1::SerialFormat> format = ParseFormat(o.format);
  if (!format.ok()) return ReportError(format.status());
  v1::IssueSerialsRequest req;
  req.set_gtin(o.gtin);
  req.set_lot(o.lot);
  req.set_sku(o.sku);
  req.set_count(o.count);
  req.set_format(*format);
  req.set_plant(o.plant);
  req.set_prefix(o.prefix);
  req.set_request_id(o.request_id);
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  auto stub = v1::Issuance::NewStub(
      grpc::CreateCustomChannel(o.addr, grpc::InsecureChannelCredentials(), args));
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer " + o.token);
  std::cout << "gtin,serial,lot,key_id,digsig,digital_link,element_string\n";
  if (o.count <= 10000) {
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    v1::IssueSerialsResponse resp;
    grpc::Status s = stub->IssueSerials(&ctx, req, &resp);
    if (!s.ok()) return ReportRpc(s);
    for (const auto& u : resp.units()) PrintUnit(u);
    return kExitOk;
  }
  auto reader = stub->StreamIssueSerials(&ctx, req);
  v1::IssuedUnit u;
  while (reader->Read(&u)) PrintUnit(u);
  grpc::Status s = reader->Finish();
  return s.ok() ? kExitOk : ReportRpc(s);
}

}  // namespace

void AddIssueCommand(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<IssueOptions>();
  CLI::App* cmd = app.add_subcommand(
      "issue", "Issue signed units on the server and print them as CSV (a retry with the same "
               "--request_id returns the same units)");
  cmd->add_option("--addr", o->addr, "Server address (default $HALLMARK_ADDR or 127.0.0.1:50051)");
  cmd->add_option("--token", o->token, "Bearer token (default $HALLMARK_TOKEN)");
  cmd->add_option("--gtin", o->gtin, "GTIN-8/12/13/14")->required();
  cmd->add_option("--count", o->count, "Units (1..10,000,000)")->required();
  cmd->add_option("--request_id", o->request_id, "Idempotency key, e.g. a UUID")->required();
  cmd->add_option("--lot", o->lot, "Lot (AI 10)");
  cmd->add_option("--sku", o->sku, "SKU");
  cmd->add_option("--format", o->format, "random, sequential, date or plant")
      ->capture_default_str();
  cmd->add_option("--plant", o->plant, "Plant code (format plant)");
  cmd->add_option("--prefix", o->prefix, "Serial prefix (format sequential)");
  cmd->callback([o, exit_code] { *exit_code = Issue(*o); });
}

}  // namespace hallmark::ctl
