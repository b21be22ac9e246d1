// File: gs1/internal/ai_table.h
//
// The GS1 Application Identifiers Hallmark understands, and the assembly of a UnitCode from
// (AI, value) pairs. Shared by the element-string and Digital Link parsers so both apply the
// same value rules.
#ifndef HALLMARK_GS1_INTERNAL_AI_TABLE_H_
#define HALLMARK_GS1_INTERNAL_AI_TABLE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gs1/unit_code.h"

namespace hallmark::gs1::internal {

enum class AiCharset : uint8_t { kNumeric, kCset82, kCset64 };

struct AiSpec {
  absl::string_view ai;
  uint8_t min_length;
  uint8_t max_length;
  AiCharset charset;
  // GS1 "predefined length" AIs (00-04, 11-20, ...): never followed by FNC1.
  bool predefined_length;
};

// The spec whose AI is a prefix of `data` (GS1 AIs are prefix-free), or nullptr.
const AiSpec* MatchAiPrefix(absl::string_view data);

// The spec for exactly `ai`, or nullptr.
const AiSpec* FindAi(absl::string_view ai);

// Collects (AI, value) pairs, validating each value, and builds the UnitCode.
// Not thread-safe; one per parse.
class UnitCodeBuilder {
 public:
  // Rejects unknown AIs, repeated AIs and invalid values.
  absl::Status Add(absl::string_view ai, absl::string_view value);
  // Fails when (01) or (21) is missing.
  absl::StatusOr<UnitCode> Build() &&;

 private:
  UnitCode code_;
  std::vector<std::string> seen_;
};

}  // namespace hallmark::gs1::internal

#endif  // HALLMARK_GS1_INTERNAL_AI_TABLE_H_
