#include "server/redis/cluster_slots.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace hallmark::redis {

uint16_t Crc16(absl::string_view data) {
  uint16_t crc = 0;
  for (unsigned char byte : data) {
    crc ^= static_cast<uint16_t>(byte) << 8;
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 0x8000) ? static_cast<uint16_t>((crc << 1) ^ 0x1021)
                           : static_cast<uint16_t>(crc << 1);
    }
  }
  return crc;
}

int HashSlot(absl::string_view key) {
  const size_t open = key.find('{');
  if (open != absl::string_view::npos) {
    const size_t close = key.find('}', open + 1);
    if (close != absl::string_view::npos && close > open + 1) {
      key = key.substr(open + 1, close - open - 1);
    }
  }
  return Crc16(key) % kClusterSlots;
}

std::optional<absl::string_view> RoutingKey(const std::vector<std::string>& argv) {
  if (argv.size() < 2) return std::nullopt;
  const std::string cmd = absl::AsciiStrToUpper(argv[0]);
  if (cmd == "FCALL" || cmd == "FCALL_RO" || cmd == "EVAL" || cmd == "EVALSHA" ||
      cmd == "EVAL_RO" || cmd == "EVALSHA_RO") {
    int numkeys = 0;
    if (argv.size() < 4 || !absl::SimpleAtoi(argv[2], &numkeys) || numkeys <= 0) {
      return std::nullopt;
    }
    return absl::string_view(argv[3]);
  }
  for (const char* keyless : {"PING", "INFO", "CONFIG", "FUNCTION", "CLUSTER", "DBSIZE", "WAIT",
                              "ECHO", "TIME", "COMMAND", "CLIENT", "SCRIPT"}) {
    if (cmd == keyless) return std::nullopt;
  }
  return absl::string_view(argv[1]);
}

bool SlotMap::complete() const {
  for (int16_t o : owner) {
    if (o < 0) return false;
  }
  return true;
}

absl::StatusOr<SlotMap> ParseClusterSlots(const RedisReply& reply) {
  if (reply.is_error()) return absl::UnavailableError(absl::StrCat("CLUSTER SLOTS: ", reply.str));
  if (!reply.is_array()) return absl::InternalError("CLUSTER SLOTS: not an array");
  SlotMap map;
  for (const RedisReply& range : reply.elements) {
    if (!range.is_array() || range.elements.size() < 3 || !range.elements[2].is_array() ||
        range.elements[2].elements.size() < 2) {
      return absl::InternalError("CLUSTER SLOTS: malformed range");
    }
    const int64_t start = range.elements[0].integer, end = range.elements[1].integer;
    if (start < 0 || end >= kClusterSlots || start > end) {
      return absl::InternalError("CLUSTER SLOTS: slot out of range");
    }
    const RedisReply& master = range.elements[2];
    const std::string address =
        absl::StrCat(master.elements[0].str, ":", master.elements[1].integer);
    int16_t index = -1;
    for (size_t i = 0; i < map.masters.size(); ++i) {
      if (map.masters[i] == address) index = static_cast<int16_t>(i);
    }
    if (index < 0) {
      index = static_cast<int16_t>(map.masters.size());
      map.masters.push_back(address);
    }
    for (int64_t s = start; s <= end; ++s) map.owner[s] = index;
  }
  return map;
}

std::optional<Redirect> ParseRedirect(absl::string_view error) {
  std::vector<absl::string_view> parts = absl::StrSplit(error, ' ', absl::SkipEmpty());
  if (parts.size() != 3 || (parts[0] != "MOVED" && parts[0] != "ASK")) return std::nullopt;
  Redirect r;
  r.ask = parts[0] == "ASK";
  if (!absl::SimpleAtoi(parts[1], &r.slot) || r.slot < 0 || r.slot >= kClusterSlots) {
    return std::nullopt;
  }
  r.address = std::string(parts[2]);
  if (r.address.find(':') == std::string::npos) return std::nullopt;
  return r;
}

}  // namespace hallmark::redis
