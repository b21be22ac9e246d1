// File: server/web/messages.h
//
// The consumer page's words, one catalogue per language (server/web/messages/<lang>.txt,
// embedded at build time): `key = text` lines, `#` comments. Every catalogue must have exactly
// the keys of English, the fallback; Messages::Load refuses one that does not.
//
// Language choice follows Accept-Language (RFC 9110 §12.5.4): the highest-q language we have,
// by primary subtag ("de-CH" picks "de"); English when none matches.
#ifndef HALLMARK_SERVER_WEB_MESSAGES_H_
#define HALLMARK_SERVER_WEB_MESSAGES_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hallmark::web {

// The language tags of an Accept-Language header, most preferred first (by q; q=0 and "*"
// dropped; lower case; at most 16).
std::vector<std::string> AcceptedLanguages(absl::string_view accept_language);

class Messages {
 public:
  // The embedded catalogues, checked.
  static absl::StatusOr<std::unique_ptr<Messages>> Load();
  // From texts (tests): language -> catalogue text. "en" is required.
  static absl::StatusOr<std::unique_ptr<Messages>> FromTexts(
      const std::map<std::string, std::string>& texts);

  // The language to answer an Accept-Language header with.
  std::string Choose(absl::string_view accept_language) const;
  // The text of `key` in `language` (a language Choose returned); "" for an unknown key.
  const std::string& Get(absl::string_view language, absl::string_view key) const;
  std::vector<std::string> languages() const;

 private:
  using Catalogue = std::map<std::string, std::string, std::less<>>;
  explicit Messages(std::map<std::string, Catalogue, std::less<>> catalogues)
      : catalogues_(std::move(catalogues)) {}
  std::map<std::string, Catalogue, std::less<>> catalogues_;
};

// Parses one catalogue's text; errors name the line.
absl::StatusOr<std::map<std::string, std::string, std::less<>>> ParseCatalogue(
    absl::string_view text, absl::string_view language);

}  // namespace hallmark::web

#endif  // HALLMARK_SERVER_WEB_MESSAGES_H_
