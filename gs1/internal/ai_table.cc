#include "gs1/internal/ai_table.h"

#include <algorithm>
#include <array>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "gs1/gs1.h"

namespace hallmark::gs1::internal {
namespace {

using C = AiCharset;

// A deliberately small table: the identity AIs plus those commonly printed next to them.
constexpr std::array<AiSpec, 29> kAiTable = {{
    {"00", 18, 18, C::kNumeric, true},  {"01", 14, 14, C::kNumeric, true},
    {"02", 14, 14, C::kNumeric, true},  {"10", 1, 20, C::kCset82, false},
    {"11", 6, 6, C::kNumeric, true},    {"12", 6, 6, C::kNumeric, true},
    {"13", 6, 6, C::kNumeric, true},    {"15", 6, 6, C::kNumeric, true},
    {"16", 6, 6, C::kNumeric, true},    {"17", 6, 6, C::kNumeric, true},
    {"20", 2, 2, C::kNumeric, true},    {"21", 1, 20, C::kCset82, false},
    {"22", 1, 20, C::kCset82, false},   {"30", 1, 8, C::kNumeric, false},
    {"37", 1, 8, C::kNumeric, false},   {"240", 1, 30, C::kCset82, false},
    {"241", 1, 30, C::kCset82, false},  {"250", 1, 30, C::kCset82, false},
    {"251", 1, 30, C::kCset82, false},  {"8030", 1, 90, C::kCset64, false},
    {"90", 1, 30, C::kCset82, false},   {"91", 1, 90, C::kCset82, false},
    {"92", 1, 90, C::kCset82, false},   {"93", 1, 90, C::kCset82, false},
    {"94", 1, 90, C::kCset82, false},   {"95", 1, 90, C::kCset82, false},
    {"96", 1, 90, C::kCset82, false},   {"97", 1, 90, C::kCset82, false},
    {"98", 1, 90, C::kCset82, false},
}};

bool IsCset64(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '=';
}

absl::Status ValidateValue(const AiSpec& spec, absl::string_view value) {
  const auto field = [&spec] { return absl::StrCat("AI (", spec.ai, ")"); };  // errors only
  if (value.size() < spec.min_length || value.size() > spec.max_length) {
    return absl::InvalidArgumentError(
        spec.min_length == spec.max_length
            ? absl::StrCat(field(), ": must have exactly ", spec.max_length,
                           " characters, got ", value.size())
            : absl::StrCat(field(), ": must have ", spec.min_length, "..", spec.max_length,
                           " characters, got ", value.size()));
  }
  for (size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    const bool ok = spec.charset == C::kNumeric  ? absl::ascii_isdigit(static_cast<unsigned char>(c))
                    : spec.charset == C::kCset64 ? IsCset64(c)
                                                 : IsCset82(c);
    if (!ok) {
      return absl::InvalidArgumentError(absl::StrCat(
          field(), ": character at position ", i + 1, " is not allowed",
          spec.charset == C::kNumeric ? " (digits only)"
          : spec.charset == C::kCset64 ? " (GS1 character set 64)"
                                       : " (GS1 character set 82)"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

const AiSpec* MatchAiPrefix(absl::string_view data) {
  for (const AiSpec& spec : kAiTable) {
    if (absl::StartsWith(data, spec.ai)) return &spec;
  }
  return nullptr;
}

const AiSpec* FindAi(absl::string_view ai) {
  for (const AiSpec& spec : kAiTable) {
    if (spec.ai == ai) return &spec;
  }
  return nullptr;
}

absl::Status UnitCodeBuilder::Add(absl::string_view ai, absl::string_view value) {
  const AiSpec* spec = FindAi(ai);
  if (spec == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("AI (", ai, ") is not supported"));
  }
  if (std::find(seen_.begin(), seen_.end(), spec->ai) != seen_.end()) {
    return absl::InvalidArgumentError(absl::StrCat("AI (", ai, ") appears more than once"));
  }
  seen_.emplace_back(spec->ai);
  HALLMARK_RETURN_IF_ERROR(ValidateValue(*spec, value));
  if (ai == "01") {
    HALLMARK_ASSIGN_OR_RETURN(code_.gtin, NormalizeGtin(value, "AI (01)"));
  } else if (ai == "21") {
    code_.serial = std::string(value);
  } else if (ai == "10") {
    code_.lot = std::string(value);
  } else if (ai == "8030") {
    code_.digsig = std::string(value);
  } else if (ai == "17") {
    HALLMARK_RETURN_IF_ERROR(ValidateGs1Date(value, "AI (17) expiry date"));
    code_.expiry = std::string(value);
  } else if (ai == "11") {
    HALLMARK_RETURN_IF_ERROR(ValidateGs1Date(value, "AI (11) production date"));
    code_.production = std::string(value);
  }
  return absl::OkStatus();
}

absl::StatusOr<UnitCode> UnitCodeBuilder::Build() && {
  if (code_.gtin.empty()) return absl::InvalidArgumentError("AI (01) GTIN is missing");
  if (code_.serial.empty()) return absl::InvalidArgumentError("AI (21) serial is missing");
  return std::move(code_);
}

}  // namespace hallmark::gs1::internal
