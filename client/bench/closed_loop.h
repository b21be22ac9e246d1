// File: client/bench/closed_loop.h
//
// A closed-loop load driver: `concurrency` slots, each keeping exactly one call in flight and
// starting the next as soon as the previous completes. Calls in the warm-up are not measured;
// the measured window lasts `duration` (or until `max_ops` calls have started). Latencies are
// kept per slot (no locking on the hot path) and merged at the end.
#ifndef HALLMARK_CLIENT_BENCH_CLOSED_LOOP_H_
#define HALLMARK_CLIENT_BENCH_CLOSED_LOOP_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <grpcpp/support/status.h>

#include "absl/time/time.h"

namespace hallmark::bench {

struct LoadOptions {
  int concurrency = 32;
  absl::Duration warmup = absl::Seconds(2);
  absl::Duration duration = absl::Seconds(10);
  int64_t max_ops = 0;  // 0: no limit
  // Called once at the start and once at the end of the measured window (CPU snapshots).
  std::function<void()> on_window_start, on_window_end;
};

struct LoadResult {
  int64_t ops = 0;                    // calls completed in the window
  int64_t errors = 0;
  std::string first_error;
  absl::Duration window;
  std::vector<int64_t> latencies_ns;  // of the window's calls, sorted
  double Percentile(double p) const;  // in milliseconds
};

// Starts call number `seq` and calls `done(status)` when it completes (on any thread).
using StartCall = std::function<void(int64_t seq, std::function<void(const grpc::Status&)> done)>;

LoadResult RunClosedLoop(const LoadOptions& options, const StartCall& start);

}  // namespace hallmark::bench

#endif  // HALLMARK_CLIENT_BENCH_CLOSED_LOOP_H_
