#include "client/bench/closed_loop.h"

#include <algorithm>
#include <atomic>
#include <memory>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"

namespace hallmark::bench {
namespace {

struct Shared {
  const LoadOptions& options;
  const StartCall& start;
  std::atomic<int64_t> next_seq{0};
  std::atomic<int> phase{0};  // 0 warm-up, 1 measuring, 2 stopping
  std::atomic<int> running{0};
  std::atomic<int64_t> errors{0};
  absl::Mutex mu;
  std::string first_error;
  absl::Notification all_stopped;
};

struct Slot {
  Shared* shared;
  std::vector<int64_t> latencies;
  int64_t ops = 0;

  void Next() {
    const int64_t seq = shared->next_seq.fetch_add(1);
    const bool over = shared->options.max_ops > 0 && seq >= shared->options.max_ops;
    if (shared->phase.load() == 2 || over) {
      if (shared->running.fetch_sub(1) == 1) shared->all_stopped.Notify();
      return;
    }
    const absl::Time begun = absl::Now();
    const bool measured = shared->phase.load() == 1;
    shared->start(seq, [this, begun, measured](const grpc::Status& s) {
      if (!s.ok()) {
        shared->errors.fetch_add(1);
        absl::MutexLock lock(&shared->mu);
        if (shared->first_error.empty()) {
          shared->first_error = std::to_string(s.error_code()) + ": " + s.error_message();
        }
      } else if (measured && shared->phase.load() == 1) {
        latencies.push_back(absl::ToInt64Nanoseconds(absl::Now() - begun));
        ++ops;
      }
      Next();
    });
  }
};

}  // namespace

double LoadResult::Percentile(double p) const {
  if (latencies_ns.empty()) return 0;
  const size_t i = std::min(latencies_ns.size() - 1,
                            static_cast<size_t>(p / 100.0 * static_cast<double>(latencies_ns.size())));
  return static_cast<double>(latencies_ns[i]) / 1e6;
}

LoadResult RunClosedLoop(const LoadOptions& options, const StartCall& start) {
  Shared shared{options, start, {}, {}, {}, {}, {}, {}, {}};
  std::vector<std::unique_ptr<Slot>> slots;
  shared.running.store(options.concurrency);
  for (int i = 0; i < options.concurrency; ++i) {
    slots.push_back(std::make_unique<Slot>(Slot{&shared, {}, 0}));
    slots.back()->latencies.reserve(1 << 16);
  }
  for (auto& s : slots) s->Next();
  absl::SleepFor(options.warmup);
  if (options.on_window_start) options.on_window_start();
  const absl::Time t0 = absl::Now();
  shared.phase.store(1);
  // The window ends at `duration`, or earlier when max_ops stops every slot.
  shared.all_stopped.WaitForNotificationWithTimeout(options.duration);
  shared.phase.store(2);
  const absl::Time t1 = absl::Now();
  if (options.on_window_end) options.on_window_end();
  shared.all_stopped.WaitForNotification();
  LoadResult r;
  r.window = t1 - t0;
  r.errors = shared.errors.load();
  r.first_error = shared.first_error;
  for (auto& s : slots) {
    r.ops += s->ops;
    r.latencies_ns.insert(r.latencies_ns.end(), s->latencies.begin(), s->latencies.end());
  }
  std::sort(r.latencies_ns.begin(), r.latencies_ns.end());
  return r;
}

}  // namespace hallmark::bench
