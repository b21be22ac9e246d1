#include "server/links/links_engine.h"

#include <memory>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gs1/gs1.h"
#include "server/auth/access.h"
#include "server/common/fan_in.h"
#include "server/links/link_rules.h"

namespace hallmark::links {
namespace {

constexpr uint32_t kMaxPage = 50;  // entries of up to ~40 KB: at most ~2 MB a page

absl::Status InvalidScope() {
  return absl::InvalidArgumentError(
      "scope: a company_prefix alone, or a gtin with at most one of lot and serial");
}

// A GS1 company prefix: 4 to 12 digits, one of the caller's own (so the prefix entries are
// as many as the principals file has prefixes).
absl::Status CheckPrefix(const auth::Principal& caller, absl::string_view prefix) {
  if (prefix.size() < 4 || prefix.size() > 12 ||
      !std::all_of(prefix.begin(), prefix.end(), absl::ascii_isdigit)) {
    return absl::InvalidArgumentError("scope.company_prefix: 4 to 12 digits");
  }
  for (const std::string& own : caller.gs1_company_prefixes()) {
    if (prefix == own) return absl::OkStatus();
  }
  return absl::PermissionDeniedError(absl::StrCat(
      "company prefix ", prefix, " is not one of the GS1 company prefixes of issuer ",
      caller.name()));
}

// The place of a valid scope the caller may act on; `scope` gets the GTIN in 14 digits.
absl::StatusOr<registry::LinkPlace> Place(const auth::Principal& caller, v1::LinkScope* scope) {
  registry::LinkPlace place;
  if (!scope->company_prefix().empty()) {
    if (!scope->gtin().empty() || !scope->lot().empty() || !scope->serial().empty()) {
      return InvalidScope();
    }
    if (absl::Status s = CheckPrefix(caller, scope->company_prefix()); !s.ok()) return s;
    place.company_prefix = scope->company_prefix();
    return place;
  }
  if (scope->gtin().empty() || (!scope->lot().empty() && !scope->serial().empty())) {
    return InvalidScope();
  }
  absl::StatusOr<std::string> gtin = gs1::NormalizeGtin(scope->gtin(), "scope.gtin");
  if (!gtin.ok()) return gtin.status();
  if (absl::Status s = auth::CheckGtinAccess(caller, *gtin); !s.ok()) return s;
  if (!scope->lot().empty()) {
    if (absl::Status s = gs1::ValidateLot(scope->lot(), "scope.lot"); !s.ok()) return s;
  }
  if (!scope->serial().empty()) {
    if (absl::Status s = gs1::ValidateSerial(scope->serial(), "scope.serial"); !s.ok()) return s;
  }
  scope->set_gtin(*gtin);
  place.gtin = *gtin;
  place.lot = scope->lot();
  place.serial = scope->serial();
  return place;
}

std::vector<std::string> CandidatePrefixes(const std::string& gtin) {
  std::vector<std::string> out;
  if (gtin.size() != 14) return out;
  for (size_t n = 12; n >= 4; --n) out.push_back(gtin.substr(1, n));
  return out;
}


}  // namespace

LinksEngine::LinksEngine(registry::LinksStore* store, LinksOptions options)
    : store_(store), options_(std::move(options)) {}

absl::Time LinksEngine::Deadline(absl::Time call_deadline) const {
  return std::min(call_deadline, absl::Now() + options_.redis_timeout);
}

void LinksEngine::Set(const auth::Principal& caller, const v1::SetLinksRequest& request,
                      absl::Time call_deadline, v1::LinkEntry* out, Done done) {
  v1::LinkEntry entry = request.entry();
  absl::StatusOr<registry::LinkPlace> place = Place(caller, entry.mutable_scope());
  if (!place.ok()) return done(place.status());
  if (absl::Status s = ValidatePresentation(entry.presentation()); !s.ok()) return done(s);
  if (absl::Status s = ValidateLinks(entry.links()); !s.ok()) return done(s);
  const absl::Time now = options_.clock();
  entry.mutable_updated_at()->set_seconds(absl::ToUnixSeconds(now));
  entry.set_updated_by(caller.name());
  std::string value = entry.SerializeAsString();
  const bool prefix = !place->company_prefix.empty();
  *out = std::move(entry);
  store_->Put(*place, std::move(value), options_.max_entries_per_gtin, Deadline(call_deadline),
              [this, prefix, done = std::move(done)](absl::StatusOr<bool> r) mutable {
                if (prefix) ForgetPrefixes();
                done(r.status());
              });
}

void LinksEngine::Delete(const auth::Principal& caller, const v1::DeleteLinksRequest& request,
                         absl::Time call_deadline, v1::DeleteLinksResponse* out, Done done) {
  v1::LinkScope scope = request.scope();
  absl::StatusOr<registry::LinkPlace> place = Place(caller, &scope);
  if (!place.ok()) return done(place.status());
  const bool prefix = !place->company_prefix.empty();
  store_->Delete(*place, Deadline(call_deadline),
                 [this, prefix, out, done = std::move(done)](absl::StatusOr<bool> r) mutable {
                   if (prefix) ForgetPrefixes();
                   if (r.ok()) out->set_deleted(*r);
                   done(r.status());
                 });
}

void LinksEngine::List(const auth::Principal& caller, const v1::ListLinksRequest& request,
                       absl::Time call_deadline, v1::ListLinksResponse* out, Done done) {
  v1::LinkScope scope = request.scope();
  if (!scope.lot().empty() || !scope.serial().empty()) {
    return done(absl::InvalidArgumentError("scope: list by company_prefix or by gtin"));
  }
  absl::StatusOr<registry::LinkPlace> place = Place(caller, &scope);
  if (!place.ok()) return done(place.status());
  if (request.page_size() > kMaxPage) {
    return done(absl::InvalidArgumentError(absl::StrCat("page_size: at most ", kMaxPage)));
  }
  auto add = [out](const std::string& value) {
    if (!out->add_entries()->ParseFromString(value)) out->mutable_entries()->RemoveLast();
  };
  if (!place->company_prefix.empty()) {
    return store_->GetPrefixes(
        {place->company_prefix}, Deadline(call_deadline),
        [add, done = std::move(done)](
            absl::StatusOr<std::vector<std::optional<std::string>>> r) mutable {
          if (r.ok() && !r->empty() && (*r)[0].has_value()) add(*(*r)[0]);
          done(r.status());
        });
  }
  const std::string& token = request.page_token();
  if (token.size() > 20 || !std::all_of(token.begin(), token.end(), absl::ascii_isdigit)) {
    return done(absl::InvalidArgumentError("page_token: not one this server gave"));
  }
  store_->ScanGtin(place->gtin, token.empty() ? "0" : token,
                   request.page_size() == 0 ? kMaxPage : request.page_size(),
                   Deadline(call_deadline),
                   [add, out, done = std::move(done)](absl::StatusOr<registry::LinkPage> r) mutable {
                     if (!r.ok()) return done(r.status());
                     for (const std::string& e : r->entries) add(e);
                     if (r->cursor != "0") out->set_next_page_token(r->cursor);
                     done(absl::OkStatus());
                   });
}

void LinksEngine::ForgetPrefixes() {
  absl::MutexLock lock(&mu_);
  prefix_cache_.clear();
  ++prefix_generation_;
}

void LinksEngine::PrefixEntries(
    const std::string& gtin, absl::Time deadline,
    absl::AnyInvocable<void(absl::StatusOr<std::vector<std::string>>)> done) {
  const absl::Time now = options_.clock();
  const std::vector<std::string> candidates = CandidatePrefixes(gtin);
  std::vector<std::shared_ptr<const std::string>> hits;
  uint64_t generation = 0;
  bool all_cached = true;
  {
    absl::MutexLock lock(&mu_);
    generation = prefix_generation_;
    for (const std::string& prefix : candidates) {
      auto it = prefix_cache_.find(prefix);
      if (it == prefix_cache_.end() || it->second.expires <= now) {
        all_cached = false;
        break;
      }
      if (it->second.entry != nullptr) hits.push_back(it->second.entry);
    }
  }
  if (all_cached) {
    std::vector<std::string> entries;
    for (const auto& e : hits) entries.push_back(*e);
    return done(std::move(entries));
  }
  store_->GetPrefixes(
      candidates, deadline,
      [this, candidates, generation, now, done = std::move(done)](
          absl::StatusOr<std::vector<std::optional<std::string>>> r) mutable {
        if (!r.ok()) return done(r.status());
        if (r->size() != candidates.size()) {
          return done(absl::InternalError("links: prefix reply of the wrong size"));
        }
        std::vector<std::string> entries;
        {
          absl::MutexLock lock(&mu_);
          const bool fill = generation == prefix_generation_;
          if (fill && prefix_cache_.size() + candidates.size() > options_.prefix_cache_entries) {
            prefix_cache_.clear();
          }
          for (size_t i = 0; i < candidates.size(); ++i) {
            std::shared_ptr<const std::string> entry =
                (*r)[i].has_value() ? std::make_shared<const std::string>(*(*r)[i]) : nullptr;
            if (entry != nullptr) entries.push_back(*entry);
            if (fill) prefix_cache_[candidates[i]] = Cached{entry, now + options_.prefix_cache_ttl};
          }
        }
        done(std::move(entries));
      });
}

void LinksEngine::Resolve(const std::string& gtin, const std::string& lot,
                          const std::string& serial, bool unit_levels, absl::Time call_deadline,
                          absl::AnyInvocable<void(absl::StatusOr<Resolved>)> done) {
  struct Parts {
    std::vector<std::optional<std::string>> unit;  // [unit, lot, GTIN]
    std::vector<std::string> prefixes;             // longest first
  };
  auto parts = std::make_shared<Parts>();
  auto join = FanIn::Create(2, [parts, done = std::move(done)](absl::Status s) mutable {
    if (!s.ok()) return done(s);
    std::vector<std::string> entries;
    for (std::optional<std::string>& e : parts->unit) {
      if (e.has_value()) entries.push_back(*std::move(e));
    }
    for (std::string& e : parts->prefixes) entries.push_back(std::move(e));
    done(MergeEntries(entries));
  });
  const absl::Time deadline = Deadline(call_deadline);
  store_->GetUnitLevels(
      gtin, unit_levels ? lot : "", unit_levels ? serial : "", deadline,
      [parts, join](absl::StatusOr<std::vector<std::optional<std::string>>> r) {
        if (r.ok()) parts->unit = *std::move(r);
        join->Done(r.status());
      });
  PrefixEntries(gtin, deadline, [parts, join](absl::StatusOr<std::vector<std::string>> r) {
    if (r.ok()) parts->prefixes = *std::move(r);
    join->Done(r.status());
  });
}

LinksEngine::Resolved MergeEntries(const std::vector<std::string>& entries) {
  LinksEngine::Resolved out;
  v1::Presentation& p = out.presentation;
  absl::flat_hash_set<std::string> types_taken;
  for (const std::string& value : entries) {
    v1::LinkEntry e;
    if (!e.ParseFromString(value)) continue;
    const v1::Presentation& q = e.presentation();
    if (p.product_name().empty()) p.set_product_name(q.product_name());
    if (p.brand_name().empty()) p.set_brand_name(q.brand_name());
    if (p.image_url().empty()) p.set_image_url(q.image_url());
    if (p.support_contact().empty()) p.set_support_contact(q.support_contact());
    absl::flat_hash_set<std::string> types_here;
    for (const v1::Link& l : e.links()) {
      if (types_taken.contains(l.link_type())) continue;
      types_here.insert(l.link_type());
      out.links.push_back(l);
    }
    types_taken.insert(types_here.begin(), types_here.end());
  }
  return out;
}

}  // namespace hallmark::links
