// hallmark-bench: a closed-loop load generator for hallmark-server. See client/bench/workloads.h
// for the workloads; bench/run.sh runs them all and writes bench/RESULTS.md.
//
//   hallmark-bench --addr unix:/tmp/h.sock --token $TOKEN --workload verify-unique
//       --concurrency 64 --channels 4 --duration 10s --server_pid $(pidof hallmark-server)
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <iostream>
#include <optional>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "client/bench/attack.h"
#include "client/bench/closed_loop.h"
#include "client/bench/proc_cpu.h"
#include "client/bench/workloads.h"
#include "common/json.h"
#include "hallmark/v1/issuance.grpc.pb.h"

ABSL_FLAG(std::string, addr, "127.0.0.1:50051", "Server address");
ABSL_FLAG(std::string, token, "", "Bearer token (an issuer of --gtin, with a high rate limit)");
ABSL_FLAG(std::string, workload, "health",
          "health, verify-unique, verify-repeat, verify-batch, check-stolen, report-stolen, issue, "
          "issue-stream, "
          "half-open (an attack: unfinished requests held for --duration over --channels "
          "connections)");
ABSL_FLAG(std::string, gtin, "09506000134352", "GTIN for issuance and prepared codes");
ABSL_FLAG(int, concurrency, 32, "Calls in flight");
ABSL_FLAG(int, channels, 2, "Connections the calls are spread over");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(10), "Measured window");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(2), "Unmeasured warm-up");
ABSL_FLAG(int64_t, requests, 0,
          "Stop after this many calls, warm-up calls included (0: --duration decides)");
ABSL_FLAG(int64_t, prepare, 0, "Codes to issue first for verify/check workloads (0: enough)");
ABSL_FLAG(std::string, prepare_addr, "",
          "Issue the prepared codes through this server instead of --addr (bench/run.sh uses it "
          "to verify codes of the real server on bench/floor_server)");
ABSL_FLAG(std::string, codes, "",
          "Use the units of this CSV (written by `hallmarkctl issue`) instead of issuing codes");
ABSL_FLAG(int, threads, 2, "Threads driving the calls, each with its own completion queue");
ABSL_FLAG(int, batch, 100, "Codes per VerifyBatch");
ABSL_FLAG(int, repeat_set, 100, "Distinct codes of verify-repeat");
ABSL_FLAG(int64_t, stream_units, 1000000, "Units of the issue-stream workload");
ABSL_FLAG(int, server_pid, 0, "hallmark-server pid, for CPU per operation");
ABSL_FLAG(int, redis_pid, 0, "redis-server pid, for CPU per operation");
ABSL_FLAG(bool, json, false, "One JSON object instead of text");
ABSL_FLAG(int, attack_streams, 200, "half-open: streams opened (no token is sent)");
ABSL_FLAG(int64_t, attack_bytes, 4 << 20,
          "half-open: size each stream announces and sends all but one byte of (0: headers only)");

