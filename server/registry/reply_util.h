// File: server/registry/reply_util.h
//
// Internal to the registry: reading Redis replies of our Lua functions, and the one call
// pattern (run, map error replies to statuses, parse) every store method uses.
#ifndef HALLMARK_SERVER_REGISTRY_REPLY_UTIL_H_
#define HALLMARK_SERVER_REGISTRY_REPLY_UTIL_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "server/redis/redis_client.h"
#include "server/registry/functions.h"
#include "server/registry/redis_registry.h"
#include "server/registry/registry.h"

namespace hallmark::registry::internal {

inline uint64_t ToUint(const redis::RedisReply& r) {
  if (r.type == redis::RedisReply::Type::kInteger) return static_cast<uint64_t>(r.integer);
  uint64_t v = 0;
  return absl::SimpleAtoi(r.str, &v) ? v : 0;
}

inline int64_t ToInt(const redis::RedisReply& r) {
  if (r.type == redis::RedisReply::Type::kInteger) return r.integer;
  int64_t v = 0;
  return absl::SimpleAtoi(r.str, &v) ? v : 0;
}

// A record reply (functions.h: kVerifyReply, ...), its values read by field name:
// `Record<...>::Of` checks the reply is an array of exactly the declared fields, and
// record["lot"] is the value of the field "lot" (a name the list lacks throws: a bug every
// test of that reply meets).
template <size_t N>
class Record {
 public:
  static absl::StatusOr<Record> Of(const redis::RedisReply& r,
                                   const absl::string_view (&fields)[N],
                                   absl::string_view function) {
    if (!r.is_array() || r.elements.size() != N) {
      return absl::InternalError(absl::StrCat("registry: reply to ", function, " has ",
                                              r.is_array() ? r.elements.size() : 0,
                                              " fields, not ", N));
    }
    return Record(r.elements, fields);
  }
  const redis::RedisReply& operator[](absl::string_view name) const {
    return (*elements_)[FieldIndex(*fields_, name)];
  }

 private:
  Record(const std::vector<redis::RedisReply>& e, const absl::string_view (&fields)[N])
      : elements_(&e), fields_(&fields) {}
  const std::vector<redis::RedisReply>* elements_;
  const absl::string_view (*fields_)[N];
};

template <size_t N>
absl::StatusOr<Record<N>> ReadRecord(const redis::RedisReply& r,
                                     const absl::string_view (&fields)[N],
                                     absl::string_view function) {
  return Record<N>::Of(r, fields, function);
}

// "case\nagency\nreported_at\nprincipal" as server/registry/lua/ stores it; nullopt for "".
inline std::optional<StolenFlag> ParseFlag(const std::string& text) {
  if (text.empty()) return std::nullopt;
  std::vector<std::string> f = absl::StrSplit(text, '\n');
  f.resize(4);
  StolenFlag flag;
  flag.case_id = f[0];
  flag.agency = f[1];
  absl::SimpleAtoi(f[2], &flag.reported_at);
  flag.principal = f[3];
  return flag;
}

// A function call `FCALL[_RO] f 1 key args...` as it is sent: `FCALL[_RO] f 2 key key:fence
// args...`. The fence key never exists and the functions never touch it; declaring it makes
// Redis Cluster refuse the call (TRYAGAIN, which the cluster client retries) for as long as
// the key's slot is migrating, on the source and on the target alike, before the function
// runs. So a function never sees a GTIN (or case) half moved, however the slot is resharded.
inline std::vector<std::string> WithFence(std::vector<std::string> argv) {
  if (argv.size() >= 4 && absl::StartsWith(argv[0], "FCALL") && argv[2] == "1") {
    argv[2] = "2";
    argv.insert(argv.begin() + 4, argv[3] + ":fence");
  }
  return argv;
}

// A write that promises durability: a kDurable function (functions.h).
inline bool PromisesDurability(const std::vector<std::string>& argv) {
  const FunctionDecl* f = argv.size() >= 2 ? FindFunction(argv[1]) : nullptr;
  return f != nullptr && f->writes == Writes::kDurable;
}

// The declaration (functions.h) `argv` follows; a call that does not follow one is a bug,
// refused (INTERNAL) before it is sent.
inline absl::StatusOr<const FunctionDecl*> Declared(const std::vector<std::string>& argv) {
  const FunctionDecl* f = argv.size() >= 2 ? FindFunction(argv[1]) : nullptr;
  if (f == nullptr) {
    return absl::InternalError(absl::StrCat("registry: undeclared function ",
                                            argv.size() >= 2 ? argv[1] : "(none)"));
  }
  const bool read_only = argv[0] == "FCALL_RO";
  if (read_only != (f->writes == Writes::kReadOnly)) {
    return absl::InternalError(absl::StrCat("registry: ", f->name, " called with ", argv[0],
                                            ", declared otherwise"));
  }
  return f;
}
inline absl::Status FollowsDeclaration(const std::vector<std::string>& argv) {
  return Declared(argv).status();
}

// A durable write is refused UNAVAILABLE while Redis is not durable (or, where writes are
// replicated, a master is short of replicas): nothing is written that a crash or a failover
// could lose after we acknowledged it. Reads (FCALL_RO) and verification go on.
inline absl::Status DurableWriteAllowed(const redis::RedisClient& client, const FunctionDecl& f) {
  if (f.writes != Writes::kDurable) return absl::OkStatus();
  absl::Status durable = client.durability();
  if (durable.ok()) return durable;
  return absl::UnavailableError(absl::StrCat(
      "writes are refused while Redis is not durable (", durable.message(), "); retry later"));
}

// Runs `argv` (with its fence), turns error replies into statuses, and parses the rest with
// `parse`. A write that promises durability goes through ExecuteWrite: acknowledged only once
// replicated where that is configured.
template <typename T, typename Parse>
void Call(redis::RedisClient* client, std::vector<std::string> argv, absl::Time deadline,
          Callback<T> done, Parse parse) {
  absl::StatusOr<const FunctionDecl*> f = Declared(argv);  // looked up once per call
  if (!f.ok()) return done(f.status());
  if (absl::Status s = DurableWriteAllowed(*client, **f); !s.ok()) return done(s);
  auto finish = [done = std::move(done), parse](absl::StatusOr<redis::RedisReply> reply) mutable {
    if (!reply.ok()) return done(reply.status());
    if (reply->is_error()) return done(RedisErrorToStatus(reply->str));
    done(parse(*reply));
  };
  if ((*f)->writes == Writes::kDurable) {
    client->ExecuteWrite(WithFence(std::move(argv)), deadline, std::move(finish));
  } else {
    client->Execute(WithFence(std::move(argv)), deadline, std::move(finish));
  }
}

}  // namespace hallmark::registry::internal

#endif  // HALLMARK_SERVER_REGISTRY_REPLY_UTIL_H_
