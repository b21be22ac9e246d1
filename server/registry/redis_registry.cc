#include "server/registry/redis_registry.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "server/registry/function_library.h"
#include "server/registry/functions.h"
#include "server/registry/reply_util.h"

namespace hallmark::registry {
namespace {

using internal::Call;
using internal::ToInt;
using internal::ToUint;
using redis::RedisReply;

// The batch record's values, by name, in the order of kBatchFields (functions.h).
std::vector<std::string> BatchValues(const BatchSpec& s) {
  std::vector<std::string> v(std::size(kBatchFields));
  v[BatchField("issuer")] = s.issuer;
  v[BatchField("rid")] = s.request_id;
  v[BatchField("kind")] = s.kind;
  v[BatchField("fmt")] = s.format;
  v[BatchField("cnt")] = absl::StrCat(s.count);
  v[BatchField("lot")] = s.lot;
  v[BatchField("sku")] = s.sku;
  v[BatchField("key")] = s.key_id;
  v[BatchField("at")] = absl::StrCat(s.issued_at);
  v[BatchField("cs")] = "";  // the counter start: allocated by the function
  v[BatchField("seed")] = s.seed;
  v[BatchField("plant")] = s.plant;
  v[BatchField("prefix")] = s.prefix;
  v[BatchField("day")] = s.day;
  v[BatchField("fp")] = s.fingerprint;
  v[BatchField("exp")] = s.expiry;
  v[BatchField("prod")] = s.production;
  return v;
}

// {batch_id, existed, the kBatchFields values}.
absl::StatusOr<Batch> ParseBatch(const RedisReply& r) {
  constexpr size_t kHead = 2;
  if (!r.is_array() || r.elements.size() != kHead + std::size(kBatchFields)) {
    return absl::InternalError("registry: unexpected reply to hm_begin_batch2");
  }
  auto field = [&r](absl::string_view name) -> const RedisReply& {
    return r.elements[kHead + BatchField(name)];
  };
  Batch b;
  b.id = ToUint(r.elements[0]);
  b.existed = ToUint(r.elements[1]) != 0;
  BatchSpec& s = b.stored;
  s.issuer = field("issuer").str;
  s.request_id = field("rid").str;
  s.kind = field("kind").str;
  s.format = field("fmt").str;
  s.count = ToUint(field("cnt"));
  s.lot = field("lot").str;
  s.sku = field("sku").str;
  s.key_id = field("key").str;
  s.issued_at = ToInt(field("at"));
  b.counter_start = ToUint(field("cs"));
  s.seed = field("seed").str;
  s.plant = field("plant").str;
  s.prefix = field("prefix").str;
  s.day = field("day").str;
  s.fingerprint = field("fp").str;
  s.expiry = field("exp").str;  // nil in batches stored before dates: empty
  s.production = field("prod").str;
  return b;
}

absl::StatusOr<RegisterResult> ParseRegister(const RedisReply& r, size_t n) {
  if (r.type != RedisReply::Type::kString || r.str.size() != n + 1 ||
      (r.str[0] != 'W' && r.str[0] != 'X')) {
    return absl::InternalError("registry: unexpected reply to hm_register");
  }
  RegisterResult result;
  result.written = r.str[0] == 'W';
  result.outcomes.reserve(n);
  for (size_t i = 1; i < r.str.size(); ++i) {
    result.outcomes.push_back(static_cast<RegisterOutcome>(r.str[i]));
  }
  return result;
}

absl::StatusOr<std::optional<UnitRecord>> ParseLookup(const RedisReply& r) {
  if (r.is_nil()) return std::optional<UnitRecord>();
  auto f = internal::ReadRecord(r, kLookupReply, "hm_lookup");
  if (!f.ok()) return f.status();
  UnitRecord u;
  u.status = static_cast<int>(ToInt((*f)["status"]));
  u.batch = ToUint((*f)["batch"]);
  u.lot = (*f)["lot"].str;
  u.sku = (*f)["sku"].str;
  u.key_id = (*f)["key"].str;
  u.issued_at = ToInt((*f)["at"]);
  u.expiry = (*f)["exp"].str;
  u.production = (*f)["prod"].str;
  return std::optional<UnitRecord>(std::move(u));
}

absl::StatusOr<VerifyRecord> ParseVerify(const RedisReply& r) {
  if (!r.is_array() || r.elements.empty()) {
    return absl::InternalError("registry: unexpected reply to hm_verify");
  }
  VerifyRecord v;
  v.registered = ToUint(r.elements[0]) == 1;
  if (!v.registered) return v;
  auto rec = internal::ReadRecord(r, kVerifyReply, "hm_verify");
  if (!rec.ok()) return rec.status();
  const auto& f = *rec;
  v.unit.status = static_cast<int>(ToInt(f["status"]));
  v.unit.lot = f["lot"].str;
  v.unit.sku = f["sku"].str;
  v.unit.key_id = f["key"].str;
  v.unit.issued_at = ToInt(f["issued_at"]);
  v.stolen = internal::ParseFlag(f["stolen"].str);
  v.scan_count = ToUint(f["count"]);
  v.first_seen = ToInt(f["first"]);
  v.last_seen = ToInt(f["last"]);
  v.clone_evidence = static_cast<uint32_t>(ToUint(f["clone_evidence"]));
  v.scans_after_decommission = static_cast<uint32_t>(ToUint(f["after_decommission"]));
  v.recalled = ToUint(f["recalled"]) == 1;
  v.unit.expiry = f["exp"].str;
  v.unit.production = f["prod"].str;
  v.former_expiries = absl::StrSplit(f["exp_former"].str, ',', absl::SkipEmpty());
  return v;
}

}  // namespace

std::string MetaKey(absl::string_view gtin14) { return absl::StrCat("hm:{", gtin14, "}"); }

absl::string_view FunctionLibrary() { return kFunctionLibrary; }

absl::string_view FunctionLibraryVersion() { return kFunctionLibraryVersion; }

std::vector<std::vector<std::string>> InitCommands() {
  return {
      {"FCALL_RO", "hm_library_version", "0"},
      {"CONFIG", "GET", "appendonly"},
      {"CONFIG", "GET", "appendfsync"},
      {"CONFIG", "GET", "no-appendfsync-on-rewrite"},
  };
}

namespace {
bool LibraryIsCurrent(const RedisReply& version) {
  return !version.is_error() && version.str == FunctionLibraryVersion();
}
}  // namespace

std::vector<std::vector<std::string>> InitFollowup(const std::vector<RedisReply>& replies) {
  if (!replies.empty() && LibraryIsCurrent(replies[0])) return {};
  return {{"FUNCTION", "LOAD", "REPLACE", std::string(FunctionLibrary())}};
}

absl::Status CheckFunctions(const std::vector<RedisReply>& replies) {
  if (replies.size() == 5) {  // the follow-up loaded the library
    if (!replies[4].is_error()) return absl::OkStatus();
    return absl::InternalError(absl::StrCat("redis: loading functions failed: ", replies[4].str));
  }
  if (replies.size() == 4 && LibraryIsCurrent(replies[0])) return absl::OkStatus();
  return absl::InternalError("redis: the function library is not loaded");
}

absl::Status CheckDurable(const std::vector<RedisReply>& replies, bool allow_volatile) {
  if (allow_volatile) return absl::OkStatus();
  if (replies.size() < 4) return absl::InternalError("redis init: wrong number of replies");
  const struct {
    const char* name;
    const char* want;
  } kDurable[] = {{"appendonly", "yes"}, {"appendfsync", "always"},
                  {"no-appendfsync-on-rewrite", "no"}};
  for (size_t i = 0; i < 3; ++i) {
    const RedisReply& r = replies[i + 1];
    const std::string got = r.is_array() && r.elements.size() == 2 ? r.elements[1].str : "?";
    if (got != kDurable[i].want) {
      return absl::FailedPreconditionError(absl::StrCat(
          "redis is not durable: ", kDurable[i].name, " is '", got, "', need '",
          kDurable[i].want, "' (see deploy/redis/redis.conf, or pass --allow_volatile_redis)"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckInit(const std::vector<RedisReply>& replies, bool allow_volatile) {
  HALLMARK_RETURN_IF_ERROR(CheckFunctions(replies));
  return CheckDurable(replies, allow_volatile);
}

void UseRegistryInit(redis::AsyncRedisClient::Options* o, bool allow_volatile) {
  o->init_commands = InitCommands();
  o->init_followup = InitFollowup;
  o->check_init = CheckFunctions;
  o->check_durable = [allow_volatile](const std::vector<RedisReply>& replies) {
    return CheckDurable(replies, allow_volatile);
  };
}

absl::Status RedisErrorToStatus(absl::string_view error) {
  // The functions' own errors (functions.h): the code, a space, the detail.
  for (const FunctionError& e : FunctionErrors()) {
    absl::string_view detail = error;
    if (absl::ConsumePrefix(&detail, e.code) &&
        (detail.empty() || absl::ConsumePrefix(&detail, " "))) {
      return absl::Status(e.status, absl::StrCat(e.prefix, detail));
    }
  }
  if (absl::StartsWith(error, "OOM")) {
    return absl::ResourceExhaustedError(absl::StrCat("redis: ", error));
  }
  // A function this version calls is missing: another version's library is loaded (replicas
  // of two versions share Redis during an upgrade); ours is loaded again at the next recheck.
  if (absl::StrContains(error, "Function not found")) {
    return absl::UnavailableError(
        absl::StrCat("redis: ", error, " (another server version's functions are loaded; retry)"));
  }
  for (absl::string_view transient :
       {"LOADING", "BUSY", "READONLY", "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN", "NOREPLICAS"}) {
    if (absl::StartsWith(error, transient)) {
      return absl::UnavailableError(absl::StrCat("redis: ", error));
    }
  }
  return absl::InternalError(absl::StrCat("redis: ", error));
}

void RedisRegistry::BeginBatch(BatchSpec spec, absl::Time deadline, Callback<Batch> done) {
  std::vector<std::string> argv = {"FCALL", "hm_begin_batch2", "1", MetaKey(spec.gtin),
                                   spec.counter_field, absl::StrCat(spec.max_counter)};
  for (std::string& v : BatchValues(spec)) argv.push_back(std::move(v));
  Call<Batch>(client_, std::move(argv), deadline, std::move(done), ParseBatch);
}

void RedisRegistry::Register(std::string gtin, uint64_t batch, std::vector<std::string> serials,
                             bool all_or_nothing, absl::Time deadline,
                             Callback<RegisterResult> done) {
  const size_t n = serials.size();
  std::vector<std::string> argv = {"FCALL", "hm_register", "1", MetaKey(gtin),
                                   absl::StrCat(batch), all_or_nothing ? "1" : "0"};
  argv.reserve(argv.size() + n);
  for (std::string& s : serials) argv.push_back(std::move(s));
  Call<RegisterResult>(client_, std::move(argv), deadline, std::move(done),
                       [n](const RedisReply& r) { return ParseRegister(r, n); });
}

void RedisRegistry::Unregister(std::string gtin, uint64_t batch, std::vector<std::string> serials,
                               absl::Time deadline, Callback<uint64_t> done) {
  std::vector<std::string> argv = {"FCALL", "hm_unregister", "1", MetaKey(gtin),
                                   absl::StrCat(batch)};
  for (std::string& s : serials) argv.push_back(std::move(s));
  Call<uint64_t>(client_, std::move(argv), deadline, std::move(done),
                 [](const RedisReply& r) -> absl::StatusOr<uint64_t> { return ToUint(r); });
}

void RedisRegistry::DropEmptyBatch(std::string gtin, uint64_t batch, std::string issuer,
                                   std::string request_id, absl::Time deadline,
                                   absl::AnyInvocable<void(absl::Status)> done) {
  Call<bool>(client_,
             {"FCALL", "hm_drop_batch", "1", MetaKey(gtin), absl::StrCat(batch),
              std::move(issuer), std::move(request_id)},
             deadline,
             [done = std::move(done)](absl::StatusOr<bool> r) mutable { done(r.status()); },
             [](const RedisReply&) -> absl::StatusOr<bool> { return true; });
}

void RedisRegistry::Lookup(std::string gtin, std::string serial, absl::Time deadline,
                           Callback<std::optional<UnitRecord>> done) {
  Call<std::optional<UnitRecord>>(
      client_, {"FCALL_RO", "hm_lookup2", "1", MetaKey(gtin), std::move(serial)}, deadline,
      std::move(done), ParseLookup);
}

void RedisRegistry::CountUnits(std::string gtin, absl::Time deadline, Callback<uint64_t> done) {
  Call<uint64_t>(client_, {"FCALL_RO", "hm_count", "1", MetaKey(gtin)}, deadline,
                 std::move(done),
                 [](const RedisReply& r) -> absl::StatusOr<uint64_t> { return ToUint(r); });
}

void RedisRegistry::VerifyUnit(ScanInput scan, absl::Time deadline, Callback<VerifyRecord> done) {
  std::vector<std::string> argv = {
      "FCALL", "hm_verify2", "1", MetaKey(scan.gtin), std::move(scan.serial),
      absl::StrCat(scan.now), scan.location ? absl::StrCat(*scan.location) : std::string(),
      absl::StrCat(scan.since), absl::StrCat(scan.caller), absl::StrCat(scan.weight)};
  std::vector<std::string> read_only = argv;
  read_only[0] = "FCALL_RO";
  read_only[1] = "hm_verify2_ro";
  if (!scan.record) {
    read_only.push_back("look");
    Call<VerifyRecord>(client_, std::move(read_only), deadline,
                       [done = std::move(done)](absl::StatusOr<VerifyRecord> r) mutable {
                         if (r.ok()) r->scan_recorded = false;
                         done(std::move(r));
                       },
                       ParseVerify);
    return;
  }
  // A Redis that refuses the scan record's write — at maxmemory (OOM), or a master without
  // enough replicas under min-replicas-to-write (NOREPLICAS, e.g. just promoted by a failover)
  // — still answers the verdict (hm_verify_ro writes nothing); the caller learns the scan was
  // not recorded.
  Call<VerifyRecord>(
      client_, std::move(argv), deadline,
      [client = client_, read_only = std::move(read_only), deadline,
       done = std::move(done)](absl::StatusOr<VerifyRecord> r) mutable {
        const bool write_refused =
            absl::IsResourceExhausted(r.status()) ||
            (absl::IsUnavailable(r.status()) &&
             absl::StrContains(r.status().message(), "NOREPLICAS"));
        if (!write_refused) return done(std::move(r));
        Call<VerifyRecord>(client, std::move(read_only), deadline,
                           [done = std::move(done)](absl::StatusOr<VerifyRecord> r) mutable {
                             if (r.ok()) r->scan_recorded = false;
                             done(std::move(r));
                           },
                           ParseVerify);
      },
      ParseVerify);
}

}  // namespace hallmark::registry
