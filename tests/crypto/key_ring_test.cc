#include "crypto/key_ring.h"

#include <sys/stat.h>

#include <cstdlib>
#include <string>

#include "common/files.h"
#include "crypto/key_directory.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/status_matchers.h"
#include "tests/common/temp_dir.h"
#include "tests/common/test_keys.h"

namespace hallmark::crypto {
namespace {

using ::hallmark::testing::IsOk;
using ::hallmark::testing::StatusIs;
using ::hallmark::testing::TempDir;
using ::testing::HasSubstr;

const absl::Time kNow = absl::FromUnixSeconds(1795000000);

class KeyDirectoryTest : public ::testing::Test {
 protected:
  std::string Path() const { return JoinPath(tmp_.path(), "keys"); }
  KeyDirectory Open() {
    auto dir = KeyDirectory::Open(Path(), /*create=*/true);
    EXPECT_THAT(dir, IsOk());
    return *std::move(dir);
  }
  TempDir tmp_;
};

TEST_F(KeyDirectoryTest, GenerateCreatesActiveKeyWithPrivateFileMode0600) {
  KeyDirectory dir = Open();
  auto key = dir.Generate(Algorithm::kEs256, kNow);
  ASSERT_THAT(key, IsOk());
  EXPECT_EQ(key->state, KeyState::kActive);
  struct stat st;
  ASSERT_EQ(::stat(JoinPath(Path(), PrivateKeyFileName(key->id)).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(Path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);

  auto ring = KeyRing::LoadDirectory(Path(), /*require_signing_key=*/true);
  ASSERT_THAT(ring, IsOk());
  ASSERT_NE((*ring)->active(), nullptr);
  EXPECT_EQ((*ring)->active()->info.id, key->id);
  EXPECT_EQ((*ring)->active()->info.created_at, kNow);
}

TEST_F(KeyDirectoryTest, RotationRetiresPreviousKeyAndDropsItsPrivateKey) {
  KeyDirectory dir = Open();
  auto first = dir.Generate(Algorithm::kEs256, kNow);
  auto second = dir.Generate(Algorithm::kEd25519, kNow + absl::Hours(1));
  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(second, IsOk());
  EXPECT_FALSE(FileExists(JoinPath(Path(), PrivateKeyFileName(first->id))));
  auto ring = KeyRing::LoadDirectory(Path(), true);
  ASSERT_THAT(ring, IsOk());
  EXPECT_EQ((*ring)->keys().size(), 2u);
  EXPECT_EQ((*ring)->Find(first->id)->info.state, KeyState::kRetired);
  EXPECT_EQ((*ring)->Find(first->id)->signer, nullptr);
  EXPECT_EQ((*ring)->active()->info.id, second->id);
  EXPECT_EQ((*ring)->active()->info.algorithm, Algorithm::kEd25519);
}

TEST_F(KeyDirectoryTest, RevokeRecordsTimeAndLeavesVerifyOnlyRing) {
  KeyDirectory dir = Open();
  auto key = dir.Generate(Algorithm::kEs256, kNow);
  ASSERT_THAT(key, IsOk());
  ASSERT_THAT(dir.Revoke(key->id, kNow + absl::Hours(2)), IsOk());
  ASSERT_THAT(dir.Revoke(key->id, kNow + absl::Hours(3)), IsOk());  // idempotent
  EXPECT_EQ(dir.keys()[0].revoked_at, kNow + absl::Hours(2));
  EXPECT_THAT(dir.Retire(key->id), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(dir.Revoke(0xffff == key->id ? 0xfffe : 0xffff, kNow),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(KeyRing::LoadDirectory(Path(), true),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("keys generate")));
  auto ring = KeyRing::LoadDirectory(Path(), false);
  ASSERT_THAT(ring, IsOk());
  EXPECT_EQ((*ring)->active(), nullptr);
  EXPECT_EQ((*ring)->Find(key->id)->info.state, KeyState::kRevoked);
}

TEST_F(KeyDirectoryTest, MismatchedPrivateKeyIsRejected) {
  KeyDirectory dir = Open();
  auto key = dir.Generate(Algorithm::kEs256, kNow);
  ASSERT_THAT(key, IsOk());
  const std::string priv = JoinPath(Path(), PrivateKeyFileName(key->id));
  ASSERT_THAT(WriteFileAtomically(priv, testing::kTestEs256PrivatePem, 0600), IsOk());
  EXPECT_THAT(KeyRing::LoadDirectory(Path(), true),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("does not match")));
}

TEST_F(KeyDirectoryTest, MissingPublicKeyFileFailsLoad) {
  KeyDirectory dir = Open();
  auto key = dir.Generate(Algorithm::kEd25519, kNow);
  ASSERT_THAT(key, IsOk());
  ASSERT_EQ(std::remove(JoinPath(Path(), PublicKeyFileName(key->id)).c_str()), 0);
  EXPECT_THAT(KeyRing::LoadDirectory(Path(), false), StatusIs(absl::StatusCode::kNotFound));
}

TEST(KeyManifestTest, RoundTripsAndRejectsInvalidSets) {
  std::vector<KeyInfo> keys = {
      {0x7e57, Algorithm::kEs256, KeyState::kRetired, kNow, absl::InfinitePast()},
      {0xed01, Algorithm::kEd25519, KeyState::kRevoked, kNow, kNow + absl::Seconds(5)},
      {0x0001, Algorithm::kEs256, KeyState::kActive, kNow, absl::InfinitePast()},
  };
  const std::string text = FormatKeyManifest(keys);
  auto parsed = ParseKeyManifest(text);
  ASSERT_THAT(parsed, IsOk());
  ASSERT_EQ(parsed->size(), 3u);
  EXPECT_EQ((*parsed)[1].revoked_at, kNow + absl::Seconds(5));
  EXPECT_EQ((*parsed)[2].state, KeyState::kActive);

  const struct {
    const char* text;
    const char* why;
  } kBad[] = {
      {"7e57 ES256 ACTIVE 2026-11-28T22:00:00Z -\n0001 ES256 ACTIVE 2026-11-28T22:00:00Z -",
       "more than one ACTIVE"},
      {"7e57 ES256 RETIRED 2026-11-28T22:00:00Z -\n7e57 ES256 RETIRED 2026-11-28T22:00:00Z -",
       "appears twice"},
      {"7e57 ES256 REVOKED 2026-11-28T22:00:00Z -", "revoked_at"},
      {"7e57 ES256 ACTIVE yesterday -", "RFC 3339"},
      {"7e57 RS256 ACTIVE 2026-11-28T22:00:00Z -", "algorithm"},
      {"7e57 ES256 LOST 2026-11-28T22:00:00Z -", "state"},
      {"7E57 ES256 ACTIVE 2026-11-28T22:00:00Z -", "key_id"},
      {"7e57 ES256 ACTIVE", "5 fields"},
  };
  for (const auto& c : kBad) {
    EXPECT_THAT(ParseKeyManifest(c.text),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.why)))
        << c.text;
  }
}

}  // namespace
}  // namespace hallmark::crypto
