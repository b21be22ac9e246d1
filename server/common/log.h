// File: server/common/log.h
//
// Structured logging: one JSON object per line on stderr (info lines batched, written within
// 200 ms; warnings and errors at once), e.g.
//   {"ts":"2026-11-28T22:00:00.123Z","level":"info","msg":"listening","addr":"127.0.0.1:50051"}
// Never pass secrets (tokens, keys, full codes) as fields. Thread-safe.
#ifndef HALLMARK_SERVER_COMMON_LOG_H_
#define HALLMARK_SERVER_COMMON_LOG_H_

#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace hallmark::log {

using Field = std::pair<absl::string_view, std::string>;

void Info(absl::string_view msg, std::initializer_list<Field> fields = {});
void Warn(absl::string_view msg, std::initializer_list<Field> fields = {});
void Error(absl::string_view msg, std::initializer_list<Field> fields = {});
// For a field list built at run time.
void Write(absl::string_view level, absl::string_view msg, const std::vector<Field>& fields);
// Writes what is buffered (also done at exit).
void Flush();

// Lines that callers can provoke at will (a flood of bad tokens, of revoked-key codes): at most
// kLimitedLinesPerSecond lines of one `kind` are written per wall-clock second; the rest are
// dropped and counted, and the next line of that kind written carries "suppressed": <count>.
// (Metrics still count every event.)
inline constexpr int kLimitedLinesPerSecond = 20;
void WriteLimited(absl::string_view kind, absl::string_view level, absl::string_view msg,
                  std::vector<Field> fields);

// A duration as a log field: milliseconds with three decimals ("12.345"), rounded half up to
// the microsecond, "-" in front of a negative one (a wall clock that stepped back).
std::string Millis(absl::Duration d);

namespace internal {
// Appends `t` as the lines' "ts" value, e.g. 2026-11-28T22:00:00.123Z (UTC, milliseconds
// truncated). Exposed for tests.
void AppendTimestamp(absl::Time t, std::string* out);

// The admission decision of WriteLimited for a line of `kind` at `now`: -1 to drop it, else
// the number of lines of that kind dropped since the last one written. Exposed for tests.
int64_t AdmitLimited(absl::string_view kind, absl::Time now);
}  // namespace internal

}  // namespace hallmark::log

#endif  // HALLMARK_SERVER_COMMON_LOG_H_
