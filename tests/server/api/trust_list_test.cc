// The signed trust list as the server hands it out: loaded and verified at start (a list the
// root did not sign stops the start), served by Keys.GetTrustList and the web front door,
// replaced by a newer one on reload, kept when the new file does not verify.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/files.h"
#include "crypto/key_ring.h"
#include "crypto/trust_list.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hallmark/v1/keys.grpc.pb.h"
#include "tests/common/server_harness.h"
#include "tests/common/status_matchers.h"
#include "tests/common/subprocess.h"
#include "tests/common/temp_dir.h"
#include "tests/common/test_keys.h"

namespace hallmark {
namespace {

using ::hallmark::testing::IsOk;
using ::testing::HasSubstr;
namespace t = ::hallmark::testing;

class TrustListServiceTest : public ::testing::Test {
 protected:
  // Signs the keys of `keys_dir` as list `seq` with `root_pem` into `path`.
  static void SignList(const std::string& keys_dir, uint64_t seq, absl::string_view root_pem,
                       const std::string& path, absl::Duration valid = absl::Hours(24)) {
    auto ring = crypto::KeyRing::LoadDirectory(keys_dir, false);
    ASSERT_THAT(ring, IsOk());
    crypto::TrustList list;
    list.sequence = seq;
    list.issued_at = absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now())) - absl::Hours(48);
    list.expires_at = list.issued_at + absl::Hours(48) + valid;
    list.keys = crypto::TrustListKeys(**ring);
    auto root = crypto::RootKeyFromPem(root_pem, true);
    ASSERT_THAT(root, IsOk());
    auto jws = crypto::SignTrustList(list, **(*root)->NewSigner(), (*root)->algorithm(), 1);
    ASSERT_THAT(jws, IsOk());
    ASSERT_THAT(WriteFileAtomically(path, *jws), IsOk());
  }

  absl::Status Start(absl::string_view signing_root, absl::Duration valid = absl::Hours(24)) {
    t::ServerHarness::Options o;
    o.configure = [this, signing_root, valid](api::ServerConfig* c) {
      SignList(c->keys_dir, 1, signing_root, List(), valid);
      EXPECT_THAT(WriteFileAtomically(Root(), std::string(t::kTestRootPublicPem)), IsOk());
      c->trust_list = List();
      c->trust_list_root = Root();
      c->http_listen = "127.0.0.1:0";
    };
    auto h = t::ServerHarness::Start(o);
    if (!h.ok()) return h.status();
    h_ = *std::move(h);
    return absl::OkStatus();
  }

  std::string List() const { return tmp_.path() + "/trust-list.jws"; }
  std::string Root() const { return tmp_.path() + "/root.pub.pem"; }

  v1::SignedTrustList Served() {
    v1::SignedTrustList out;
    grpc::ClientContext ctx;  // public: no token
    EXPECT_TRUE(v1::Keys::NewStub(h_->channel())->GetTrustList(&ctx, {}, &out).ok());
    return out;
  }

  t::TempDir tmp_;
  std::unique_ptr<t::ServerHarness> h_;
};

TEST_F(TrustListServiceTest, ServedOverGrpcAndTheWebAndRenewedOnReload) {
  ASSERT_THAT(Start(t::kTestRootPrivatePem), IsOk());
  v1::SignedTrustList served = Served();
  EXPECT_EQ(served.sequence(), 1u);
  EXPECT_EQ(served.jws(), *ReadFile(List()));
  auto root = crypto::RootKeyFromPem(t::kTestRootPublicPem, false);
  EXPECT_THAT(crypto::VerifyTrustList(served.jws(), **(*root)->NewVerifier(), (*root)->algorithm(),
                                      absl::Now(), {}),
              IsOk());
  const std::string web = t::RunShell(absl::StrCat(
      "curl -s -i http://127.0.0.1:", h_->server().http_port(),
      "/.well-known/hallmark-trust-list.jws"));
  EXPECT_THAT(web, HasSubstr("Content-Type: application/jose"));
  EXPECT_THAT(web, HasSubstr(served.jws()));

  SignList(h_->keys_dir(), 2, t::kTestRootPrivatePem, List());
  ASSERT_THAT(h_->server().Reload(), IsOk());
  EXPECT_EQ(Served().sequence(), 2u);
  // A file that does not verify (junk, another root) leaves the last good list served; so
  // does an older list, or another list of the served sequence.
  ASSERT_THAT(WriteFileAtomically(List(), "junk"), IsOk());
  ASSERT_THAT(h_->server().Reload(), IsOk());
  EXPECT_EQ(Served().sequence(), 2u);
  SignList(h_->keys_dir(), 1, t::kTestRootPrivatePem, List());
  ASSERT_THAT(h_->server().Reload(), IsOk());
  EXPECT_EQ(Served().sequence(), 2u);
  const std::string served_jws = Served().jws();
  SignList(h_->keys_dir(), 2, t::kTestRootPrivatePem, List(), absl::Hours(1));
  ASSERT_THAT(h_->server().Reload(), IsOk());
  EXPECT_EQ(Served().jws(), served_jws);
}

// An expired list must not stop verification: the server starts and hands out none.
TEST_F(TrustListServiceTest, AnExpiredListIsNotServedButTheServerRuns) {
  ASSERT_THAT(Start(t::kTestRootPrivatePem, -absl::Hours(1)), IsOk());
  v1::SignedTrustList out;
  grpc::ClientContext ctx;
  EXPECT_EQ(v1::Keys::NewStub(h_->channel())->GetTrustList(&ctx, {}, &out).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(TrustListServiceTest, AListTheRootDidNotSignStopsTheStart) {
  absl::Status s = Start(t::kTestEd25519PrivatePem);  // another Ed25519 key
  EXPECT_THAT(s, ::hallmark::testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                               HasSubstr("does not verify with the root key")));
  EXPECT_THAT(s.message(), HasSubstr("trust-list.jws"));
}

TEST_F(TrustListServiceTest, WithoutAListGetTrustListIsNotFound) {
  auto h = t::ServerHarness::Start();
  ASSERT_THAT(h, IsOk());
  v1::SignedTrustList out;
  grpc::ClientContext ctx;
  EXPECT_EQ(v1::Keys::NewStub((*h)->channel())->GetTrustList(&ctx, {}, &out).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace hallmark
