#include "gs1/element_string.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "gs1/internal/ai_table.h"

namespace hallmark::gs1 {
namespace {

using internal::AiSpec;
using internal::MatchAiPrefix;
using internal::UnitCodeBuilder;

constexpr absl::string_view kSymbologyIds[] = {"]d2", "]Q3", "]C1", "]e0", "]J1"};

absl::StatusOr<const AiSpec*> MatchAi(absl::string_view rest, size_t position) {
  const AiSpec* spec = MatchAiPrefix(rest);
  if (spec == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "element string: no supported AI at position ", position + 1));
  }
  return spec;
}

absl::StatusOr<UnitCode> ParseRaw(absl::string_view data) {
  if (absl::StartsWith(data, "]")) {
    bool known = false;
    for (absl::string_view id : kSymbologyIds) known = known || absl::StartsWith(data, id);
    if (!known) {
      return absl::InvalidArgumentError(
          "element string: unsupported symbology identifier (accepted: ]d2 ]Q3 ]C1 ]e0 ]J1)");
    }
    data.remove_prefix(3);
  }
  absl::ConsumePrefix(&data, absl::string_view(&kGroupSeparator, 1));
  UnitCodeBuilder builder;
  size_t pos = 0;
  while (pos < data.size()) {
    HALLMARK_ASSIGN_OR_RETURN(const AiSpec* spec, MatchAi(data.substr(pos), pos));
    pos += spec->ai.size();
    size_t end = spec->predefined_length ? std::min(data.size(), pos + spec->max_length)
                                         : data.find(kGroupSeparator, pos);
    if (end == absl::string_view::npos) end = data.size();
    HALLMARK_RETURN_IF_ERROR(builder.Add(spec->ai, data.substr(pos, end - pos)));
    pos = end;
    if (pos < data.size() && data[pos] == kGroupSeparator) {
      ++pos;
      if (pos == data.size()) {
        return absl::InvalidArgumentError("element string: ends with a separator");
      }
    }
  }
  return std::move(builder).Build();
}

// Reads a bracketed value up to the next unescaped '(' and unescapes "\(".
std::string ReadBracketedValue(absl::string_view data, size_t* pos) {
  std::string value;
  while (*pos < data.size() && data[*pos] != '(') {
    if (data[*pos] == '\\' && *pos + 1 < data.size() && data[*pos + 1] == '(') ++*pos;
    value.push_back(data[(*pos)++]);
  }
  return value;
}

// Every AI starts at a '(' (values stop at the next unescaped one), so the loop always sits on
// an opening bracket.
absl::StatusOr<UnitCode> ParseBracketed(absl::string_view data) {
  UnitCodeBuilder builder;
  size_t pos = 0;
  while (pos < data.size()) {
    const size_t close = data.find(')', pos);
    if (close == absl::string_view::npos) {
      return absl::InvalidArgumentError("element string: unterminated AI bracket");
    }
    const absl::string_view ai = data.substr(pos + 1, close - pos - 1);
    pos = close + 1;
    HALLMARK_RETURN_IF_ERROR(builder.Add(ai, ReadBracketedValue(data, &pos)));
  }
  return std::move(builder).Build();
}

std::string EscapeBracketed(absl::string_view value) {
  return absl::StrReplaceAll(value, {{"(", "\\("}});
}

}  // namespace

absl::StatusOr<UnitCode> ParseElementString(absl::string_view data) {
  if (data.empty()) return absl::InvalidArgumentError("element string: empty");
  return data.front() == '(' ? ParseBracketed(data) : ParseRaw(data);
}

std::string FormatBracketedElementString(const UnitCode& code) {
  std::string out = absl::StrCat("(01)", code.gtin);
  if (!code.expiry.empty()) absl::StrAppend(&out, "(17)", code.expiry);
  if (!code.production.empty()) absl::StrAppend(&out, "(11)", code.production);
  absl::StrAppend(&out, "(21)", EscapeBracketed(code.serial));
  if (!code.lot.empty()) absl::StrAppend(&out, "(10)", EscapeBracketed(code.lot));
  if (!code.digsig.empty()) absl::StrAppend(&out, "(8030)", code.digsig);
  return out;
}

std::string FormatRawElementString(const UnitCode& code, absl::string_view symbology_id) {
  const absl::string_view gs(&kGroupSeparator, 1);
  // Fixed-length AIs first: the dates need no separator after them.
  std::string out = absl::StrCat(symbology_id, "01", code.gtin);
  if (!code.expiry.empty()) absl::StrAppend(&out, "17", code.expiry);
  if (!code.production.empty()) absl::StrAppend(&out, "11", code.production);
  absl::StrAppend(&out, "21", code.serial);
  if (!code.lot.empty()) absl::StrAppend(&out, gs, "10", code.lot);
  if (!code.digsig.empty()) absl::StrAppend(&out, gs, "8030", code.digsig);
  return out;
}

}  // namespace hallmark::gs1
