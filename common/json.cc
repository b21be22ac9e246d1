#include "common/json.h"

#include "absl/strings/str_format.h"

namespace hallmark {

std::string JsonQuote(absl::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  AppendJsonQuoted(s, &out);
  return out;
}

void AppendJsonQuoted(absl::string_view s, std::string* out_ptr) {
  std::string& out = *out_ptr;
  out.push_back('"');
  size_t run = 0;  // start of the characters not yet copied, which need no escape
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c != '"' && c != '\\' && static_cast<unsigned char>(c) >= 0x20) continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: out += absl::StrFormat("\\u%04x", static_cast<unsigned char>(c));
    }
  }
  out.append(s.data() + run, s.size() - run);
  out.push_back('"');
}

}  // namespace hallmark
