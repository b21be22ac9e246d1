#include "server/registry/redis_presence_store.h"

#include "absl/strings/str_cat.h"
#include "server/registry/reply_util.h"

namespace hallmark::registry {

void RedisPresenceStore::Report(const std::string& principal, const std::string& replica,
                                absl::Duration window, absl::Time deadline,
                                Callback<uint64_t> done) const {
  internal::Call<uint64_t>(
      client_,
      {"FCALL", "hm_rl_presence", "1", absl::StrCat("hm:rl:{", principal, "}"), replica,
       absl::StrCat(absl::ToInt64Milliseconds(window))},
      deadline, std::move(done), [](const redis::RedisReply& r) -> absl::StatusOr<uint64_t> {
        if (r.type != redis::RedisReply::Type::kInteger || r.integer < 1) {
          return absl::InternalError("hm_rl_presence: unexpected reply");
        }
        return static_cast<uint64_t>(r.integer);
      });
}

}  // namespace hallmark::registry
