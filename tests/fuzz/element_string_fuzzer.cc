// libFuzzer target: element-string parsing never crashes, and whatever parses survives a
// format/parse round trip unchanged (bracketed and raw forms).
#include <cstdint>
#include <cstdlib>

#include "gs1/element_string.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<hallmark::gs1::UnitCode> code = hallmark::gs1::ParseElementString(input);
  if (!code.ok()) return 0;
  auto bracketed = hallmark::gs1::ParseElementString(
      hallmark::gs1::FormatBracketedElementString(*code));
  auto raw =
      hallmark::gs1::ParseElementString(hallmark::gs1::FormatRawElementString(*code, "]d2"));
  if (!bracketed.ok() || *bracketed != *code || !raw.ok() || *raw != *code) std::abort();
  return 0;
}
