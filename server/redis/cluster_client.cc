#include "server/redis/cluster_client.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "server/redis/hiredis_reply.h"

namespace hallmark::redis {
namespace {

constexpr absl::Duration kRetryMin = absl::Milliseconds(20);
constexpr absl::Duration kRetryMax = absl::Milliseconds(200);
constexpr absl::Duration kMinRefreshGap = absl::Milliseconds(200);
// A node that answered an ASK redirection keeps its connection this long after the last one,
// even while CLUSTER SLOTS does not list it (a new master importing its first slot).
constexpr absl::Duration kAskTargetGrace = absl::Seconds(10);

// CLUSTER SLOTS from one node, on a short-lived blocking connection (the refresher's own).
absl::StatusOr<SlotMap> ReadSlots(const std::string& address, absl::Duration timeout) {
  absl::StatusOr<RedisAddress> node = ParseHostPort(address);
  if (!node.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("cluster: bad node address ", address));
  }
  const timeval tv = absl::ToTimeval(timeout);
  redisContext* c = redisConnectWithTimeout(node->host.c_str(), node->port, tv);
  if (c == nullptr || c->err != 0) {
    absl::Status s = absl::UnavailableError(
        absl::StrCat("cluster: cannot reach ", address, ": ", c ? c->errstr : "out of memory"));
    if (c != nullptr) redisFree(c);
    return s;
  }
  redisSetTimeout(c, tv);
  auto* reply = static_cast<redisReply*>(redisCommand(c, "CLUSTER SLOTS"));
  if (reply == nullptr) {
    absl::Status s =
        absl::UnavailableError(absl::StrCat("cluster: no answer from ", address, ": ", c->errstr));
    redisFree(c);
    return s;
  }
  RedisReply converted = FromHiredis(reply);
  freeReplyObject(reply);
  redisFree(c);
  return ParseClusterSlots(converted);
}

// Errors of a slot in motion or a cluster electing a new master: the command did not run, so
// it is sent again shortly.
bool IsTransient(absl::string_view error) {
  return absl::StartsWith(error, "TRYAGAIN") || absl::StartsWith(error, "CLUSTERDOWN");
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ParseClusterSeeds(absl::string_view address) {
  if (!absl::ConsumePrefix(&address, "cluster://")) {
    return absl::InvalidArgumentError("redis: a cluster address starts with cluster://");
  }
  std::vector<std::string> seeds;
  for (absl::string_view seed : absl::StrSplit(address, ',', absl::SkipWhitespace())) {
    seed = absl::StripAsciiWhitespace(seed);
    if (!ParseHostPort(seed).ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("redis: cluster seed '", seed, "' is not host:port"));
    }
    seeds.emplace_back(seed);
  }
  if (seeds.empty()) {
    return absl::InvalidArgumentError("redis: cluster:// needs at least one host:port");
  }
  return seeds;
}

// A command on its way through redirections and retries.
struct ClusterRedisClient::Attempt {
  std::vector<std::string> argv;
  absl::Time deadline;
  ReplyCallback done;
  int slot = -1;  // -1: keyless, any master
  int redirects = 0;
  int retries = 0;
  bool write = false;  // ExecuteWrite: on the master's write connection
};

ClusterRedisClient::ClusterRedisClient(Options options) : options_(std::move(options)) {}

absl::StatusOr<std::unique_ptr<ClusterRedisClient>> ClusterRedisClient::Start(Options options) {
  if (options.seeds.empty()) return absl::InvalidArgumentError("cluster: no seed nodes");
  std::unique_ptr<ClusterRedisClient> c(new ClusterRedisClient(std::move(options)));
  c->refresher_ = std::thread([p = c.get()] { p->RefreshLoop(); });
  c->timer_thread_ = std::thread([p = c.get()] { p->TimerLoop(); });
  c->RequestRefresh();
  return c;
}

ClusterRedisClient::~ClusterRedisClient() { Stop(); }

void ClusterRedisClient::Stop() {
  absl::MutexLock serial(&stop_mu_);
  {
    absl::MutexLock lock(&mu_);
    if (stopping_ && nodes_.empty()) return;
    stopping_ = true;
  }
  if (refresher_.joinable()) refresher_.join();
  if (timer_thread_.joinable()) timer_thread_.join();
  std::multimap<absl::Time, std::function<void()>> timers;
  std::vector<std::shared_ptr<AsyncRedisClient>> nodes;
  {
    absl::MutexLock lock(&mu_);
    timers.swap(timers_);
    for (auto& [address, node] : nodes_) nodes.push_back(node);
    for (auto& [address, node] : writers_) nodes.push_back(node);
    retired_.insert(retired_.end(), nodes.begin(), nodes.end());
    nodes_.clear();
    writers_.clear();
  }
  for (auto& [when, run] : timers) run();  // each fails with "stopped" (stopping_ is set)
  for (const auto& node : nodes) node->Stop();
  ready_.store(false, std::memory_order_release);
}

absl::Status ClusterRedisClient::WaitUntilReady(absl::Duration timeout) {
  const absl::Time until = absl::Now() + timeout;
  while (true) {
    if (ready()) return absl::OkStatus();
    absl::Status last;
    {
      absl::MutexLock lock(&mu_);
      // A master that failed its init check (e.g. not durable) will not fix itself.
      for (const auto& [address, node] : nodes_) {
        absl::Status s = node->WaitUntilReady(absl::ZeroDuration());
        if (absl::IsFailedPrecondition(s)) {
          return absl::FailedPreconditionError(absl::StrCat(address, ": ", s.message()));
        }
      }
      last = last_error_;
    }
    if (absl::Now() >= until) return last;
    absl::SleepFor(absl::Milliseconds(20));
  }
}

void ClusterRedisClient::Execute(std::vector<std::string> argv, absl::Time deadline,
                                 ReplyCallback done) {
  Route(std::move(argv), deadline, std::move(done), /*write=*/false);
}

void ClusterRedisClient::ExecuteWrite(std::vector<std::string> argv, absl::Time deadline,
                                      ReplyCallback done) {
  Route(std::move(argv), deadline, std::move(done), options_.replication.replicas > 0);
}

void ClusterRedisClient::Route(std::vector<std::string> argv, absl::Time deadline,
                               ReplyCallback done, bool write) {
  auto a = std::make_shared<Attempt>();
  a->write = write;
  const std::optional<absl::string_view> key = RoutingKey(argv);
  a->slot = key ? HashSlot(*key) : -1;
  a->argv = std::move(argv);
  a->deadline = deadline;
  a->done = std::move(done);
  Send(std::move(a));
}

void ClusterRedisClient::Send(std::shared_ptr<Attempt> a) {
  std::string address;
  bool stopping;
  {
    absl::MutexLock lock(&mu_);
    stopping = stopping_;
    if (map_ != nullptr) {
      if (a->slot >= 0 && map_->owner[a->slot] >= 0) {
        address = map_->masters[map_->owner[a->slot]];
      } else if (a->slot < 0 && !map_->masters.empty()) {
        address = map_->masters[0];
      }
    }
  }
  if (stopping) return a->done(NotSentError("cluster: client stopped"));
  if (address.empty()) {
    RequestRefresh();
    absl::Status why =
        absl::UnavailableError(absl::StrCat("cluster: no node serves slot ", a->slot));
    return RetryLater(std::move(a), kRetryMin, why);
  }
  std::shared_ptr<AsyncRedisClient> node = Node(address, a->write);
  if (node == nullptr || !node->ready()) {
    RequestRefresh();
    absl::Status why = absl::UnavailableError(absl::StrCat("cluster: ", address, " is not connected"));
    return RetryLater(std::move(a), kRetryMin, why);
  }
  node->Execute(a->argv, a->deadline, [this, a](absl::StatusOr<RedisReply> reply) mutable {
    OnReply(std::move(a), std::move(reply));
  });
}

void ClusterRedisClient::OnReply(std::shared_ptr<Attempt> a, absl::StatusOr<RedisReply> reply) {
  if (!reply.ok()) {
    // A dropped connection asks for a refresh by itself (the node's state change); a slow
    // reply does not mean the topology changed.
    if (WasNotSent(reply.status())) {
      RequestRefresh();
      return RetryLater(std::move(a), kRetryMin, reply.status());
    }
    return a->done(reply.status());  // lost in flight: it may have run
  }
  if (reply->is_error()) {
    if (std::optional<Redirect> r = ParseRedirect(reply->str)) return Redirected(std::move(a), *r);
    if (IsTransient(reply->str)) {
      return RetryLater(std::move(a), kRetryMin,
                        absl::UnavailableError(absl::StrCat("cluster: ", reply->str)));
    }
  }
  a->done(std::move(reply));
}

void ClusterRedisClient::Redirected(std::shared_ptr<Attempt> a, const Redirect& r) {
  if (++a->redirects > options_.max_redirects) {
    return a->done(absl::UnavailableError(
        absl::StrCat("cluster: more than ", options_.max_redirects, " redirections for slot ",
                     r.slot)));
  }
  if (!r.ask) {
    MovedSlot(r.slot, r.address);
    RequestRefresh();
    return Send(std::move(a));
  }
  {
    absl::MutexLock lock(&mu_);
    ask_targets_[r.address] = absl::Now();
  }
  std::shared_ptr<AsyncRedisClient> node = Node(r.address, a->write);
  if (node == nullptr || !node->ready()) {
    // The importing node is not connected yet: ask the owner again shortly.
    absl::Status why =
        absl::UnavailableError(absl::StrCat("cluster: ", r.address, " is not connected"));
    return RetryLater(std::move(a), kRetryMin, why);
  }
  node->ExecuteAsking(a->argv, a->deadline, [this, a](absl::StatusOr<RedisReply> reply) mutable {
    OnReply(std::move(a), std::move(reply));
  });
}

void ClusterRedisClient::RetryLater(std::shared_ptr<Attempt> a, absl::Duration delay,
                                    const absl::Status& why) {
  delay = std::min(kRetryMax, delay * (1 << std::min(a->retries++, 4)));
  const absl::Time when = absl::Now() + delay;
  if (when >= a->deadline) return a->done(why);
  a->redirects = 0;  // a retry routes afresh (a migrating slot answers ASK, then TRYAGAIN)
  {
    absl::MutexLock lock(&mu_);
    if (!stopping_) {
      timers_.emplace(when, [this, a]() mutable { Send(std::move(a)); });
      return;
    }
  }
  a->done(NotSentError("cluster: client stopped"));
}

void ClusterRedisClient::TimerLoop() {
  absl::MutexLock lock(&mu_);
  while (!stopping_) {
    const absl::Time next =
        timers_.empty() ? absl::InfiniteFuture() : timers_.begin()->first;
    // Wakes for stopping, or for a timer due before `next` (e.g. the first one).
    auto wake = [this, next]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return stopping_ || (!timers_.empty() && timers_.begin()->first < next);
    };
    mu_.AwaitWithDeadline(absl::Condition(&wake), next);
    std::vector<std::function<void()>> due;
    const absl::Time now = absl::Now();
    while (!timers_.empty() && timers_.begin()->first <= now) {
      due.push_back(std::move(timers_.begin()->second));
      timers_.erase(timers_.begin());
    }
    if (due.empty()) continue;
    mu_.Unlock();
    for (auto& run : due) run();
    mu_.Lock();
  }
}

