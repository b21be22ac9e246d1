#include "gs1/digital_link.h"

#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "gs1/gs1.h"
#include "gs1/internal/ai_table.h"

namespace hallmark::gs1 {
namespace {

bool IsUnreserved(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

std::string PercentEncode(absl::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (IsUnreserved(c)) {
      out.push_back(c);
    } else {
      const auto u = static_cast<unsigned char>(c);
      out += {'%', kHex[u >> 4], kHex[u & 0xf]};
    }
  }
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

absl::StatusOr<std::string> PercentDecode(absl::string_view value) {
  std::string out;
  out.reserve(value.size());
  size_t run = 0;  // start of the characters not yet copied, which need no decoding
  for (size_t i = value.find('%'); i != absl::string_view::npos; i = value.find('%', run)) {
    const int hi = i + 2 < value.size() ? HexValue(value[i + 1]) : -1;
    const int lo = hi >= 0 ? HexValue(value[i + 2]) : -1;
    if (lo < 0) return absl::InvalidArgumentError("digital link: malformed percent-encoding");
    if (hi == 0 && lo == 0) return absl::InvalidArgumentError("digital link: %00 is not allowed");
    out.append(value.data() + run, i - run);
    out.push_back(static_cast<char>(hi * 16 + lo));
    run = i + 3;
  }
  out.append(value.data() + run, value.size() - run);
  return out;
}

bool IsQualifier(absl::string_view ai) { return ai == "10" || ai == "21" || ai == "22"; }

// Splits the path info into segments and returns the index of the "01" primary key segment:
// the path ends with /01/{gtin} followed by qualifier pairs; anything before is a free prefix.
absl::StatusOr<size_t> FindPrimaryKey(const std::vector<absl::string_view>& segments) {
  size_t i = segments.size();
  while (i >= 2 && IsQualifier(segments[i - 2])) i -= 2;
  if (i >= 2 && segments[i - 2] == "01") return i - 2;
  return absl::InvalidArgumentError("digital link: path has no /01/{gtin} primary key");
}

absl::Status AddPathPairs(const std::vector<absl::string_view>& segments, size_t first,
                          internal::UnitCodeBuilder* builder) {
  for (size_t i = first; i < segments.size(); i += 2) {
    HALLMARK_ASSIGN_OR_RETURN(std::string value, PercentDecode(segments[i + 1]));
    if (segments[i] == "01") {
      // The standard lets GTIN-8/12/13 appear unpadded in a URI.
      HALLMARK_ASSIGN_OR_RETURN(value, NormalizeGtin(value, "AI (01)"));
    }
    HALLMARK_RETURN_IF_ERROR(builder->Add(segments[i], value));
  }
  return absl::OkStatus();
}

absl::Status AddQuery(absl::string_view query, internal::UnitCodeBuilder* builder) {
  if (query.empty()) return absl::OkStatus();
  for (absl::string_view param : absl::StrSplit(query, '&')) {
    std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(param, '=');
    // The DIGSIG and the dates are part of the code; linkType and other attributes are not.
    if (kv.first != "8030" && kv.first != "17" && kv.first != "11") continue;
    HALLMARK_ASSIGN_OR_RETURN(std::string value, PercentDecode(kv.second));
    HALLMARK_RETURN_IF_ERROR(builder->Add(kv.first, value));
  }
  return absl::OkStatus();
}

absl::StatusOr<absl::string_view> StripScheme(absl::string_view uri) {
  for (absl::string_view scheme : {"https://", "http://"}) {
    if (absl::StartsWithIgnoreCase(uri, scheme)) return uri.substr(scheme.size());
  }
  return absl::InvalidArgumentError("digital link: scheme must be http:// or https://");
}

}  // namespace

absl::Status ValidateResolverHost(absl::string_view host) {
  std::pair<absl::string_view, absl::string_view> parts = absl::StrSplit(host, ':');
  bool ok = !parts.first.empty() && parts.first.size() <= 253 &&
            std::count(host.begin(), host.end(), ':') <= 1;
  for (char c : parts.first) {
    ok = ok && (absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-');
  }
  if (host.find(':') != absl::string_view::npos) {
    ok = ok && !parts.second.empty() && parts.second.size() <= 5;
    for (char c : parts.second) ok = ok && absl::ascii_isdigit(static_cast<unsigned char>(c));
  }
  if (!ok) {
    return absl::InvalidArgumentError(
        "resolver_host: must be a host name ([A-Za-z0-9.-]) with an optional :port");
  }
  return absl::OkStatus();
}

absl::StatusOr<UnitCode> ParseDigitalLink(absl::string_view uri) {
  HALLMARK_ASSIGN_OR_RETURN(absl::string_view rest, StripScheme(uri));
  rest = rest.substr(0, rest.find('#'));
  const size_t slash = rest.find('/');
  if (slash == 0 || slash == absl::string_view::npos) {
    return absl::InvalidArgumentError("digital link: missing host or path");
  }
  absl::string_view path = rest.substr(slash + 1);
  absl::string_view query;
  if (const size_t q = path.find('?'); q != absl::string_view::npos) {
    query = path.substr(q + 1);
    path = path.substr(0, q);
  }
  const std::vector<absl::string_view> segments = absl::StrSplit(path, '/');
  HALLMARK_ASSIGN_OR_RETURN(const size_t primary, FindPrimaryKey(segments));
  internal::UnitCodeBuilder builder;
  HALLMARK_RETURN_IF_ERROR(AddPathPairs(segments, primary, &builder));
  HALLMARK_RETURN_IF_ERROR(AddQuery(query, &builder));
  return std::move(builder).Build();
}

absl::StatusOr<std::string> FormatDigitalLink(absl::string_view host, const UnitCode& code) {
  HALLMARK_RETURN_IF_ERROR(ValidateResolverHost(host));
  std::string uri = absl::StrCat("https://", host, "/01/", code.gtin);
  if (!code.lot.empty()) absl::StrAppend(&uri, "/10/", PercentEncode(code.lot));
  absl::StrAppend(&uri, "/21/", PercentEncode(code.serial));
  // Data attributes in the query: the dates (digits only), then the DIGSIG.
  char sep = '?';
  const auto attribute = [&uri, &sep](absl::string_view ai, absl::string_view value) {
    if (value.empty()) return;
    absl::StrAppend(&uri, absl::string_view(&sep, 1), ai, "=", PercentEncode(value));
    sep = '&';
  };
  attribute("17", code.expiry);
  attribute("11", code.production);
  attribute("8030", code.digsig);
  return uri;
}

}  // namespace hallmark::gs1
