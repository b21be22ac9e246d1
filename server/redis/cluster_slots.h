// File: server/redis/cluster_slots.h
//
// Redis Cluster routing, the parts that are pure functions: which of the 16384 slots a key
// belongs to (CRC16/XMODEM of the key, or of its hash tag: the part between the first "{" and
// the next "}" when that is not empty), which key a command is routed by, the slot map as
// CLUSTER SLOTS reports it, and the MOVED/ASK redirections Redis answers with.
//
// Example:
//   HashSlot("hm:{09506000134352}:u:7") == HashSlot("09506000134352")
#ifndef HALLMARK_SERVER_REDIS_CLUSTER_SLOTS_H_
#define HALLMARK_SERVER_REDIS_CLUSTER_SLOTS_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/redis/redis_reply.h"

namespace hallmark::redis {

inline constexpr int kClusterSlots = 16384;

// CRC16/XMODEM (polynomial 0x1021, initial 0), as Redis Cluster uses.
uint16_t Crc16(absl::string_view data);

// The slot of `key`, honouring hash tags.
int HashSlot(absl::string_view key);

// The key `argv` is routed by: the first key of FCALL/FCALL_RO/EVAL/EVALSHA (none when numkeys
// is 0), nothing for keyless commands (PING, INFO, CONFIG, FUNCTION, CLUSTER, ...), otherwise
// argv[1]. nullopt: any master will do.
std::optional<absl::string_view> RoutingKey(const std::vector<std::string>& argv);

// The cluster's masters and which of them serves each slot.
struct SlotMap {
  std::vector<std::string> masters;           // "host:port"
  std::array<int16_t, kClusterSlots> owner;   // index into masters, -1 when no one serves it

  SlotMap() { owner.fill(-1); }
  bool complete() const;  // every slot has an owner
};

// Parses a CLUSTER SLOTS reply: [[start, end, [host, port, id...], replicas...], ...].
absl::StatusOr<SlotMap> ParseClusterSlots(const RedisReply& reply);

// A MOVED or ASK error reply: "MOVED 3999 127.0.0.1:6381".
struct Redirect {
  bool ask = false;  // ASK: this command only; MOVED: the slot has a new owner
  int slot = 0;
  std::string address;  // host:port
};
std::optional<Redirect> ParseRedirect(absl::string_view error);

}  // namespace hallmark::redis

#endif  // HALLMARK_SERVER_REDIS_CLUSTER_SLOTS_H_