std::shared_ptr<AsyncRedisClient> ClusterRedisClient::Node(const std::string& address,
                                                           bool write) {
  absl::MutexLock lock(&mu_);
  auto& connections = write ? writers_ : nodes_;
  auto it = connections.find(address);
  if (it != connections.end()) return it->second;
  if (stopping_) return nullptr;
  AsyncRedisClient::Options o = options_.node;
  o.address = absl::StrCat("tcp://", address);
  o.on_state_change = [this](bool ready, const absl::Status& why) {
    if (!ready) RequestRefresh();  // a master went away: perhaps a failover
    UpdateReady(why);
  };
  std::shared_ptr<AsyncRedisClient> reads, writes;
  absl::StatusOr<std::unique_ptr<AsyncRedisClient>> client = AsyncRedisClient::Start(o);
  if (client.ok()) reads = *std::move(client);
  if (client.ok() && options_.replication.replicas > 0) {
    AsyncRedisClient::Options w = WriteConnectionOptions(o, options_.replication);
    w.on_state_change = o.on_state_change;
    client = AsyncRedisClient::Start(std::move(w));
    if (client.ok()) writes = *std::move(client);
  }
  if (!client.ok()) {
    last_error_ = client.status();
    if (reads != nullptr) retired_.push_back(reads);
    return nullptr;
  }
  // A pair is made together: a node is in writers_ exactly when it is in nodes_.
  auto old = nodes_.find(address);
  if (old != nodes_.end()) retired_.push_back(old->second);
  nodes_[address] = reads;
  if (writes != nullptr) writers_[address] = writes;
  connections_opened_.fetch_add(1);
  return write ? writes : reads;
}

