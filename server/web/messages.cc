#include "server/web/messages.h"

#include <algorithm>
#include <utility>

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "server/web/catalogues.h"

namespace hallmark::web {

absl::StatusOr<std::map<std::string, std::string, std::less<>>> ParseCatalogue(
    absl::string_view text, absl::string_view language) {
  std::map<std::string, std::string, std::less<>> out;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    const size_t eq = line.find('=');
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("messages/", language, ".txt line ", line_number, ": no '='"));
    }
    const std::string key(absl::StripAsciiWhitespace(line.substr(0, eq)));
    const std::string value(absl::StripAsciiWhitespace(line.substr(eq + 1)));
    if (key.empty() || value.empty() || !out.emplace(key, value).second) {
      return absl::InvalidArgumentError(absl::StrCat("messages/", language, ".txt line ",
                                                     line_number, ": empty or repeated key"));
    }
  }
  return out;
}

absl::StatusOr<std::unique_ptr<Messages>> Messages::FromTexts(
    const std::map<std::string, std::string>& texts) {
  std::map<std::string, Catalogue, std::less<>> catalogues;
  for (const auto& [language, text] : texts) {
    absl::StatusOr<Catalogue> c = ParseCatalogue(text, language);
    if (!c.ok()) return c.status();
    catalogues.emplace(language, *std::move(c));
  }
  auto en = catalogues.find("en");
  if (en == catalogues.end()) return absl::InvalidArgumentError("messages: no en.txt");
  for (const auto& [language, catalogue] : catalogues) {
    for (const auto& [key, text] : en->second) {
      if (catalogue.find(key) == catalogue.end()) {
        return absl::InvalidArgumentError(
            absl::StrCat("messages/", language, ".txt: missing key ", key));
      }
    }
    for (const auto& [key, text] : catalogue) {
      if (en->second.find(key) == en->second.end()) {
        return absl::InvalidArgumentError(
            absl::StrCat("messages/", language, ".txt: key ", key, " is not in en.txt"));
      }
    }
  }
  return std::unique_ptr<Messages>(new Messages(std::move(catalogues)));
}

absl::StatusOr<std::unique_ptr<Messages>> Messages::Load() {
  std::map<std::string, std::string> texts;
  for (const internal::EmbeddedCatalogue& c : internal::kEmbeddedCatalogues) {
    texts.emplace(c.language, c.text);
  }
  return FromTexts(texts);
}

std::vector<std::string> AcceptedLanguages(absl::string_view accept_language) {
  // "de-CH, fr;q=0.8, en;q=0.5": bounded by the header size evhttp accepts, and to 16 tags.
  std::vector<std::pair<double, std::string>> tags;
  for (absl::string_view item : absl::StrSplit(accept_language, ',')) {
    std::vector<absl::string_view> parts = absl::StrSplit(item, ';');
    std::string tag = absl::AsciiStrToLower(absl::StripAsciiWhitespace(parts[0]));
    double q = 1;
    for (size_t i = 1; i < parts.size(); ++i) {
      absl::string_view p = absl::StripAsciiWhitespace(parts[i]);
      if (absl::ConsumePrefix(&p, "q=") && !absl::SimpleAtod(p, &q)) q = 0;
    }
    if (tag.empty() || tag == "*" || q <= 0) continue;
    tags.emplace_back(q, std::move(tag));
    if (tags.size() == 16) break;
  }
  std::stable_sort(tags.begin(), tags.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<std::string> out;
  for (auto& [q, tag] : tags) out.push_back(std::move(tag));
  return out;
}

std::string Messages::Choose(absl::string_view accept_language) const {
  for (const std::string& tag : AcceptedLanguages(accept_language)) {
    const std::string primary = tag.substr(0, tag.find('-'));
    if (catalogues_.find(primary) != catalogues_.end()) return primary;
  }
  return "en";
}

const std::string& Messages::Get(absl::string_view language, absl::string_view key) const {
  static const std::string* const kEmpty = new std::string();
  auto c = catalogues_.find(language);
  if (c == catalogues_.end()) c = catalogues_.find("en");
  auto t = c->second.find(key);
  return t == c->second.end() ? *kEmpty : t->second;
}

std::vector<std::string> Messages::languages() const {
  std::vector<std::string> out;
  for (const auto& [language, c] : catalogues_) out.push_back(language);
  return out;
}

}  // namespace hallmark::web
