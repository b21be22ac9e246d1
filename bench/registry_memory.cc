// Redis memory per issued unit: registers N RANDOM units (real serial derivation, real Lua
// functions, 1,000 per call, several calls in flight) into the Redis at --redis and prints
// used_memory before/after. bench/registry_memory.sh runs it against a fresh durable Redis.
#include <atomic>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "server/issuance/serial_source.h"
#include "tests/common/await.h"
#include "server/redis/async_redis_client.h"
#include "server/registry/redis_registry.h"

ABSL_FLAG(std::string, redis, "unix:///tmp/redis.sock", "Redis address");
ABSL_FLAG(int64_t, units, 1'000'000, "Units to register");

namespace hallmark {
namespace {


int64_t UsedMemory(redis::RedisClient& c) {
  auto r = testing::Await<redis::RedisReply>([&](auto cb) {
    c.Execute({"INFO", "memory"}, absl::Now() + absl::Seconds(5), std::move(cb));
  });
  for (absl::string_view line : absl::StrSplit(r->str, "\r\n")) {
    if (absl::ConsumePrefix(&line, "used_memory:")) {
      int64_t v = 0;
      if (absl::SimpleAtoi(line, &v)) return v;
    }
  }
  return -1;
}

int Run() {
  redis::AsyncRedisClient::Options o;
  o.address = absl::GetFlag(FLAGS_redis);
  registry::UseRegistryInit(&o, false);
  auto client = redis::AsyncRedisClient::Start(std::move(o));
  if (!client.ok() || !(*client)->WaitUntilReady(absl::Seconds(10)).ok()) {
    std::cerr << "cannot reach a durable Redis at " << absl::GetFlag(FLAGS_redis) << "\n";
    return 1;
  }
  registry::RedisRegistry reg(client->get());
  const int64_t n = absl::GetFlag(FLAGS_units);
  registry::BatchSpec spec;
  spec.gtin = "09506000134352";
  spec.issuer = "bench";
  spec.request_id = "memory";
  spec.kind = "issue";
  spec.format = "RANDOM";
  spec.count = n;
  spec.lot = "L1";
  // A regulated lot: its dates are stored once for the lot, not per unit (P6).
  spec.expiry = "281130";
  spec.production = "261115";
  spec.sku = "SKU";
  spec.key_id = "0001";
  spec.seed = std::string(64, 'a');
  spec.fingerprint = "f";
  const int64_t before = UsedMemory(**client);
  auto batch = testing::Await<registry::Batch>([&](auto cb) {
    reg.BeginBatch(spec, absl::Now() + absl::Seconds(5), std::move(cb));
  });
  auto source = issuance::SerialSource::ForBatch(*batch);
  const absl::Time start = absl::Now();
  constexpr int64_t kChunk = 1000;
  std::atomic<int64_t> in_flight{0}, failed{0};
  absl::Notification all;
  std::atomic<int64_t> left{(n + kChunk - 1) / kChunk};
  for (int64_t first = 0; first < n; first += kChunk) {
    while (in_flight.load() >= 8) absl::SleepFor(absl::Microseconds(200));
    std::vector<std::string> serials;
    for (int64_t i = first; i < std::min(n, first + kChunk); ++i) {
      serials.push_back(*source->Serial(i, 0));
    }
    ++in_flight;
    reg.Register(spec.gtin, batch->id, std::move(serials), true, absl::Now() + absl::Seconds(30),
                 [&](absl::StatusOr<registry::RegisterResult> r) {
                   if (!r.ok() || !r->written) ++failed;
                   --in_flight;
                   if (--left == 0) all.Notify();
                 });
  }
  all.WaitForNotification();
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  const int64_t after = UsedMemory(**client);
  std::cout << "units=" << n << " failed_chunks=" << failed.load() << " used_memory_before="
            << before << " used_memory_after=" << after
            << " bytes_per_unit=" << static_cast<double>(after - before) / n
            << " register_units_per_s=" << static_cast<int64_t>(n / seconds) << "\n";
  return failed.load() == 0 ? 0 : 1;
}

}  // namespace
}  // namespace hallmark

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return hallmark::Run();
}