void ClusterRedisClient::RetireNodes(const SlotMap& map) {
  std::vector<std::shared_ptr<AsyncRedisClient>> stale;
  std::vector<std::shared_ptr<AsyncRedisClient>> unused;  // freed here, on the refresher
  {
    absl::MutexLock lock(&mu_);
    // Connections retired earlier (already stopped) that no call holds any more: nothing can
    // reach them again, so they are freed now rather than piling up, e.g. one per refresh
    // while a slot is imported by a master that owns no slot yet.
    for (auto it = retired_.begin(); it != retired_.end();) {
      if (it->use_count() == 1) {
        unused.push_back(std::move(*it));
        it = retired_.erase(it);
      } else {
        ++it;
      }
    }
    const absl::Time now = absl::Now();
    absl::erase_if(ask_targets_, [now](const auto& target) {
      return now - target.second > kAskTargetGrace;
    });
    for (auto it = nodes_.begin(); it != nodes_.end();) {
      if (std::find(map.masters.begin(), map.masters.end(), it->first) == map.masters.end() &&
          !ask_targets_.contains(it->first)) {
        stale.push_back(it->second);
        retired_.push_back(it->second);
        if (auto w = writers_.find(it->first); w != writers_.end()) {
          stale.push_back(w->second);
          retired_.push_back(w->second);
          writers_.erase(w);
        }
        nodes_.erase(it++);
      } else {
        ++it;
      }
    }
  }
  for (const auto& node : stale) node->Stop();
}

