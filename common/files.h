// File: common/files.h
//
// Small, careful file helpers: whole-file reads with clear errors, and crash-safe replacement
// (write a temporary file, fsync it, rename it over the target, fsync the directory), so a
// reader sees either the old or the new content, never half of one.
#ifndef HALLMARK_COMMON_FILES_H_
#define HALLMARK_COMMON_FILES_H_

#include <sys/types.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hallmark {

// NotFound when the file does not exist; Internal for other I/O errors. Refuses files over
// `max_bytes` (FailedPrecondition), so a mistaken path cannot exhaust memory.
absl::StatusOr<std::string> ReadFile(const std::string& path, size_t max_bytes = 16 << 20);

// Atomically replaces `path` with `content` (via a fresh temp file beside it, fsync'd, then
// renamed); the result has exactly `mode`.
absl::Status WriteFileAtomically(const std::string& path, absl::string_view content,
                                 mode_t mode = 0644);

bool FileExists(const std::string& path);

// `dir` + "/" + `name`.
std::string JoinPath(absl::string_view dir, absl::string_view name);

}  // namespace hallmark

#endif  // HALLMARK_COMMON_FILES_H_
