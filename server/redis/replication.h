// File: server/redis/replication.h
//
// Replicated acknowledgements: what a write connection needs to know about its master's
// replicas, and how it judges them.
//
//   * ReplicationOptions: how many replicas must have a write before it is acknowledged
//     (Redis WAIT), how long to wait, and whether a master with fewer replicas online may
//     still take writes (then they wait for the replicas it has).
//   * ParseReplicationInfo: the master's `INFO replication`, reduced to what counts: its
//     role, the replicas online and how far the slowest of them is behind (bytes).
//   * CheckReplicas: OK while the master has enough replicas online, else UNAVAILABLE naming
//     the shortfall (writes are refused; reads go on).
#ifndef HALLMARK_SERVER_REDIS_REPLICATION_H_
#define HALLMARK_SERVER_REDIS_REPLICATION_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace hallmark::redis {

struct ReplicationInfo {
  bool master = false;         // role:master
  int replicas_online = 0;     // slaveN lines with state=online
  int64_t max_lag_bytes = 0;   // master_repl_offset minus the slowest online replica's offset
  int64_t max_lag_seconds = 0; // the longest time since an online replica's last ack (INFO's lag)
};

struct ReplicationOptions {
  // Replicas that must have a write before it is acknowledged; 0: no WAIT at all.
  int replicas = 0;
  // WAIT's timeout. A write not confirmed in time fails UNAVAILABLE (it may exist).
  absl::Duration timeout = absl::Seconds(1);
  // A master with fewer replicas online than `replicas` still takes writes, which then wait
  // for the replicas it has (none: no wait). Off by default: such writes are refused.
  bool allow_fewer = false;
  // Told about every check of a master (about once a second): its address and replicas.
  std::function<void(const std::string& address, const ReplicationInfo&)> on_check;
  // Told about every WAIT that came back: its round trip, replicas asked for and confirmed.
  std::function<void(absl::Duration latency, int wanted, int confirmed)> on_wait;
};

ReplicationInfo ParseReplicationInfo(absl::string_view info);

// OK when `info` is a master with at least `wanted` replicas online; UNAVAILABLE otherwise.
absl::Status CheckReplicas(const ReplicationInfo& info, int wanted, absl::string_view address);

}  // namespace hallmark::redis

#endif  // HALLMARK_SERVER_REDIS_REPLICATION_H_
