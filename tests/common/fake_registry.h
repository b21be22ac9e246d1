// File: tests/common/fake_registry.h
//
// FakeRegistry: registry::Registry in memory, for fast unit tests of the engines' decisions
// without Redis. Units are registered through the interface (BeginBatch/Register) or planted
// with Put; VerifyUnit answers from what is stored (counting the scan) and counts its calls,
// so a test can assert that a call never reached the registry. SetFailure makes every call
// fail with that status (Redis down). Callbacks run inline, on the caller's thread.
// The real-Redis tests (registry_test, the service tests) remain the tests of the store.
#ifndef HALLMARK_TESTS_COMMON_FAKE_REGISTRY_H_
#define HALLMARK_TESTS_COMMON_FAKE_REGISTRY_H_

#include <atomic>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "server/registry/registry.h"

namespace hallmark::testing {

class FakeRegistry final : public registry::Registry {
 public:
  // Plants a unit's registry state as VerifyUnit will report it (registered is set).
  void Put(const std::string& gtin, const std::string& serial, registry::VerifyRecord record) {
    absl::MutexLock lock(&mu_);
    record.registered = true;
    units_[{gtin, serial}] = std::move(record);
  }
  void SetFailure(absl::Status status) {
    absl::MutexLock lock(&mu_);
    failure_ = std::move(status);
  }
  int verify_calls() const { return verify_calls_.load(); }

  void BeginBatch(registry::BatchSpec spec, absl::Time, registry::Callback<registry::Batch> done)
      override {
    if (absl::Status f = Failure(); !f.ok()) return done(f);
    absl::MutexLock lock(&mu_);
    registry::Batch b;
    const std::string key = spec.issuer + "\n" + spec.request_id;
    auto it = requests_.find(key);
    b.existed = it != requests_.end();
    b.id = b.existed ? it->second : ++last_batch_;
    requests_[key] = b.id;
    b.stored = std::move(spec);
    done(std::move(b));
  }

  void Register(std::string gtin, uint64_t batch, std::vector<std::string> serials,
                bool all_or_nothing, absl::Time, registry::Callback<registry::RegisterResult> done)
      override {
    if (absl::Status f = Failure(); !f.ok()) return done(f);
    absl::MutexLock lock(&mu_);
    registry::RegisterResult r;
    for (const std::string& s : serials) {
      auto it = units_.find({gtin, s});
      r.outcomes.push_back(it == units_.end() ? registry::RegisterOutcome::kNew
                           : it->second.unit.batch == batch ? registry::RegisterOutcome::kOwn
                                                             : registry::RegisterOutcome::kConflict);
    }
    bool conflict = false;
    for (auto o : r.outcomes) conflict = conflict || o == registry::RegisterOutcome::kConflict;
    r.written = !(all_or_nothing && conflict);
    if (r.written) {
      for (size_t i = 0; i < serials.size(); ++i) {
        if (r.outcomes[i] != registry::RegisterOutcome::kNew) continue;
        registry::VerifyRecord rec;
        rec.registered = true;
        rec.unit.batch = batch;
        units_[{gtin, serials[i]}] = rec;
      }
    }
    done(std::move(r));
  }

  void Unregister(std::string gtin, uint64_t batch, std::vector<std::string> serials, absl::Time,
                  registry::Callback<uint64_t> done) override {
    if (absl::Status f = Failure(); !f.ok()) return done(f);
    absl::MutexLock lock(&mu_);
    uint64_t removed = 0;
    for (const std::string& s : serials) {
      auto it = units_.find({gtin, s});
      if (it != units_.end() && it->second.unit.batch == batch) {
        units_.erase(it);
        ++removed;
      }
    }
    done(removed);
  }

  void DropEmptyBatch(std::string, uint64_t, std::string issuer, std::string request_id,
                      absl::Time, absl::AnyInvocable<void(absl::Status)> done) override {
    if (absl::Status f = Failure(); !f.ok()) return done(f);
    absl::MutexLock lock(&mu_);
    requests_.erase(issuer + "\n" + request_id);
    done(absl::OkStatus());
  }

  void Lookup(std::string gtin, std::string serial, absl::Time,
              registry::Callback<std::optional<registry::UnitRecord>> done) override {
    if (absl::Status f = Failure(); !f.ok()) return done(f);
    absl::MutexLock lock(&mu_);
    auto it = units_.find({gtin, serial});
    if (it == units_.end()) return done(std::optional<registry::UnitRecord>());
    done(std::optional<registry::UnitRecord>(it->second.unit));
  }

  void CountUnits(std::string gtin, absl::Time, registry::Callback<uint64_t> done) override {
    if (absl::Status f = Failure(); !f.ok()) return done(f);
    absl::MutexLock lock(&mu_);
    uint64_t n = 0;
    for (const auto& [key, rec] : units_) n += key.first == gtin;
    done(n);
  }

  void VerifyUnit(registry::ScanInput scan, absl::Time,
                  registry::Callback<registry::VerifyRecord> done) override {
    verify_calls_.fetch_add(1);
    if (absl::Status f = Failure(); !f.ok()) return done(f);
    absl::MutexLock lock(&mu_);
    auto it = units_.find({scan.gtin, scan.serial});
    if (it == units_.end()) return done(registry::VerifyRecord());
    registry::VerifyRecord& r = it->second;
    if (!scan.record) {  // a look: the stored record as it is
      registry::VerifyRecord copy = r;
      copy.scan_recorded = false;
      return done(copy);
    }
    ++r.scan_count;
    if (r.first_seen == 0) r.first_seen = scan.now;
    r.last_seen = scan.now;
    done(r);
  }

 private:
  absl::Status Failure() {
    absl::MutexLock lock(&mu_);
    return failure_;
  }

  absl::Mutex mu_;
  std::map<std::pair<std::string, std::string>, registry::VerifyRecord> units_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, uint64_t> requests_ ABSL_GUARDED_BY(mu_);
  uint64_t last_batch_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status failure_ ABSL_GUARDED_BY(mu_);
  std::atomic<int> verify_calls_{0};
};

}  // namespace hallmark::testing

#endif  // HALLMARK_TESTS_COMMON_FAKE_REGISTRY_H_
