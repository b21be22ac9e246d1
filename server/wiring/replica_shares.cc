#include "server/wiring/replica_shares.h"

#include <utility>

#include "absl/random/random.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"

namespace hallmark::api {

std::shared_ptr<ReplicaShares> ReplicaShares::Start(auth::RateLimiter* limiter,
                                                    const registry::RedisPresenceStore* store,
                                                    Timer* timer, absl::Duration interval) {
  absl::BitGen random;
  std::string id = absl::StrFormat("%016x", absl::Uniform<uint64_t>(random));
  std::shared_ptr<ReplicaShares> shares(
      new ReplicaShares(limiter, store, timer, interval, std::move(id)));
  std::weak_ptr<ReplicaShares> weak = shares;
  timer->After(interval, [weak] {
    if (auto self = weak.lock()) self->Round();
  });
  return shares;
}

ReplicaShares::ReplicaShares(auth::RateLimiter* limiter,
                             const registry::RedisPresenceStore* store, Timer* timer,
                             absl::Duration interval, std::string id)
    : limiter_(limiter), store_(store), timer_(timer), interval_(interval), id_(std::move(id)) {}

void ReplicaShares::Round() {
  const absl::Time now = absl::Now();
  const absl::Duration window = 3 * interval_;
  {
    absl::MutexLock lock(&mu_);
    for (const std::string& principal : limiter_->TakeActive()) seen_[principal].active = now;
    // Principals this replica no longer serves get their whole limits back here.
    for (auto it = seen_.begin(); it != seen_.end();) {
      if (now - it->second.active > window) {
        limiter_->SetShare(it->first, 1);
        seen_.erase(it++);
      } else {
        ++it;
      }
    }
  }
  std::vector<std::string> report;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [principal, seen] : seen_) report.push_back(principal);
  }
  std::weak_ptr<ReplicaShares> weak = weak_from_this();
  for (const std::string& principal : report) {
    store_->Report(principal, id_, window, now + interval_,
                   [weak, principal](absl::StatusOr<uint64_t> n) {
                     auto self = weak.lock();
                     if (self != nullptr && n.ok()) self->Learned(principal, *n);
                   });
  }
  timer_->After(interval_, [weak] {
    if (auto self = weak.lock()) self->Round();
  });
}

void ReplicaShares::Learned(const std::string& principal, uint64_t replicas) {
  absl::MutexLock lock(&mu_);
  auto it = seen_.find(principal);
  if (it == seen_.end()) return;
  it->second.replicas = static_cast<int>(replicas);
  limiter_->SetShare(principal, 1.0 / static_cast<double>(replicas));
}

int ReplicaShares::Replicas(const std::string& principal) const {
  absl::MutexLock lock(&mu_);
  auto it = seen_.find(principal);
  return it == seen_.end() ? 1 : it->second.replicas;
}

}  // namespace hallmark::api
