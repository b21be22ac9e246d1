#include "server/common/log.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/json.h"

namespace hallmark::log {
namespace {

template <typename Fields>
void WriteLine(absl::string_view level, absl::string_view msg, const Fields& fields) {
  std::string line = absl::StrCat(
      "{\"ts\":\"", absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()),
      "\",\"level\":\"", level, "\",\"msg\":", JsonQuote(msg));
  for (const Field& f : fields) absl::StrAppend(&line, ",", JsonQuote(f.first), ":", JsonQuote(f.second));
  line += "}\n";
  static absl::Mutex mu(absl::kConstInit);
  absl::MutexLock lock(&mu);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace

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

}  // namespace hallmark::log
