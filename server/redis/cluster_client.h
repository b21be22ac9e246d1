// File: server/redis/cluster_client.h
//
// ClusterRedisClient: RedisConnection over a Redis Cluster. hiredis 0.14 has no cluster
// support, so this is the routing layer: one AsyncRedisClient per master (each runs the init
// commands on connect, so the function library is loaded, and durability checked, on every
// master), and the slot map.
//
//   * Routing: a command goes to the master of its key's slot (CRC16 with hash tags; see
//     cluster_slots.h). Commands of different slots run in parallel on their masters; commands
//     to one master are pipelined on its connection.
//   * Slot map: read with CLUSTER SLOTS from any known node (masters, then the seeds) at start,
//     every `refresh_interval`, after a MOVED, and when a master's connection drops.
//   * MOVED: the slot's owner is updated at once and the command re-sent there. ASK: ASKING and
//     the command are sent back to back to the importing node, for this command only.
//   * TRYAGAIN (a multi-key command during a slot migration) and CLUSTERDOWN are retried with a
//     short backoff until the command's deadline.
//   * A command that never left this process (its master not connected yet, or just failed
//     over) waits for a fresh slot map and is sent again. One lost in flight fails with
//     UNAVAILABLE: it may have run, so whether to repeat it is the caller's call (Hallmark's
//     functions are idempotent per request id; its clients retry).
//
//   * Replicated writes (Options.replication.replicas > 0): every master also gets a write
//     connection (see async_redis_client.h) that ExecuteWrite routes to, so a write is
//     acknowledged only once its master's replicas have it, and WAIT never blocks reads.
//
// ready() is true while the slot map covers every slot and every master is connected (both
// connections, where writes are replicated) and initialised. Thread-safe.
//
// Example:
//   ClusterRedisClient::Options o;
//   o.seeds = {"10.0.0.1:6379", "10.0.0.2:6379"};
//   auto cluster = ClusterRedisClient::Start(std::move(o));
#ifndef HALLMARK_SERVER_REDIS_CLUSTER_CLIENT_H_
#define HALLMARK_SERVER_REDIS_CLUSTER_CLIENT_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/redis/async_redis_client.h"
#include "server/redis/cluster_slots.h"
#include "server/redis/redis_client.h"

namespace hallmark::redis {

// "cluster://host1:port1,host2:port2" -> {"host1:port1", "host2:port2"}.
absl::StatusOr<std::vector<std::string>> ParseClusterSeeds(absl::string_view address);

class ClusterRedisClient final : public RedisConnection {
 public:
  struct Options {
    std::vector<std::string> seeds;  // "host:port" of any cluster nodes
    // For every master's connection (its `address` is filled in here; on_state_change is
    // this client's).
    AsyncRedisClient::Options node;
    // Told when ready() changes. Runs on an internal thread.
    std::function<void(bool ready, const absl::Status& why)> on_state_change;
    absl::Duration refresh_interval = absl::Seconds(2);
    absl::Duration refresh_timeout = absl::Seconds(1);  // connect + CLUSTER SLOTS, per node
    int max_redirects = 8;
    // replicas > 0: a write connection per master for ExecuteWrite.
    ReplicationOptions replication;
  };

  static absl::StatusOr<std::unique_ptr<ClusterRedisClient>> Start(Options options);
  ~ClusterRedisClient() override;  // Stop(), then frees the connections

  void Execute(std::vector<std::string> argv, absl::Time deadline, ReplyCallback done) override;
  void ExecuteWrite(std::vector<std::string> argv, absl::Time deadline,
                    ReplyCallback done) override;
  bool ready() const override { return ready_.load(std::memory_order_acquire); }
  absl::Status WaitUntilReady(absl::Duration timeout) override;
  // The first master whose connections found it not durable (or short of replicas), else OK.
  absl::Status durability() const override;
  // Never from a callback (`done`, on_state_change): it joins the threads those run on.
  void Stop() override;

  // How many times the slot map was read (tests observe refreshes).
  int64_t refreshes() const { return refreshes_.load(); }
  // Connections to nodes opened so far, and stopped ones not freed yet (tests check that
  // neither piles up).
  int64_t connections_opened() const { return connections_opened_.load(); }
  size_t retired_connections() const {
    absl::MutexLock lock(&mu_);
    return retired_.size();
  }

 private:
  struct Attempt;

  explicit ClusterRedisClient(Options options);
  void Route(std::vector<std::string> argv, absl::Time deadline, ReplyCallback done, bool write);
  void Send(std::shared_ptr<Attempt> a);
  void OnReply(std::shared_ptr<Attempt> a, absl::StatusOr<RedisReply> reply);
  void Redirected(std::shared_ptr<Attempt> a, const Redirect& r);
  // Sends `a` again after `delay`, or fails it with `why` when its deadline comes first.
  void RetryLater(std::shared_ptr<Attempt> a, absl::Duration delay, const absl::Status& why);
  // The connection to `address` (reads, or its write connection when `write` and writes are
  // replicated), created with its pair on first use; null once stopping.
  std::shared_ptr<AsyncRedisClient> Node(const std::string& address, bool write = false);
  // Stops the connections to nodes that are no longer masters (nor recent ASK targets, see
  // kAskTargetGrace). A stopped connection is freed
  // on the refresher thread once nothing holds it (never on its own loop thread), or at
  // destruction.
  void RetireNodes(const SlotMap& map);
  void RequestRefresh();
  void RefreshLoop();
  absl::Status RefreshOnce();
  void MovedSlot(int slot, const std::string& address);
  void UpdateReady(const absl::Status& why);
  void TimerLoop();

  const Options options_;
  std::atomic<bool> ready_{false};
  std::atomic<int64_t> refreshes_{0};
  std::atomic<int64_t> connections_opened_{0};

  absl::Mutex stop_mu_;  // serialises Stop()
  absl::Mutex notify_mu_;  // keeps readiness changes and their notifications in order
  mutable absl::Mutex mu_;
  std::shared_ptr<const SlotMap> map_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::shared_ptr<AsyncRedisClient>> nodes_ ABSL_GUARDED_BY(mu_);
  // The write connections (replicated writes only), by the same addresses as nodes_.
  absl::flat_hash_map<std::string, std::shared_ptr<AsyncRedisClient>> writers_ ABSL_GUARDED_BY(mu_);
  std::vector<std::shared_ptr<AsyncRedisClient>> retired_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, absl::Time> ask_targets_ ABSL_GUARDED_BY(mu_);  // last ASK
  bool refresh_requested_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status last_error_ ABSL_GUARDED_BY(mu_) = absl::UnavailableError("cluster: starting");
  std::multimap<absl::Time, std::function<void()>> timers_ ABSL_GUARDED_BY(mu_);
  std::thread refresher_;
  std::thread timer_thread_;
};

}  // namespace hallmark::redis

#endif  // HALLMARK_SERVER_REDIS_CLUSTER_CLIENT_H_
