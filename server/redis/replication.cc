#include "server/redis/replication.h"

#include <algorithm>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace hallmark::redis {
namespace {

// "ip=127.0.0.1,port=6380,state=online,offset=1234,lag=0" -> the value of `key`.
absl::string_view Attribute(absl::string_view fields, absl::string_view key) {
  for (absl::string_view f : absl::StrSplit(fields, ',')) {
    if (absl::ConsumePrefix(&f, key) && absl::ConsumePrefix(&f, "=")) return f;
  }
  return "";
}

}  // namespace

ReplicationInfo ParseReplicationInfo(absl::string_view info) {
  ReplicationInfo out;
  int64_t master_offset = 0;
  std::vector<int64_t> offsets;
  for (absl::string_view line : absl::StrSplit(info, absl::ByAnyChar("\r\n"), absl::SkipEmpty())) {
    if (absl::ConsumePrefix(&line, "role:")) {
      out.master = line == "master";
    } else if (absl::ConsumePrefix(&line, "master_repl_offset:")) {
      (void)absl::SimpleAtoi(line, &master_offset);
    } else if (absl::ConsumePrefix(&line, "slave")) {
      const size_t colon = line.find(':');
      int index = 0;
      if (colon == absl::string_view::npos || !absl::SimpleAtoi(line.substr(0, colon), &index)) {
        continue;
      }
      const absl::string_view fields = line.substr(colon + 1);
      if (Attribute(fields, "state") != "online") continue;
      int64_t offset = 0, lag = 0;
      (void)absl::SimpleAtoi(Attribute(fields, "offset"), &offset);
      (void)absl::SimpleAtoi(Attribute(fields, "lag"), &lag);
      ++out.replicas_online;
      offsets.push_back(offset);
      out.max_lag_seconds = std::max(out.max_lag_seconds, lag);
    }
  }
  for (int64_t offset : offsets) {
    out.max_lag_bytes = std::max(out.max_lag_bytes, std::max<int64_t>(0, master_offset - offset));
  }
  return out;
}

absl::Status CheckReplicas(const ReplicationInfo& info, int wanted, absl::string_view address) {
  if (!info.master) {
    return absl::UnavailableError(absl::StrCat("redis: ", address, " is not a master"));
  }
  if (info.replicas_online >= wanted) return absl::OkStatus();
  return absl::UnavailableError(absl::StrCat(
      "redis: master ", address, " has ", info.replicas_online, " replica(s) online, writes need ",
      wanted, " (--redis_replicas; --allow_unreplicated_writes to accept less)"));
}

}  // namespace hallmark::redis
