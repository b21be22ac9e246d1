// File: tests/common/redis_cluster.h
//
// RedisCluster: a real Redis Cluster for tests — masters and replicas, each a redis-server
// with the settings of deploy/redis/redis.conf and redis-cluster.conf in its own folder of a
// private temp dir, on free loopback TCP ports picked at runtime (the cluster bus needs TCP;
// every node also has a unix socket for the test's own admin commands). Created with
// `redis-cli --cluster create` (Start returns once every master has its replicas online); torn
// down (SIGTERM) with the object.
#ifndef HALLMARK_TESTS_COMMON_REDIS_CLUSTER_H_
#define HALLMARK_TESTS_COMMON_REDIS_CLUSTER_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/common/redis_server.h"

namespace hallmark::testing {

class RedisCluster {
 public:
  // `extra_config` is appended to every node's configuration.
  static absl::StatusOr<std::unique_ptr<RedisCluster>> Start(const std::string& dir,
                                                             int masters = 3,
                                                             int replicas_per_master = 1,
                                                             const std::string& extra_config = "");

  // "cluster://127.0.0.1:p1,127.0.0.1:p2,..." (every node, as a server would be configured).
  std::string address() const;
  int size() const { return static_cast<int>(nodes_.size()); }
  RedisServer& node(int i) { return *nodes_[i].server; }
  int port(int i) const { return nodes_[i].port; }

  // The node serving `slot` now (as node 0..n-1 of this object), per a live node's view.
  absl::StatusOr<int> MasterOf(int slot);
  // Indexes of the nodes that are masters and alive.
  absl::StatusOr<std::vector<int>> Masters();

  // Moves `slot` to node `to` the way redis-cli --cluster reshard does: IMPORTING/MIGRATING,
  // then the slot's keys `keys_per_migrate` at a time (a GTIN's keys are split over several
  // MIGRATEs), then SETSLOT NODE on every node. `between` runs after MIGRATING is set and
  // before the keys move.
  absl::Status MigrateSlot(int slot, int to, const std::function<void()>& between = nullptr,
                           int keys_per_migrate = 3);

  // Starts one more node and joins it as a master without slots (`redis-cli --cluster
  // add-node`, the first step of scaling out); returns its index once every node knows it.
  absl::StatusOr<int> AddEmptyMaster();

  void Kill(int i);  // SIGKILL: a crashed master
  // Starts a killed node again on its data (nodes.conf keeps its identity): a master that was
  // failed over rejoins as a replica of the node that replaced it.
  absl::Status Restart(int i);
  // SIGSTOP: alive but silent, as behind a partition (not asked by the helpers meanwhile).
  void Pause(int i) {
    node(i).Pause();
    nodes_[i].alive = false;
  }
  void Resume(int i) {  // SIGCONT
    node(i).Resume();
    nodes_[i].alive = true;
  }
  // The nodes replicating from master `i` and online (per its INFO replication).
  absl::StatusOr<std::vector<int>> ReplicasOf(int i);
  // Waits until master `i` has at least `n` replicas online.
  absl::Status WaitForReplicas(int i, int n, absl::Duration timeout);
  // After killing the master `old` of `slot`: waits until another node serves the slot and
  // the cluster is healthy again.
  absl::Status WaitForNewMaster(int slot, int old, absl::Duration timeout);
  // Waits until every slot is served by a live master and the cluster state is ok.
  absl::Status WaitHealthy(absl::Duration timeout);

 private:
  struct Node {
    std::unique_ptr<RedisServer> server;
    int port = 0;
    bool alive = true;
  };
  RedisCluster() = default;
  // A fresh cluster-enabled node, not joined yet; `node_config` is appended to its settings.
  absl::StatusOr<Node> StartNode(const std::string& node_config = "");
  absl::StatusOr<std::string> NodeId(int i);
  int IndexOfPort(int port) const;
  int AnyAlive() const;

  std::string dir_;
  std::string extra_config_;
  std::vector<Node> nodes_;
};

}  // namespace hallmark::testing

#endif  // HALLMARK_TESTS_COMMON_REDIS_CLUSTER_H_
