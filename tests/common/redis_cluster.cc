#include "tests/common/redis_cluster.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <functional>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/files.h"

namespace hallmark::testing {
namespace {

// "key:value" lines of INFO / CLUSTER INFO.
std::string Field(const std::string& info, absl::string_view key) {
  for (absl::string_view line : absl::StrSplit(info, absl::ByAnyChar("\r\n"))) {
    if (absl::ConsumePrefix(&line, key) && absl::ConsumePrefix(&line, ":")) {
      return std::string(line);
    }
  }
  return "";
}

}  // namespace

absl::StatusOr<RedisCluster::Node> RedisCluster::StartNode(const std::string& node_config) {
  const std::string node_dir = JoinPath(dir_, absl::StrCat("node", nodes_.size()));
  if (::mkdir(node_dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return absl::InternalError(absl::StrCat("mkdir ", node_dir));
  }
  Node node;
  node.port = FreeLoopbackPort();
  const int bus = FreeLoopbackPort();
  // The shipped cluster settings, with a short node timeout so failovers are quick, and
  // replicas synced at once (not after the default 5 s wait for more replicas to share it).
  absl::StatusOr<std::unique_ptr<RedisServer>> server = RedisServer::Start(
      node_dir, absl::StrCat("include ", HALLMARK_SOURCE_DIR,
                             "/deploy/redis/redis-cluster.conf\nport ", node.port,
                             "\ncluster-node-timeout 1000\nrepl-diskless-sync-delay 0\n",
                             "cluster-port ", bus, "\ncluster-replica-validity-factor 0\n",
                             extra_config_, "\n", node_config, "\n"));
  if (!server.ok()) return server.status();
  node.server = *std::move(server);
  return node;
}

absl::StatusOr<std::unique_ptr<RedisCluster>> RedisCluster::Start(const std::string& dir,
                                                                  int masters, int replicas,
                                                                  const std::string& extra_config) {
  std::unique_ptr<RedisCluster> c(new RedisCluster());
  c->dir_ = dir;
  c->extra_config_ = extra_config;
  const int n = masters * (1 + replicas);
  std::vector<std::string> endpoints;
  for (int i = 0; i < n; ++i) {
    absl::StatusOr<Node> node = c->StartNode();
    if (!node.ok()) return node.status();
    endpoints.push_back(absl::StrCat("127.0.0.1:", node->port));
    c->nodes_.push_back(*std::move(node));
  }
  const std::string cmd =
      absl::StrCat("redis-cli --cluster create ", absl::StrJoin(endpoints, " "),
                   " --cluster-replicas ", replicas, " --cluster-yes > ",
                   JoinPath(dir, "cluster-create.log"), " 2>&1");
  if (std::system(cmd.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("redis-cli --cluster create failed; see ", dir,
                                            "/cluster-create.log"));
  }
  absl::Status healthy = c->WaitHealthy(absl::Seconds(30));
  if (!healthy.ok()) return healthy;
  // Replicas still syncing would make a server refuse writes (too few replicas online).
  absl::StatusOr<std::vector<int>> live_masters = c->Masters();
  if (!live_masters.ok()) return live_masters.status();
  for (int m : *live_masters) {
    absl::Status synced = c->WaitForReplicas(m, replicas, absl::Seconds(30));
    if (!synced.ok()) return synced;
  }
  return c;
}

absl::StatusOr<int> RedisCluster::AddEmptyMaster() {
  const int any = AnyAlive();
  if (any < 0) return absl::UnavailableError("no live node");
  // Without a replica yet, the shipped min-replicas-to-write 1 would refuse the function
  // library that add-node copies to it (docs/scaling.md: adding a master).
  absl::StatusOr<Node> node = StartNode("min-replicas-to-write 0");
  if (!node.ok()) return node.status();
  const int port = node->port;
  nodes_.push_back(*std::move(node));
  const int index = static_cast<int>(nodes_.size()) - 1;
  const std::string cmd = absl::StrCat("redis-cli --cluster add-node 127.0.0.1:", port,
                                       " 127.0.0.1:", nodes_[any].port, " > ",
                                       JoinPath(dir_, "add-node.log"), " 2>&1");
  if (std::system(cmd.c_str()) != 0) {
    absl::StatusOr<std::string> log = ReadFile(JoinPath(dir_, "add-node.log"));
    return absl::InternalError(absl::StrCat("redis-cli --cluster add-node failed: ",
                                            log.ok() ? *log : "(no log)"));
  }
  // Every live node must know the new one before slots can be moved to it.
  absl::StatusOr<std::string> id = NodeId(index);
  if (!id.ok()) return id.status();
  const absl::Time until = absl::Now() + absl::Seconds(30);
  for (size_t i = 0; i < nodes_.size(); ++i) {
    while (nodes_[i].alive) {
      absl::StatusOr<std::string> nodes = nodes_[i].server->Command({"CLUSTER", "NODES"});
      if (nodes.ok() && absl::StrContains(*nodes, *id) &&
          !absl::StrContains(*nodes, "handshake")) {
        break;
      }
      if (absl::Now() > until) return absl::DeadlineExceededError("new node not known");
      absl::SleepFor(absl::Milliseconds(50));
    }
  }
  // And the new node must know every slot's owner (gossip lags on a loaded machine): a node
  // that does not answers "CLUSTERDOWN Hash slot not served" even to an ASK redirection.
  absl::Status healthy = WaitHealthy(until - absl::Now());
  if (!healthy.ok()) return healthy;
  return index;
}

std::string RedisCluster::address() const {
  std::vector<std::string> seeds;
  for (const Node& n : nodes_) seeds.push_back(absl::StrCat("127.0.0.1:", n.port));
  return "cluster://" + absl::StrJoin(seeds, ",");
}

int RedisCluster::IndexOfPort(int port) const {
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i].port == port) return static_cast<int>(i);
  }
  return -1;
}