void ClusterRedisClient::RequestRefresh() {
  absl::MutexLock lock(&mu_);
  refresh_requested_ = true;
}

void ClusterRedisClient::RefreshLoop() {
  absl::Time last = absl::InfinitePast();
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      auto wake = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || refresh_requested_;
      };
      mu_.AwaitWithTimeout(absl::Condition(&wake), options_.refresh_interval);
      if (stopping_) return;
      refresh_requested_ = false;
    }
    // Many triggers at once (a failover fails every command of a master) make one refresh.
    const absl::Duration since = absl::Now() - last;
    if (since < kMinRefreshGap) absl::SleepFor(kMinRefreshGap - since);
    last = absl::Now();
    absl::Status s = RefreshOnce();
    if (!s.ok()) UpdateReady(s);
  }
}

absl::Status ClusterRedisClient::RefreshOnce() {
  std::vector<std::string> candidates;
  {
    absl::MutexLock lock(&mu_);
    if (map_ != nullptr) candidates = map_->masters;
  }
  for (const std::string& seed : options_.seeds) {
    if (std::find(candidates.begin(), candidates.end(), seed) == candidates.end()) {
      candidates.push_back(seed);
    }
  }
  absl::Status last = absl::UnavailableError("cluster: no node answered CLUSTER SLOTS");
  for (const std::string& address : candidates) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return absl::UnavailableError("cluster: client stopped");
    }
    absl::StatusOr<SlotMap> map = ReadSlots(address, options_.refresh_timeout);
    if (!map.ok()) {
      last = map.status();
      continue;
    }
    if (!map->complete()) {
      // A node that lost its view (e.g. just restarted): ask another one.
      last = absl::UnavailableError(absl::StrCat("cluster: ", address, " reports unserved slots"));
      continue;
    }
    refreshes_.fetch_add(1);
    auto shared = std::make_shared<const SlotMap>(*std::move(map));
    {
      absl::MutexLock lock(&mu_);
      map_ = shared;
    }
    for (const std::string& master : shared->masters) Node(master);
    RetireNodes(*shared);
    UpdateReady(absl::OkStatus());
    return absl::OkStatus();
  }
  return last;
}

