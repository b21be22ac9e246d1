#include "client/ctl/unit_writer.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "client/ctl/units_io.h"
#include "common/files.h"

namespace hallmark::ctl {
namespace {

// Complete unit lines in `content` (header excluded) and the length up to the last newline.
std::pair<uint64_t, size_t> CountUnits(const std::string& content, bool json) {
  const size_t end = content.rfind('\n');
  if (end == std::string::npos) return {0, 0};
  uint64_t lines = 0;
  for (size_t i = 0; i <= end; ++i) lines += content[i] == '\n';
  const bool header = !json && content.rfind(kUnitsCsvHeader, 0) == 0;
  return {lines - (header ? 1 : 0), end + 1};
}

}  // namespace

absl::StatusOr<std::unique_ptr<UnitWriter>> UnitWriter::Open(const std::string& path, bool json,
                                                             bool resume) {
  if (path.empty() || path == "-") {
    if (!json) std::fprintf(stdout, "%s\n", kUnitsCsvHeader);
    return std::unique_ptr<UnitWriter>(new UnitWriter(stdout, false, json, 0));
  }
  uint64_t existing = 0;
  if (resume && FileExists(path)) {
    absl::StatusOr<std::string> content = ReadFile(path, size_t{1} << 40);
    if (!content.ok()) return content.status();
    const auto [units, keep] = CountUnits(*content, json);
    if (::truncate(path.c_str(), static_cast<off_t>(keep)) != 0) {
      return absl::InternalError(absl::StrCat("truncating ", path, ": ", std::strerror(errno)));
    }
    existing = units;
  }
  FILE* f = std::fopen(path.c_str(), existing > 0 ? "a" : "w");
  if (f == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("--out ", path, ": ", std::strerror(errno)));
  }
  if (existing == 0 && !json) std::fprintf(f, "%s\n", kUnitsCsvHeader);
  return std::unique_ptr<UnitWriter>(new UnitWriter(f, true, json, existing));
}

UnitWriter::~UnitWriter() { Close(); }

absl::Status UnitWriter::Write(const v1::IssuedUnit& unit) {
  const std::string line = (json_ ? UnitJsonLine(unit) : UnitCsvLine(unit)) + "\n";
  if (std::fwrite(line.data(), 1, line.size(), file_) != line.size()) {
    return absl::InternalError(absl::StrCat("writing units: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status UnitWriter::Close() {
  if (file_ == nullptr) return absl::OkStatus();
  const bool ok = std::fflush(file_) == 0 && (!owned_ || std::fclose(file_) == 0);
  file_ = nullptr;
  return ok ? absl::OkStatus() : absl::InternalError("writing units failed");
}

}  // namespace hallmark::ctl
