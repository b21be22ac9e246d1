// common/files.h: atomic writes end with exactly the mode asked for, whatever was left behind.
#include "common/files.h"

#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/common/status_matchers.h"
#include "tests/common/temp_dir.h"

namespace hallmark {
namespace {

using ::hallmark::testing::IsOk;

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

TEST(FilesTest, AtomicWriteHasExactlyTheModeEvenOverALeftoverTempFile) {
  testing::TempDir dir;
  const std::string path = JoinPath(dir.path(), "secret.key");
  // A world-readable leftover under the temp name this process would use.
  const std::string tmp = absl::StrCat(path, ".tmp.", ::getpid());
  ASSERT_THAT(WriteFileAtomically(tmp, "stale", 0644), IsOk());
  const mode_t old_umask = ::umask(0);
  absl::Status written = WriteFileAtomically(path, "fresh", 0600);
  ::umask(old_umask);
  ASSERT_THAT(written, IsOk());
  EXPECT_EQ(ModeOf(path), 0600u);
  EXPECT_EQ(*ReadFile(path), "fresh");
  EXPECT_FALSE(FileExists(tmp));
  // Replacing keeps the requested mode too.
  ASSERT_THAT(WriteFileAtomically(path, "again", 0600), IsOk());
  EXPECT_EQ(ModeOf(path), 0600u);
}

TEST(FilesTest, ASymlinkAtTheTempNameIsNotFollowed) {
  testing::TempDir dir;
  const std::string path = JoinPath(dir.path(), "principals.textpb");
  const std::string target = JoinPath(dir.path(), "elsewhere");
  ASSERT_THAT(WriteFileAtomically(target, "untouched", 0644), IsOk());
  const std::string tmp = absl::StrCat(path, ".tmp.", ::getpid());
  ASSERT_EQ(::symlink(target.c_str(), tmp.c_str()), 0);
  ASSERT_THAT(WriteFileAtomically(path, "content", 0600), IsOk());
  EXPECT_EQ(*ReadFile(target), "untouched");
  EXPECT_EQ(*ReadFile(path), "content");
}

}  // namespace
}  // namespace hallmark
