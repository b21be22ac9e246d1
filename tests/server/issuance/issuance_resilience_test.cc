// Streaming issuance, resumption, crash safety and Redis outages, end to end.
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "crypto/key_directory.h"
#include "crypto/key_ring.h"
#include "crypto/digsig.h"
#include "hallmark/v1/issuance.grpc.pb.h"
#include "hallmark/v1/verification.grpc.pb.h"
#include "tests/common/harness_test.h"
#include "tests/common/server_harness.h"
#include "tests/common/status_matchers.h"

namespace hallmark {
namespace {

using ::hallmark::testing::IsOk;
using ::hallmark::testing::kBrandGtin;
using ::hallmark::testing::kIssuer;

class ResilienceTest : public testing::HarnessTest {
 protected:

  v1::IssueSerialsRequest Request(const std::string& id, uint32_t count) {
    v1::IssueSerialsRequest r;
    r.set_gtin(kBrandGtin);
    r.set_lot("L9");
    r.set_count(count);
    r.set_request_id(id);
    return r;
  }

  // Reads up to `limit` units of a stream (0: all); returns the final status.
  grpc::Status ReadStream(const v1::IssueSerialsRequest& r, std::vector<v1::IssuedUnit>* out,
                          size_t limit = 0) {
    auto ctx = h_->Context(kIssuer, absl::Seconds(120));
    auto reader = issuance_->StreamIssueSerials(ctx.get(), r);
    v1::IssuedUnit u;
    while (reader->Read(&u)) {
      out->push_back(u);
      if (limit != 0 && out->size() == limit) {
        ctx->TryCancel();
        break;
      }
    }
    return reader->Finish();
  }

};

TEST_F(ResilienceTest, StreamDeliversEveryUnitOnceAndRegistersThem) {
  std::vector<v1::IssuedUnit> units;
  ASSERT_TRUE(ReadStream(Request("s1", 25'500), &units).ok());
  ASSERT_EQ(units.size(), 25'500u);
  std::set<std::string> serials;
  for (const auto& u : units) serials.insert(u.unit().serial());
  EXPECT_EQ(serials.size(), units.size());
  EXPECT_EQ(*h_->RegisteredCount(kBrandGtin), 25'500u);
}

TEST_F(ResilienceTest, BrokenStreamResumesWithTheSameUnitsFirst) {
  std::vector<v1::IssuedUnit> partial;
  ReadStream(Request("resume", 12'000), &partial, 3'500);
  ASSERT_EQ(partial.size(), 3'500u);
  std::vector<v1::IssuedUnit> full;
  ASSERT_TRUE(ReadStream(Request("resume", 12'000), &full).ok());
  ASSERT_EQ(full.size(), 12'000u);
  for (size_t i = 0; i < partial.size(); ++i) {
    ASSERT_EQ(partial[i].unit().serial(), full[i].unit().serial()) << i;
  }
  std::set<std::string> serials;
  for (const auto& u : full) serials.insert(u.unit().serial());
  EXPECT_EQ(serials.size(), 12'000u);
  EXPECT_EQ(*h_->RegisteredCount(kBrandGtin), 12'000u);
}

TEST_F(ResilienceTest, StreamValidatesLikeUnaryAndAllowsTenMillion) {
  std::vector<v1::IssuedUnit> units;
  auto too_many = Request("big", 10'000'001);
  grpc::Status s = ReadStream(too_many, &units);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), ::testing::HasSubstr("1..10000000"));
  EXPECT_TRUE(units.empty());
}

// The brand revokes its signing key while a long stream runs: the stream stops at the next
// chunk with FAILED_PRECONDITION instead of signing more units with a revoked key.
TEST_F(ResilienceTest, RevokingTheSigningKeyStopsARunningStream) {
  std::vector<v1::IssuedUnit> received;
  grpc::Status status;
  std::thread reader([&] { status = ReadStream(Request("revoke", 200'000), &received); });
  while (*h_->RegisteredCount(kBrandGtin) < 5'000) absl::SleepFor(absl::Milliseconds(5));
  absl::StatusOr<crypto::KeyDirectory> dir = crypto::KeyDirectory::Open(h_->keys_dir(), false);
  ASSERT_THAT(dir, IsOk());
  absl::StatusOr<std::unique_ptr<crypto::KeyRing>> before =
      crypto::KeyRing::LoadDirectory(h_->keys_dir(), true);
  ASSERT_THAT(before, IsOk());
  const crypto::KeyId id = (*before)->active()->info.id;
  ASSERT_THAT(dir->Revoke(id, absl::Now()), IsOk());  // and a new key takes over
  ASSERT_THAT(dir->Generate(crypto::Algorithm::kEs256, absl::Now()), IsOk());
  ASSERT_THAT(h_->server().Reload(), IsOk());
  reader.join();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << status.error_message();
  EXPECT_THAT(status.error_message(), ::testing::HasSubstr("revoked during the stream"));
  ASSERT_LT(received.size(), 200'000u);
  // Repeating the request gives the same units first, now signed with the new key.
  std::vector<v1::IssuedUnit> again;
  ReadStream(Request("revoke", 200'000), &again, received.size() + 10);
  ASSERT_EQ(again.size(), received.size() + 10);
  for (size_t i = 0; i < received.size(); i += 997) {
    EXPECT_EQ(again[i].unit().serial(), received[i].unit().serial());
    EXPECT_NE(again[i].key_id(), received[i].key_id());
  }
}

// The only ACTIVE key revoked with no successor yet: the reload still takes effect — its codes
// verify as COUNTERFEIT at once, and issuance is refused — instead of failing and leaving the
// server trusting (and signing with) the revoked key.
TEST_F(ResilienceTest, RevokingTheOnlyKeyReloadsAndStopsTrustingIt) {
  v1::IssueSerialsResponse issued;
  ASSERT_TRUE(issuance_->IssueSerials(h_->Context(kIssuer).get(), Request("before", 1), &issued)
                  .ok());
  auto verify = [&] {
    v1::VerifyRequest r;
    r.set_code(issued.units(0).digital_link());
    v1::VerifyResponse out;
    EXPECT_TRUE(v1::Verification::NewStub(h_->channel())
                    ->Verify(h_->Context(testing::kVerifier).get(), r, &out)
                    .ok());
    return out.verdict();
  };
  ASSERT_EQ(verify(), v1::VERDICT_AUTHENTIC);
  absl::StatusOr<crypto::KeyDirectory> dir = crypto::KeyDirectory::Open(h_->keys_dir(), false);
  ASSERT_THAT(dir, IsOk());
  absl::StatusOr<crypto::KeyId> id = crypto::ParseKeyId(issued.units(0).key_id());
  ASSERT_THAT(id, IsOk());
  ASSERT_THAT(dir->Revoke(*id, absl::Now()), IsOk());
  ASSERT_THAT(h_->server().Reload(), IsOk());
  EXPECT_EQ(verify(), v1::VERDICT_COUNTERFEIT);
  v1::IssueSerialsResponse refused;
  EXPECT_EQ(issuance_->IssueSerials(h_->Context(kIssuer).get(), Request("after", 1), &refused)
                .error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

// kill -9 of redis-server in the middle of a stream (appendfsync always): every unit the
// client received is registered with the right data after the restart, and no serial twice.
TEST_F(ResilienceTest, RedisCrashMidStreamLosesNoAcknowledgedUnit) {
  std::vector<v1::IssuedUnit> received;
  grpc::Status status;
  std::thread reader([&] { status = ReadStream(Request("crash", 200'000), &received); });
  // Kill once the stream is well under way (progress, not time, decides).
  while (*h_->RegisteredCount(kBrandGtin) < 5'000) absl::SleepFor(absl::Milliseconds(5));
  h_->redis().Kill();
  reader.join();
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  ASSERT_FALSE(received.empty());
  RecordProperty("received_before_crash", static_cast<int>(received.size()));
  ASSERT_THAT(h_->redis().Restart(), IsOk());

  std::set<std::string> serials;
  for (const auto& u : received) {
    ASSERT_TRUE(serials.insert(u.unit().serial()).second) << "duplicate " << u.unit().serial();
  }
  // Spot-check the data of a spread of received units, and the total.
  for (size_t i = 0; i < received.size(); i += std::max<size_t>(1, received.size() / 200)) {
    const auto entry = h_->RegistryEntry(kBrandGtin, received[i].unit().serial());
    ASSERT_THAT(entry, IsOk());
    const std::vector<std::string> f = absl::StrSplit(*entry, '\n');
    ASSERT_EQ(f.size(), 6u) << "unit " << received[i].unit().serial() << " was lost";
    EXPECT_EQ(f[2], "L9");
    EXPECT_EQ(f[4], received[i].key_id());
  }
  const uint64_t registered = *h_->RegisteredCount(kBrandGtin);
  EXPECT_GE(registered, received.size());
  // Every received unit, exactly: re-running the request returns them first, unchanged
  // (retrying while the server's Redis client reconnects by itself).
  std::vector<v1::IssuedUnit> resumed;
  for (int attempt = 0; attempt < 200 && resumed.size() < received.size(); ++attempt) {
    resumed.clear();
    ReadStream(Request("crash", 200'000), &resumed, received.size());
    if (resumed.size() < received.size()) absl::SleepFor(absl::Milliseconds(50));
  }
  ASSERT_EQ(resumed.size(), received.size());
  for (size_t i = 0; i < received.size(); ++i) {
    ASSERT_EQ(resumed[i].unit().serial(), received[i].unit().serial()) << i;
  }
}

TEST_F(ResilienceTest, RedisDownIsUnavailableWithinTheDeadlineAndRecoversWithoutRestart) {
  v1::IssueSerialsResponse resp;
  ASSERT_TRUE(issuance_->IssueSerials(h_->Context(kIssuer).get(), Request("up", 5), &resp).ok());

  h_->redis().Pause();  // alive but silent: the per-call Redis deadline (2 s here) must fire
  auto ctx = h_->Context(kIssuer, absl::Seconds(10));
  grpc::Status paused = issuance_->IssueSerials(ctx.get(), Request("paused", 5), &resp);
  EXPECT_EQ(paused.error_code(), grpc::StatusCode::UNAVAILABLE) << paused.error_message();
  h_->redis().Resume();

  h_->redis().Kill();  // gone: fail fast
  grpc::Status down = issuance_->IssueSerials(h_->Context(kIssuer).get(), Request("down", 5), &resp);
  EXPECT_EQ(down.error_code(), grpc::StatusCode::UNAVAILABLE) << down.error_message();

  ASSERT_THAT(h_->redis().Restart(), IsOk());
  grpc::Status back;
  for (int i = 0; i < 200; ++i) {  // until the server's client has reconnected by itself
    back = issuance_->IssueSerials(h_->Context(kIssuer).get(), Request("back", 5), &resp);
    if (back.ok()) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_TRUE(back.ok()) << back.error_message();
  EXPECT_EQ(resp.units_size(), 5);
}

}  // namespace
}  // namespace hallmark
