#include "server/registry/redis_links_store.h"

#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/registry/reply_util.h"

namespace hallmark::registry {
namespace {

using internal::Call;
using redis::RedisReply;

constexpr absl::string_view kPrefixesKey = "hl:{prefixes}";

std::string GtinLinksKey(absl::string_view gtin) { return absl::StrCat(MetaKey(gtin), ":ln"); }

// The hash and the field of a place (lua/4_links.lua).
std::pair<std::string, std::string> KeyAndField(const LinkPlace& p) {
  if (p.gtin.empty()) return {std::string(kPrefixesKey), p.company_prefix};
  if (!p.serial.empty()) return {GtinLinksKey(p.gtin), absl::StrCat("21\n", p.serial)};
  if (!p.lot.empty()) return {GtinLinksKey(p.gtin), absl::StrCat("10\n", p.lot)};
  return {GtinLinksKey(p.gtin), ""};
}

absl::StatusOr<bool> ParseFlag(const RedisReply& r) {
  if (r.type != RedisReply::Type::kInteger) {
    return absl::InternalError("hm_links: unexpected reply");
  }
  return r.integer == 1;
}

absl::StatusOr<std::vector<std::optional<std::string>>> ParseEntries(const RedisReply& r) {
  if (!r.is_array()) return absl::InternalError("hm_links_get: unexpected reply");
  std::vector<std::optional<std::string>> out;
  for (const RedisReply& e : r.elements) {
    if (e.is_nil()) {
      out.push_back(std::nullopt);
    } else {
      out.push_back(e.str);
    }
  }
  return out;
}

}  // namespace

void RedisLinksStore::Put(const LinkPlace& place, std::string entry, size_t max_per_gtin,
                          absl::Time deadline, Callback<bool> done) {
  auto [key, field] = KeyAndField(place);
  const size_t max = place.gtin.empty() ? std::numeric_limits<uint32_t>::max() : max_per_gtin;
  Call<bool>(client_,
             {"FCALL", "hm_links_set", "1", std::move(key), std::move(field), std::move(entry),
              absl::StrCat(max)},
             deadline, std::move(done), ParseFlag);
}

void RedisLinksStore::Delete(const LinkPlace& place, absl::Time deadline, Callback<bool> done) {
  auto [key, field] = KeyAndField(place);
  Call<bool>(client_, {"FCALL", "hm_links_delete", "1", std::move(key), std::move(field)},
             deadline, std::move(done), ParseFlag);
}

void RedisLinksStore::GetUnitLevels(std::string gtin, std::string lot, std::string serial,
                                    absl::Time deadline,
                                    Callback<std::vector<std::optional<std::string>>> done) {
  // Absent levels are asked as a field no entry has ("\n": no lot or serial is empty), so
  // the reply keeps its three places.
  std::vector<std::string> argv = {
      "FCALL_RO", "hm_links_get", "1", GtinLinksKey(gtin),
      serial.empty() ? "\n" : absl::StrCat("21\n", serial),
      lot.empty() ? "\n" : absl::StrCat("10\n", lot), ""};
  Call<std::vector<std::optional<std::string>>>(client_, std::move(argv), deadline,
                                                std::move(done), ParseEntries);
}

void RedisLinksStore::GetPrefixes(std::vector<std::string> prefixes, absl::Time deadline,
                                  Callback<std::vector<std::optional<std::string>>> done) {
  if (prefixes.empty()) return done(std::vector<std::optional<std::string>>());
  std::vector<std::string> argv = {"FCALL_RO", "hm_links_get", "1", std::string(kPrefixesKey)};
  for (std::string& p : prefixes) argv.push_back(std::move(p));
  Call<std::vector<std::optional<std::string>>>(client_, std::move(argv), deadline,
                                                std::move(done), ParseEntries);
}

void RedisLinksStore::ScanGtin(std::string gtin, std::string cursor, uint32_t count,
                               absl::Time deadline, Callback<LinkPage> done) {
  Call<LinkPage>(
      client_,
      {"FCALL_RO", "hm_links_scan", "1", GtinLinksKey(gtin), std::move(cursor),
       absl::StrCat(count)},
      deadline, std::move(done), [](const RedisReply& r) -> absl::StatusOr<LinkPage> {
        if (!r.is_array() || r.elements.size() != 2 || !r.elements[1].is_array()) {
          return absl::InternalError("hm_links_scan: unexpected reply");
        }
        LinkPage page;
        page.cursor = r.elements[0].str;
        const auto& kv = r.elements[1].elements;
        for (size_t i = 1; i < kv.size(); i += 2) page.entries.push_back(kv[i].str);
        return page;
      });
}

}  // namespace hallmark::registry
