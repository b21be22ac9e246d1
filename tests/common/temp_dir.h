// File: tests/common/temp_dir.h
//
// TempDir: a private directory (mode 0700) under $TMPDIR, removed with its contents when the
// object goes out of scope. Tests put sockets, data and key files here, never in fixed paths.
#ifndef HALLMARK_TESTS_COMMON_TEMP_DIR_H_
#define HALLMARK_TESTS_COMMON_TEMP_DIR_H_

#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

namespace hallmark::testing {

class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr && *base ? base : "/tmp") + "/hallmark.XXXXXX";
    char* made = ::mkdtemp(pattern.data());
    path_ = made != nullptr ? std::string(made) : std::string();
  }
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace hallmark::testing

#endif  // HALLMARK_TESTS_COMMON_TEMP_DIR_H_
