// retail_check: a retail partner's starting point. Reads scanned codes (one per line) from
// stdin, verifies them in batches, and prints one line per code:
//
//   AUTHENTIC  09506000134352  7KQ2M9XC4RTB0W8N  lot=L42  scans=3
//   STOLEN     09506000134352  X3...             reasons=stolen
//
// Connection settings come from the environment (HALLMARK_ADDR, HALLMARK_TOKEN, HALLMARK_CA,
// ...) or ~/.config/hallmark/client.conf; see client/client_options.h. Exit code 0 when every
// code is AUTHENTIC, 3 otherwise, 1 on errors.
//
// Build your own: link hallmark_client (client/CMakeLists.txt) and copy this file.
#include <iostream>
#include <string>

#include "absl/strings/str_join.h"
#include "client/hallmark_client.h"

int main() {
  absl::StatusOr<hallmark::ClientOptions> options = hallmark::ResolveClientOptions({});
  if (!options.ok()) {
    std::cerr << "retail_check: " << options.status().message() << "\n";
    return 1;
  }
  absl::StatusOr<std::unique_ptr<hallmark::Client>> client = hallmark::Client::Connect(*options);
  if (!client.ok()) {
    std::cerr << "retail_check: " << client.status().message() << "\n";
    return 1;
  }
  bool all_authentic = true;
  hallmark::v1::VerifyBatchRequest batch;
  auto flush = [&]() -> bool {
    if (batch.requests_size() == 0) return true;
    absl::StatusOr<hallmark::v1::VerifyBatchResponse> answers = (*client)->VerifyBatch(batch);
    if (!answers.ok()) {
      std::cerr << "retail_check: " << answers.status().message() << "\n";
      return false;
    }
    for (const hallmark::v1::VerifyResponse& a : answers->responses()) {
      all_authentic = all_authentic && a.verdict() == hallmark::v1::VERDICT_AUTHENTIC;
      std::string verdict = hallmark::v1::Verdict_Name(a.verdict()).substr(8);  // drop VERDICT_
      verdict.resize(12, ' ');
      std::cout << verdict << a.unit().gtin() << "  " << a.unit().serial();
      if (!a.lot().empty()) std::cout << "  lot=" << a.lot();
      if (a.scan_count() > 0) std::cout << "  scans=" << a.scan_count();
      if (!a.reasons().empty()) std::cout << "  reasons=" << absl::StrJoin(a.reasons(), ",");
      std::cout << "\n";
    }
    batch.clear_requests();
    return true;
  };
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.empty()) continue;
    batch.add_requests()->set_code(line);
    if (batch.requests_size() == 100 && !flush()) return 1;
  }
  if (!flush()) return 1;
  return all_authentic ? 0 : 3;
}
