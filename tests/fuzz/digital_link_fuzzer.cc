// libFuzzer target: Digital Link parsing never crashes, and whatever parses survives a
// format/parse round trip unchanged.
#include <cstdint>
#include <cstdlib>

#include "gs1/digital_link.h"
#include "gs1/unit_code.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<hallmark::gs1::UnitCode> code = hallmark::gs1::ParseDigitalLink(input);
  if (!code.ok()) return 0;
  absl::StatusOr<std::string> uri = hallmark::gs1::FormatDigitalLink("id.example.com", *code);
  if (!uri.ok()) std::abort();
  auto again = hallmark::gs1::ParseScannedCode(*uri);
  if (!again.ok() || *again != *code) std::abort();
  return 0;
}
