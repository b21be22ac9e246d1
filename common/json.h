// File: common/json.h
//
// Just enough JSON writing for log lines and JSON Lines output: string quoting (RFC 8259) and
// a flat object builder.
//
// Example:
//   JsonObject o;
//   o.Add("serial", "A1").Add("count", 3);
//   std::string line = o.Build();  // {"serial":"A1","count":3}
#ifndef HALLMARK_COMMON_JSON_H_
#define HALLMARK_COMMON_JSON_H_

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace hallmark {

// `s` as a JSON string literal, quotes included.
std::string JsonQuote(absl::string_view s);
// The same, appended to `out` (no temporary string).
void AppendJsonQuoted(absl::string_view s, std::string* out);

class JsonObject {
 public:
  JsonObject& Add(absl::string_view key, absl::string_view value) {
    return Raw(key, JsonQuote(value));
  }
  JsonObject& Add(absl::string_view key, const char* value) {
    return Add(key, absl::string_view(value));
  }
  JsonObject& Add(absl::string_view key, int64_t value) { return Raw(key, absl::StrCat(value)); }
  JsonObject& Add(absl::string_view key, uint64_t value) { return Raw(key, absl::StrCat(value)); }
  JsonObject& Add(absl::string_view key, int value) { return Raw(key, absl::StrCat(value)); }
  JsonObject& Add(absl::string_view key, bool value) { return Raw(key, value ? "true" : "false"); }
  // `json` must already be valid JSON (an array or object).
  JsonObject& Raw(absl::string_view key, absl::string_view json) {
    absl::StrAppend(&body_, body_.empty() ? "" : ",", JsonQuote(key), ":", json);
    return *this;
  }
  std::string Build() const { return absl::StrCat("{", body_, "}"); }

 private:
  std::string body_;
};

}  // namespace hallmark

#endif  // HALLMARK_COMMON_JSON_H_
