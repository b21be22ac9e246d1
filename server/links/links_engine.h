// File: server/links/links_engine.h
//
// LinksEngine: the brand's presentation and resolver links (proto/hallmark/v1/links.proto).
// Issuers set, list and delete entries within their GS1 company prefixes; the web front door
// resolves what a unit's page shows and where a linkType redirect goes.
//
// Resolution walks up the tree — unit, lot, GTIN, then the GTIN's company prefixes, longest
// first — and takes each presentation field, and each link type's links, from the most
// specific entry that has them. Company prefix entries are read through a cache (a few per
// brand, read by every scan of the brand): a change to one shows within `prefix_cache_ttl` on
// other servers, at once on this one.
//
// Thread-safe. Every callback runs once, on a Redis reply thread or the caller's.
//
// Example:
//   links.Resolve(gtin, lot, serial, /*unit_levels=*/genuine, deadline,
//                 [](absl::StatusOr<LinksEngine::Resolved> r) { ... r->links ... });
#ifndef HALLMARK_SERVER_LINKS_LINKS_ENGINE_H_
#define HALLMARK_SERVER_LINKS_LINKS_ENGINE_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "hallmark/v1/links.pb.h"
#include "server/auth/principals.h"
#include "server/registry/links_store.h"

namespace hallmark::links {

struct LinksOptions {
  size_t max_entries_per_gtin = 1000;  // its own, its lots' and its units'
  absl::Duration prefix_cache_ttl = absl::Seconds(10);
  // Company prefixes remembered (with their entry, or that they have none); the cache starts
  // over when full. A GTIN asks for its 9 candidate prefixes, so anonymous callers naming
  // made-up GTINs add small "none" entries only; an entry's text is shared, never copied.
  size_t prefix_cache_entries = 100000;
  absl::Duration redis_timeout = absl::Seconds(2);
  std::function<absl::Time()> clock = [] { return absl::Now(); };
};

class LinksEngine {
 public:
  using Done = absl::AnyInvocable<void(absl::Status)>;

  LinksEngine(registry::LinksStore* store, LinksOptions options);

  void Set(const auth::Principal& caller, const v1::SetLinksRequest& request,
           absl::Time call_deadline, v1::LinkEntry* out, Done done);
  void List(const auth::Principal& caller, const v1::ListLinksRequest& request,
            absl::Time call_deadline, v1::ListLinksResponse* out, Done done);
  void Delete(const auth::Principal& caller, const v1::DeleteLinksRequest& request,
              absl::Time call_deadline, v1::DeleteLinksResponse* out, Done done);

  struct Resolved {
    v1::Presentation presentation;
    std::vector<v1::Link> links;  // as the entries list them, most specific entry first
  };
  // `gtin` is 14 digits. With `unit_levels` false (a code not proven genuine), the unit's and
  // the lot's own entries are not read: only what the brand says of the product.
  void Resolve(const std::string& gtin, const std::string& lot, const std::string& serial,
               bool unit_levels, absl::Time call_deadline,
               absl::AnyInvocable<void(absl::StatusOr<Resolved>)> done);

 private:
  absl::Time Deadline(absl::Time call_deadline) const;
  // The GTIN's company prefix entries, longest prefix first (cached per prefix).
  void PrefixEntries(const std::string& gtin, absl::Time deadline,
                     absl::AnyInvocable<void(absl::StatusOr<std::vector<std::string>>)> done);
  void ForgetPrefixes();

  registry::LinksStore* const store_;
  const LinksOptions options_;

  struct Cached {
    std::shared_ptr<const std::string> entry;  // null: the prefix has none
    absl::Time expires;
  };
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Cached> prefix_cache_ ABSL_GUARDED_BY(mu_);
  // Bumped by every prefix change here: a read that started before it does not fill the cache.
  uint64_t prefix_generation_ ABSL_GUARDED_BY(mu_) = 0;
};

// Merges entries (serialized LinkEntry), most specific first, as Resolve does.
LinksEngine::Resolved MergeEntries(const std::vector<std::string>& entries);

}  // namespace hallmark::links

#endif  // HALLMARK_SERVER_LINKS_LINKS_ENGINE_H_