int RedisCluster::AnyAlive() const {
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i].alive) return static_cast<int>(i);
  }
  return -1;
}

absl::StatusOr<std::string> RedisCluster::NodeId(int i) {
  return nodes_[i].server->Command({"CLUSTER", "MYID"});
}

absl::StatusOr<int> RedisCluster::MasterOf(int slot) {
  // CLUSTER SHARDS would do too; CLUSTER SLOTS as text: start, end, host, port, id, ...
  const int asker = AnyAlive();
  if (asker < 0) return absl::UnavailableError("no live node");
  absl::StatusOr<std::string> nodes = nodes_[asker].server->Command({"CLUSTER", "NODES"});
  if (!nodes.ok()) return nodes.status();
  for (absl::string_view line : absl::StrSplit(*nodes, '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> f = absl::StrSplit(line, ' ');
    if (f.size() < 9 || f[2].find("master") == absl::string_view::npos ||
        f[2].find("fail") != absl::string_view::npos) {
      continue;
    }
    for (size_t k = 8; k < f.size(); ++k) {
      std::pair<absl::string_view, absl::string_view> range = absl::StrSplit(f[k], '-');
      int lo = 0, hi = 0;
      if (!absl::SimpleAtoi(range.first, &lo)) continue;
      if (range.second.empty()) hi = lo;
      else if (!absl::SimpleAtoi(range.second, &hi)) continue;
      if (slot >= lo && slot <= hi) {
        // "127.0.0.1:30001@40001"
        std::pair<absl::string_view, absl::string_view> hp = absl::StrSplit(f[1], '@');
        int port = 0;
        absl::SimpleAtoi(hp.first.substr(hp.first.rfind(':') + 1), &port);
        return IndexOfPort(port);
      }
    }
  }
  return absl::NotFoundError(absl::StrCat("no master serves slot ", slot));
}

absl::StatusOr<std::vector<int>> RedisCluster::Masters() {
  std::vector<int> out;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (!nodes_[i].alive) continue;
    absl::StatusOr<std::string> role = nodes_[i].server->Command({"ROLE"});
    if (!role.ok()) return role.status();
    if (absl::StartsWith(*role, "master")) out.push_back(static_cast<int>(i));
  }
  return out;
}