void ClusterRedisClient::MovedSlot(int slot, const std::string& address) {
  absl::MutexLock lock(&mu_);
  auto map = std::make_shared<SlotMap>(map_ != nullptr ? *map_ : SlotMap());
  auto it = std::find(map->masters.begin(), map->masters.end(), address);
  if (it == map->masters.end()) it = map->masters.insert(map->masters.end(), address);
  map->owner[slot] = static_cast<int16_t>(it - map->masters.begin());
  map_ = std::move(map);
}

absl::Status ClusterRedisClient::durability() const {
  absl::MutexLock lock(&mu_);
  if (map_ == nullptr) return absl::UnavailableError("cluster: slot map not known yet");
  for (const std::string& master : map_->masters) {
    auto it = nodes_.find(master);
    if (it == nodes_.end()) {
      return absl::UnavailableError(absl::StrCat("cluster: master ", master, " not connected"));
    }
    if (absl::Status s = it->second->durability(); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat("master ", master, ": ", s.message()));
    }
    if (options_.replication.replicas <= 0) continue;
    auto w = writers_.find(master);
    if (w == writers_.end()) {
      return absl::UnavailableError(absl::StrCat("cluster: master ", master, " has no write connection"));
    }
    if (absl::Status s = w->second->durability(); !s.ok()) return s;
  }
  return absl::OkStatus();
}

void ClusterRedisClient::UpdateReady(const absl::Status& why) {
  // Computed, committed and told under one lock, so concurrent updates (node threads, the
  // refresher) take effect, and are reported, in the order they were computed.
  absl::MutexLock notify(&notify_mu_);
  bool now_ready = true;
  absl::Status reason = why;
  {
    absl::MutexLock lock(&mu_);
    if (map_ == nullptr || !map_->complete() || stopping_) {
      now_ready = false;
      if (reason.ok()) reason = absl::UnavailableError("cluster: slot map incomplete");
    } else {
      for (const std::string& master : map_->masters) {
        auto it = nodes_.find(master);
        auto w = writers_.find(master);
        if (it == nodes_.end() || !it->second->ready() ||
            (options_.replication.replicas > 0 && (w == writers_.end() || !w->second->ready()))) {
          now_ready = false;
          if (reason.ok()) {
            reason = absl::UnavailableError(absl::StrCat("cluster: master ", master,
                                                         " is not ready"));
          }
        }
      }
    }
    last_error_ = now_ready ? absl::OkStatus() : reason;
  }
  const bool was = ready_.exchange(now_ready, std::memory_order_acq_rel);
  if (was != now_ready && options_.on_state_change) options_.on_state_change(now_ready, reason);
}

}  // namespace hallmark::redis
