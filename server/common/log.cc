#include "server/common/log.h"

#include <cstdint>
#include <cstdio>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/json.h"

namespace hallmark::log {
namespace {

// Info lines (one per RPC) are buffered and written in batches by a background thread at most
// 200 ms later, so a busy server does not pay a write(2) per RPC. Warnings and errors, and a
// full buffer, are written at once.
class Sink {
 public:
  static Sink& Get() {
    static Sink* sink = new Sink();  // never destroyed: lines may arrive until exit
    return *sink;
  }

  void Append(const std::string& line, bool urgent) {
    absl::MutexLock lock(&mu_);
    buffer_ += line;
    if (urgent || buffer_.size() >= kMaxBuffered) WriteLocked();
  }

  void Flush() {
    absl::MutexLock lock(&mu_);
    WriteLocked();
  }

 private:
  static constexpr size_t kMaxBuffered = 64 << 10;

  Sink() {
    std::thread([this] {
      for (;;) {
        absl::SleepFor(absl::Milliseconds(200));
        Flush();
      }
    }).detach();
    std::atexit([] { Sink::Get().Flush(); });
  }

  void WriteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (buffer_.empty()) return;
    std::fwrite(buffer_.data(), 1, buffer_.size(), stderr);
    std::fflush(stderr);
    buffer_.clear();
  }

  absl::Mutex mu_;
  std::string buffer_ ABSL_GUARDED_BY(mu_);
};

template <typename Fields>
void WriteLine(absl::string_view level, absl::string_view msg, const Fields& fields) {
  std::string line;
  line.reserve(256);
  line += "{\"ts\":\"";
  internal::AppendTimestamp(absl::Now(), &line);
  absl::StrAppend(&line, "\",\"level\":\"", level, "\",\"msg\":");
  AppendJsonQuoted(msg, &line);
  for (const Field& f : fields) {
    line += ',';
    AppendJsonQuoted(f.first, &line);
    line += ':';
    AppendJsonQuoted(f.second, &line);
  }
  line += "}\n";
  Sink::Get().Append(line, level != "info");
}

// Appends v % 1000 as exactly three digits ("007").
void AppendThreeDigits(int64_t v, std::string* out) {
  const char digits[] = {static_cast<char>('0' + v / 100 % 10),
                         static_cast<char>('0' + v / 10 % 10), static_cast<char>('0' + v % 10)};
  out->append(digits, sizeof(digits));
}

}  // namespace

namespace internal {

void AppendTimestamp(absl::Time t, std::string* out) {
  // absl::FormatTime costs more than the rest of an access-log line: the part up to the second
  // is formatted once a second per thread, the milliseconds appended by hand.
  thread_local int64_t cached_second = INT64_MIN;
  thread_local std::string cached_prefix;
  const int64_t ms = absl::ToUnixMillis(t);  // rounds towards negative infinity
  const int64_t second = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
  if (second != cached_second) {
    cached_prefix = absl::FormatTime("%Y-%m-%dT%H:%M:%S.", absl::FromUnixSeconds(second),
                                     absl::UTCTimeZone());
    cached_second = second;
  }
  out->append(cached_prefix);
  AppendThreeDigits(ms - second * 1000, out);
  out->push_back('Z');
}

int64_t AdmitLimited(absl::string_view kind, absl::Time now) {
  struct Window {
    int64_t second = INT64_MIN;
    int written = 0;
    int64_t dropped = 0;  // since the last line written
  };
  static absl::Mutex mu(absl::kConstInit);
  static auto* windows = new absl::flat_hash_map<std::string, Window>();  // kinds are few, fixed
  const int64_t second = absl::ToUnixSeconds(now);
  absl::MutexLock lock(&mu);
  Window& w = (*windows)[kind];
  if (w.second != second) {
    w.second = second;
    w.written = 0;
  }
  if (w.written >= kLimitedLinesPerSecond) {
    ++w.dropped;
    return -1;
  }
  ++w.written;
  const int64_t dropped = w.dropped;
  w.dropped = 0;
  return dropped;
}

}  // namespace internal

void WriteLimited(absl::string_view kind, absl::string_view level, absl::string_view msg,
                  std::vector<Field> fields) {
  const int64_t dropped = internal::AdmitLimited(kind, absl::Now());
  if (dropped < 0) return;
  if (dropped > 0) fields.emplace_back("suppressed", absl::StrCat(dropped));
  WriteLine(level, msg, fields);
}

void Info(absl::string_view msg, std::initializer_list<Field> fields) {
  WriteLine("info", msg, fields);
}
void Warn(absl::string_view msg, std::initializer_list<Field> fields) {
  WriteLine("warn", msg, fields);
}
void Error(absl::string_view msg, std::initializer_list<Field> fields) {
  WriteLine("error", msg, fields);
}
void Write(absl::string_view level, absl::string_view msg, const std::vector<Field>& fields) {
  WriteLine(level, msg, fields);
}
void Flush() { Sink::Get().Flush(); }

std::string Millis(absl::Duration d) {
  // By hand: absl::StrFormat("%.3f") was a large share of an access-log line's cost.
  // (n / 2 + 250) / 500 rounds n / 1000 half up without overflowing at the top of int64.
  const int64_t us = (absl::ToInt64Nanoseconds(absl::AbsDuration(d)) / 2 + 250) / 500;
  std::string out = absl::StrCat(d < absl::ZeroDuration() && us > 0 ? "-" : "", us / 1000, ".");
  AppendThreeDigits(us, &out);
  return out;
}

}  // namespace hallmark::log