namespace hallmark::bench {
namespace {

struct Cpu {
  std::optional<double> server, redis, self;
  static Cpu Now() {
    Cpu c;
    c.self = ProcessCpuSeconds(::getpid());
    if (absl::GetFlag(FLAGS_server_pid) > 0) c.server = ProcessCpuSeconds(absl::GetFlag(FLAGS_server_pid));
    if (absl::GetFlag(FLAGS_redis_pid) > 0) c.redis = ProcessCpuSeconds(absl::GetFlag(FLAGS_redis_pid));
    return c;
  }
};

void Report(const std::string& workload, int64_t ops, int items, absl::Duration window,
            const LoadResult* load, const Cpu& a, const Cpu& b) {
  const double secs = absl::ToDoubleSeconds(window);
  const double qps = secs > 0 ? ops / secs : 0;
  auto per_op_us = [&](const std::optional<double>& x, const std::optional<double>& y) {
    return x && y && ops > 0 ? (*y - *x) / ops * 1e6 : -1.0;
  };
  const double server_us = per_op_us(a.server, b.server), redis_us = per_op_us(a.redis, b.redis);
  const double client_us = per_op_us(a.self, b.self);
  if (absl::GetFlag(FLAGS_json)) {
    JsonObject o;
    o.Add("workload", workload).Add("ops", ops).Add("items_per_op", items);
    o.Raw("seconds", absl::StrFormat("%.3f", secs)).Raw("ops_per_s", absl::StrFormat("%.1f", qps));
    o.Raw("items_per_s", absl::StrFormat("%.1f", qps * items));
    if (load != nullptr) {
      o.Raw("p50_ms", absl::StrFormat("%.3f", load->Percentile(50)))
          .Raw("p90_ms", absl::StrFormat("%.3f", load->Percentile(90)))
          .Raw("p99_ms", absl::StrFormat("%.3f", load->Percentile(99)))
          .Raw("p999_ms", absl::StrFormat("%.3f", load->Percentile(99.9)))
          .Add("errors", load->errors)
          .Add("first_error", load->first_error);
    }
    o.Raw("server_cpu_us_per_op", absl::StrFormat("%.2f", server_us));
    o.Raw("redis_cpu_us_per_op", absl::StrFormat("%.2f", redis_us));
    o.Raw("client_cpu_us_per_op", absl::StrFormat("%.2f", client_us));
    std::cout << o.Build() << "\n";
    return;
  }
  std::cout << absl::StrFormat("%s: %d ops in %.2fs = %.1f ops/s (%.1f items/s)\n", workload, ops,
                               secs, qps, qps * items);
  if (load != nullptr) {
    std::cout << absl::StrFormat("  latency ms: p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f\n",
                                 load->Percentile(50), load->Percentile(90), load->Percentile(99),
                                 load->Percentile(99.9));
    if (load->errors > 0) std::cout << "  errors: " << load->errors << " (" << load->first_error << ")\n";
  }
  if (server_us >= 0) std::cout << absl::StrFormat("  server CPU per op: %.2f us\n", server_us);
  if (redis_us >= 0) std::cout << absl::StrFormat("  redis CPU per op: %.2f us\n", redis_us);
  if (client_us >= 0) std::cout << absl::StrFormat("  hallmark-bench CPU per op: %.2f us\n", client_us);
}

int IssueStream(Target& t) {
  auto stub = v1::Issuance::NewStub(t.channels[0]);
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer " + t.token);
  v1::IssueSerialsRequest r;
  r.set_gtin(t.gtin);
  r.set_count(static_cast<uint32_t>(absl::GetFlag(FLAGS_stream_units)));
  r.set_request_id(absl::StrCat("bench-stream-", absl::ToUnixNanos(absl::Now())));
  const Cpu a = Cpu::Now();
  const absl::Time t0 = absl::Now();
  auto reader = stub->StreamIssueSerials(&ctx, r);
  v1::IssuedUnit u;
  int64_t n = 0;
  while (reader->Read(&u)) ++n;
  const grpc::Status s = reader->Finish();
  const absl::Duration took = absl::Now() - t0;
  const Cpu b = Cpu::Now();
  if (!s.ok()) {
    std::cerr << "hallmark-bench: issue-stream: " << s.error_message() << "\n";
    return 1;
  }
  Report("issue-stream", n, 1, took, nullptr, a, b);
  return 0;
}

int HalfOpen() {
  const HalfOpenResult r = HalfOpenAttack(
      absl::GetFlag(FLAGS_addr), std::max(1, absl::GetFlag(FLAGS_channels)),
      absl::GetFlag(FLAGS_attack_streams), absl::GetFlag(FLAGS_attack_bytes),
      absl::GetFlag(FLAGS_duration));
  JsonObject o;
  o.Add("workload", "half-open").Add("connections", r.connections).Add("streams", r.streams);
  o.Add("bytes_sent", r.bytes_sent).Add("resets", r.resets).Add("goaways", r.goaways);
  o.Add("closed", r.closed);
  std::cout << o.Build() << "\n";
  return r.connections > 0 ? 0 : 1;
}

int Run() {
  if (absl::GetFlag(FLAGS_workload) == "half-open") return HalfOpen();
  Target t;
  t.channels = OpenChannels(absl::GetFlag(FLAGS_addr), std::max(1, absl::GetFlag(FLAGS_channels)));
  t.token = absl::GetFlag(FLAGS_token);
  t.gtin = absl::GetFlag(FLAGS_gtin);
  t.batch = absl::GetFlag(FLAGS_batch);
  t.repeat_set = absl::GetFlag(FLAGS_repeat_set);
  const std::string workload = absl::GetFlag(FLAGS_workload);
  if (workload == "issue-stream") return IssueStream(t);
  CqThreads queues(absl::GetFlag(FLAGS_threads));
  t.queues = &queues;
  StartCall start = MakeWorkload(workload, t);
  if (!start) {
    std::cerr << "hallmark-bench: unknown --workload " << workload << "\n";
    return 2;
  }
  const bool needs_codes = workload != "health" && workload != "issue";
  if (!absl::GetFlag(FLAGS_codes).empty()) {
    auto units = ReadUnitsCsv(absl::GetFlag(FLAGS_codes));
    if (!units.ok()) {
      std::cerr << "hallmark-bench: " << units.status().message() << "\n";
      return 1;
    }
    t.units = *std::move(units);
  } else if (needs_codes) {
    int64_t n = absl::GetFlag(FLAGS_prepare);
    if (n == 0) n = workload == "verify-repeat" ? 100 : 200000;
    Target issuer = t;
    if (!absl::GetFlag(FLAGS_prepare_addr).empty()) {
      issuer.channels = OpenChannels(absl::GetFlag(FLAGS_prepare_addr), 1);
    }
    auto units = PrepareUnits(issuer, n, absl::StrCat("bench-prepare-", absl::ToUnixNanos(absl::Now())));
    if (!units.ok()) {
      std::cerr << "hallmark-bench: " << units.status().message() << "\n";
      return 1;
    }
    t.units = *std::move(units);
  }
  if (t.units.empty() && needs_codes) {
    std::cerr << "hallmark-bench: " << workload << " needs codes: none were prepared or read\n";
    return 1;
  }
  LoadOptions o;
  o.concurrency = absl::GetFlag(FLAGS_concurrency);
  o.warmup = absl::GetFlag(FLAGS_warmup);
  o.duration = absl::GetFlag(FLAGS_duration);
  o.max_ops = absl::GetFlag(FLAGS_requests);
  if (workload == "verify-unique" && o.max_ops == 0) o.max_ops = static_cast<int64_t>(t.units.size());
  Cpu a, b;
  o.on_window_start = [&a] { a = Cpu::Now(); };
  o.on_window_end = [&b] { b = Cpu::Now(); };
  const LoadResult r = RunClosedLoop(o, start);
  if (r.ops == 0 && r.errors == 0) {
    std::cerr << "hallmark-bench: no call completed in the measured window (did --requests or "
                 "the prepared codes run out during --warmup?)\n";
  }
  Report(workload, r.ops, ItemsPerCall(workload, t), r.window, &r, a, b);
  return r.errors > 0 ? 1 : 0;
}

}  // namespace
}  // namespace hallmark::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return hallmark::bench::Run();
}