absl::Status RedisCluster::MigrateSlot(int slot, int to, const std::function<void()>& between,
                                       int keys_per_migrate) {
  absl::StatusOr<int> from = MasterOf(slot);
  if (!from.ok()) return from.status();
  absl::StatusOr<std::string> from_id = NodeId(*from), to_id = NodeId(to);
  if (!from_id.ok()) return from_id.status();
  if (!to_id.ok()) return to_id.status();
  const std::string s = absl::StrCat(slot);
  RedisServer& src = *nodes_[*from].server;
  RedisServer& dst = *nodes_[to].server;
  // Gossip can lag behind AddEmptyMaster's check on a loaded machine ("I don't know about
  // node ..."): retry that for a few seconds.
  auto setslot = [&](RedisServer& on, const char* state, const std::string& id) {
    const absl::Time until = absl::Now() + absl::Seconds(10);
    for (;;) {
      absl::StatusOr<std::string> r = on.Command({"CLUSTER", "SETSLOT", s, state, id});
      if (r.ok() || !absl::StrContains(r.status().message(), "know about node") ||
          absl::Now() > until) {
        return r;
      }
      absl::SleepFor(absl::Milliseconds(100));
    }
  };
  absl::StatusOr<std::string> r = setslot(dst, "IMPORTING", *from_id);
  if (!r.ok()) return r.status();
  r = setslot(src, "MIGRATING", *to_id);
  if (!r.ok()) return r.status();
  if (between) between();
  while (true) {
    absl::StatusOr<std::string> keys =
        src.Command({"CLUSTER", "GETKEYSINSLOT", s, absl::StrCat(keys_per_migrate)});
    if (!keys.ok()) return keys.status();
    if (keys->empty()) break;
    std::vector<std::string> argv = {"MIGRATE", "127.0.0.1", absl::StrCat(nodes_[to].port), "",
                                     "0", "10000", "KEYS"};
    for (absl::string_view k : absl::StrSplit(*keys, '\n')) argv.emplace_back(k);
    r = src.Command(argv);
    if (!r.ok()) return r.status();
  }
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (!nodes_[i].alive) continue;
    // Replicas refuse SETSLOT; the masters' view is what counts.
    (void)nodes_[i].server->Command({"CLUSTER", "SETSLOT", s, "NODE", *to_id});
  }
  return absl::OkStatus();
}

void RedisCluster::Kill(int i) {
  nodes_[i].server->Kill();
  nodes_[i].alive = false;
}

absl::Status RedisCluster::Restart(int i) {
  absl::Status s = nodes_[i].server->Restart();
  if (s.ok()) nodes_[i].alive = true;
  return s;
}

absl::StatusOr<std::vector<int>> RedisCluster::ReplicasOf(int i) {
  absl::StatusOr<std::string> info = nodes_[i].server->Command({"INFO", "replication"});
  if (!info.ok()) return info.status();
  std::vector<int> out;
  for (absl::string_view line : absl::StrSplit(*info, absl::ByAnyChar("\r\n"))) {
    // slave0:ip=127.0.0.1,port=30004,state=online,offset=...,lag=0
    if (!absl::StartsWith(line, "slave") || !absl::StrContains(line, "state=online")) continue;
    const size_t at = line.find("port=");
    int port = 0;
    if (at == absl::string_view::npos ||
        !absl::SimpleAtoi(line.substr(at + 5, line.find(',', at) - at - 5), &port)) {
      continue;
    }
    if (const int index = IndexOfPort(port); index >= 0) out.push_back(index);
  }
  return out;
}

absl::Status RedisCluster::WaitForReplicas(int i, int n, absl::Duration timeout) {
  const absl::Time until = absl::Now() + timeout;
  size_t seen = 0;
  while (absl::Now() < until) {
    absl::StatusOr<std::vector<int>> r = ReplicasOf(i);
    if (r.ok() && r->size() >= static_cast<size_t>(n)) return absl::OkStatus();
    if (r.ok()) seen = r->size();
    absl::SleepFor(absl::Milliseconds(100));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("node ", i, " has ", seen, " replica(s) online, waited for ", n));
}

absl::Status RedisCluster::WaitForNewMaster(int slot, int old, absl::Duration timeout) {
  const absl::Time until = absl::Now() + timeout;
  while (absl::Now() < until) {
    absl::StatusOr<int> m = MasterOf(slot);
    if (m.ok() && *m != old && *m >= 0) return WaitHealthy(until - absl::Now());
    absl::SleepFor(absl::Milliseconds(100));
  }
  return absl::DeadlineExceededError(absl::StrCat("slot ", slot, " was not failed over"));
}

absl::Status RedisCluster::WaitHealthy(absl::Duration timeout) {
  const absl::Time until = absl::Now() + timeout;
  std::string why = "not checked";
  while (absl::Now() < until) {
    bool ok = true;
    for (size_t i = 0; i < nodes_.size() && ok; ++i) {
      if (!nodes_[i].alive) continue;
      absl::StatusOr<std::string> info = nodes_[i].server->Command({"CLUSTER", "INFO"});
      if (!info.ok() || Field(*info, "cluster_state") != "ok" ||
          Field(*info, "cluster_slots_ok") != "16384") {
        ok = false;
        why = info.ok() ? absl::StrCat("node ", i, ": state ", Field(*info, "cluster_state"))
                        : std::string(info.status().message());
      }
    }
    if (ok) return absl::OkStatus();
    absl::SleepFor(absl::Milliseconds(100));
  }
  return absl::DeadlineExceededError(absl::StrCat("cluster not healthy: ", why));
}

}  // namespace hallmark::testing
