// File: server/registry/links_store.h
//
// LinksStore: the brand's presentation and resolver links as stored — one opaque entry (a
// serialized hallmark.v1.LinkEntry) per place: a GS1 company prefix, a GTIN, a lot or a unit.
// The store knows no rules: server/links/ validates, scopes to the issuer and merges.
//
// Entries of one GTIN (its own, its lots', its units') live together, so one read finds every
// level of a unit but the company prefix's; prefixes' entries live in one small hash of their
// own.
#ifndef HALLMARK_SERVER_REGISTRY_LINKS_STORE_H_
#define HALLMARK_SERVER_REGISTRY_LINKS_STORE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "server/registry/registry.h"

namespace hallmark::registry {

// Where an entry lives: a company prefix (gtin empty), or a GTIN's own entry (lot and serial
// empty), a lot's (lot set) or a unit's (serial set).
struct LinkPlace {
  std::string company_prefix;
  std::string gtin;
  std::string lot;
  std::string serial;
};

struct LinkPage {
  std::vector<std::string> entries;
  std::string cursor;  // "0": the last page
};

class LinksStore {
 public:
  virtual ~LinksStore() = default;

  // Stores `entry` at `place`, replacing what was there; true when the place was empty.
  // RESOURCE_EXHAUSTED when the GTIN already has `max_per_gtin` entries (prefixes: unlimited).
  virtual void Put(const LinkPlace& place, std::string entry, size_t max_per_gtin,
                   absl::Time deadline, Callback<bool> done) = 0;
  // True when there was an entry.
  virtual void Delete(const LinkPlace& place, absl::Time deadline, Callback<bool> done) = 0;
  // The entries of a unit's levels, most specific first: [unit, lot, GTIN] (a level whose
  // serial or lot is empty is nullopt without being read). One round trip.
  virtual void GetUnitLevels(std::string gtin, std::string lot, std::string serial,
                             absl::Time deadline,
                             Callback<std::vector<std::optional<std::string>>> done) = 0;
  // The entries of these company prefixes, in their order. One round trip.
  virtual void GetPrefixes(std::vector<std::string> prefixes, absl::Time deadline,
                           Callback<std::vector<std::optional<std::string>>> done) = 0;
  // A page of a GTIN's entries (its own, its lots', its units'), from `cursor` ("0": the
  // first page); an entry may appear on two pages if the GTIN's entries change meanwhile.
  virtual void ScanGtin(std::string gtin, std::string cursor, uint32_t count, absl::Time deadline,
                        Callback<LinkPage> done) = 0;
};

}  // namespace hallmark::registry

#endif  // HALLMARK_SERVER_REGISTRY_LINKS_STORE_H_
