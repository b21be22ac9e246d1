// Transport security: TLS, mutual TLS with principals identified by certificate, refusals,
// certificate rotation without a restart, and plaintext only where it is safe.
#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/hallmark_client.h"
#include "common/files.h"
#include "common/net.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/metrics_scrape.h"
#include "tests/common/server_harness.h"
#include "tests/common/status_matchers.h"
#include "tests/common/subprocess.h"
#include "tests/common/temp_dir.h"

namespace hallmark {
namespace {

using ::hallmark::testing::IsOk;
using ::hallmark::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;
namespace t = ::hallmark::testing;

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string cmd =
        absl::StrCat(HALLMARK_SOURCE_DIR "/tests/common/make_test_pki.sh ", pki_.path());
    ASSERT_EQ(std::system(cmd.c_str()), 0);
  }

  std::string Pki(const char* name) const { return JoinPath(pki_.path(), name); }

  void Start(bool mtls, bool require, bool web = false) {
    t::ServerHarness::Options o;
    o.configure = [this, mtls, require, web](api::ServerConfig* c) {
      if (web) {
        c->http_listen = "127.0.0.1:0";
        c->http_tls = true;
      }
      c->listen = "127.0.0.1:0";
      c->tls_cert = Pki("server.pem");
      c->tls_key = Pki("server.key");
      if (mtls) c->client_ca = Pki("ca.pem");
      c->require_client_cert = require;
      c->tls_refresh = absl::Seconds(1);
    };
    auto h = t::ServerHarness::Start(o);
    ASSERT_THAT(h, IsOk());
    h_ = *std::move(h);
  }

  // A client as a partner would configure it.
  absl::StatusOr<std::unique_ptr<Client>> Connect(const std::string& token, const char* cert,
                                                  const char* key, const char* ca = "ca.pem") {
    ClientOptions o;
    o.address = absl::StrCat("127.0.0.1:", h_->server().port());
    o.token = token;
    o.ca_file = Pki(ca);
    if (cert != nullptr) {
      o.cert_file = Pki(cert);
      o.key_file = Pki(key);
    }
    o.max_attempts = 1;
    o.timeout = absl::Seconds(5);
    return Client::Connect(o);
  }

  // The certificate the server presents now ("" when no TLS handshake succeeds).
  std::string ServedCert() {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = *ReadFile(Pki("ca.pem"));
    auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", h_->server().port()),
                                       grpc::SslCredentials(ssl));
    auto keys = v1::Keys::NewStub(channel);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    v1::ListPublicKeysResponse resp;
    if (!keys->ListPublicKeys(&ctx, {}, &resp).ok()) return "";
    auto values = ctx.auth_context()->FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME);
    return values.empty() ? "" : std::string(values[0].data(), values[0].size());
  }

  absl::Status Verify(Client& c) {
    v1::VerifyRequest r;
    r.set_code("(01)09506000134352(21)TLS");
    return c.Verify(r).status();
  }

  t::TempDir pki_;
  std::unique_ptr<t::ServerHarness> h_;
};

TEST_F(TlsTest, TlsHandshakeWithTheProjectCa) {
  Start(/*mtls=*/false, false);
  auto client = Connect(h_->token(t::kVerifier), nullptr, nullptr);
  ASSERT_THAT(client, IsOk());
  EXPECT_THAT(Verify(**client), IsOk());
  // A client that does not trust the server's CA cannot connect.
  auto distrusting = Connect(h_->token(t::kVerifier), nullptr, nullptr, "foreign-ca.pem");
  ASSERT_THAT(distrusting, IsOk());
  EXPECT_THAT(Verify(**distrusting), StatusIs(absl::StatusCode::kUnavailable));
  // Nor can a plaintext one.
  ClientOptions plain;
  plain.address = absl::StrCat("127.0.0.1:", h_->server().port());
  plain.token = h_->token(t::kVerifier);
  plain.max_attempts = 1;
  auto plaintext = Client::Connect(plain);
  ASSERT_THAT(plaintext, IsOk());
  EXPECT_THAT(Verify(**plaintext), StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(TlsTest, MutualTlsRefusesMissingAndForeignCertificatesAndUsesTheCertRole) {
  Start(/*mtls=*/true, /*require=*/true);
  auto no_cert = Connect(h_->token(t::kVerifier), nullptr, nullptr);
  ASSERT_THAT(no_cert, IsOk());
  EXPECT_THAT(Verify(**no_cert), StatusIs(absl::StatusCode::kUnavailable));
  auto foreign = Connect("", "foreign.pem", "foreign.key");
  ASSERT_THAT(foreign, IsOk());
  EXPECT_THAT(Verify(**foreign), StatusIs(absl::StatusCode::kUnavailable));

  // The certificate alone identifies cert-shop, a retailer: it may verify, not issue.
  auto by_cert = Connect("", "client.pem", "client.key");
  ASSERT_THAT(by_cert, IsOk());
  EXPECT_THAT(Verify(**by_cert), IsOk());
  v1::IssueSerialsRequest issue;
  issue.set_gtin(t::kBrandGtin);
  issue.set_count(1);
  issue.set_request_id("tls");
  EXPECT_THAT((*by_cert)->IssueSerials(issue).status(),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("role retailer")));
  // Observed: a retailer's certificate plus a police token acted as the police. A token
  // must belong to the certificate's own principal.
  auto issuer = Connect(h_->token(t::kIssuer), "client.pem", "client.key");
  ASSERT_THAT(issuer, IsOk());
  EXPECT_THAT((*issuer)->IssueSerials(issue).status(),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("does not belong to the client certificate's principal")));
  auto police = Connect(h_->token(t::kPolice), "client.pem", "client.key");
  ASSERT_THAT(police, IsOk());
  EXPECT_THAT(Verify(**police), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(TlsTest, OptionalMutualTlsStillRefusesATokenOfAnotherPrincipal) {
  Start(/*mtls=*/true, /*require=*/false);
  auto mixed = Connect(h_->token(t::kPolice), "client.pem", "client.key");
  ASSERT_THAT(mixed, IsOk());
  EXPECT_THAT(Verify(**mixed), StatusIs(absl::StatusCode::kUnauthenticated));
  auto token_only = Connect(h_->token(t::kPolice), nullptr, nullptr);
  ASSERT_THAT(token_only, IsOk());
  EXPECT_THAT(Verify(**token_only), IsOk());
  auto cert_only = Connect("", "client.pem", "client.key");
  ASSERT_THAT(cert_only, IsOk());
  EXPECT_THAT(Verify(**cert_only), IsOk());
}

TEST_F(TlsTest, JunkOrMismatchedFilesStopStartup) {
  ASSERT_THAT(WriteFileAtomically(Pki("junk.pem"), "-----BEGIN CERTIFICATE-----\nnope\n"), IsOk());
  auto start = [this](const char* cert, const char* key) {
    t::ServerHarness::Options o;
    o.configure = [this, cert, key](api::ServerConfig* c) {
      c->listen = "127.0.0.1:0";
      c->tls_cert = Pki(cert);
      c->tls_key = Pki(key);
    };
    return t::ServerHarness::Start(o).status();
  };
  EXPECT_THAT(start("junk.pem", "server.key"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no PEM certificate")));
  EXPECT_THAT(start("server.pem", "server2.key"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("the private key does not belong to the certificate")));
  EXPECT_THAT(start("server.pem", "junk.pem"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no unencrypted PEM private key")));
  EXPECT_THAT(start("server.pem", "missing.key"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--tls_key")));
}

// --http_tls: the front door speaks HTTPS with the gRPC certificate (and its rotations),
// sends HSTS, and refuses plaintext.
TEST_F(TlsTest, TheWebFrontDoorServesHttpsWithHsts) {
  Start(/*mtls=*/false, /*require=*/false, /*web=*/true);
  const std::string url =
      absl::StrCat("https://localhost:", h_->server().http_port(), "/healthz");
  const std::string out = t::RunShell(absl::StrCat(
      "curl -s -S -i --max-time 10 --cacert ", Pki("ca.pem"), " --resolve localhost:",
      h_->server().http_port(), ":127.0.0.1 ", url, " 2>&1"));
  EXPECT_THAT(out, HasSubstr("HTTP/1.1 200"));
  EXPECT_THAT(out, HasSubstr("Strict-Transport-Security: max-age=31536000"));
  EXPECT_THAT(out, HasSubstr("SERVING"));
  const std::string plain = t::RunShell(absl::StrCat(
      "curl -s -S -i --max-time 5 http://127.0.0.1:", h_->server().http_port(), "/healthz 2>&1"));
  EXPECT_THAT(plain, Not(HasSubstr("SERVING")));
  // A rotated certificate reaches new connections (the staged copy is re-read).
  ASSERT_THAT(WriteFileAtomically(Pki("server.key"), *ReadFile(Pki("server2.key"))), IsOk());
  ASSERT_THAT(WriteFileAtomically(Pki("server.pem"), *ReadFile(Pki("server2.pem"))), IsOk());
  const std::string want = *ReadFile(Pki("server2.pem"));
  std::string served;
  for (int i = 0; i < 100 && served != want; ++i) {
    absl::SleepFor(absl::Milliseconds(100));
    served = t::RunShell(absl::StrCat(
        "echo | openssl s_client -connect 127.0.0.1:", h_->server().http_port(),
        " 2>/dev/null | openssl x509 2>/dev/null"));
  }
  EXPECT_EQ(served, want);
}

TEST_F(TlsTest, RotatedCertificateIsServedWithoutRestart) {
  Start(/*mtls=*/false, false);
  const std::string before = ServedCert();
  ASSERT_FALSE(before.empty());
  const std::string next = *ReadFile(Pki("server2.pem"));
  ASSERT_THAT(WriteFileAtomically(Pki("server.key"), *ReadFile(Pki("server2.key"))), IsOk());
  ASSERT_THAT(WriteFileAtomically(Pki("server.pem"), next), IsOk());
  std::string after;
  for (int i = 0; i < 100 && after != next; ++i) {  // re-read within --tls_refresh
    after = ServedCert();
    if (after != next) absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(after, next);
}

// Observed: rotating to a bad set (junk, a mismatched pair, the certificate copied before its
// key) took TLS down until the files were fixed.
TEST_F(TlsTest, RotationToBadFilesKeepsTheLastGoodPair) {
  t::ServerHarness::Options o;
  o.configure = [this](api::ServerConfig* c) {
    c->listen = "127.0.0.1:0";
    c->tls_cert = Pki("server.pem");
    c->tls_key = Pki("server.key");
    c->tls_refresh = absl::Seconds(1);
    c->metrics_listen = "127.0.0.1:0";
  };
  auto h = t::ServerHarness::Start(o);
  ASSERT_THAT(h, IsOk());
  h_ = *std::move(h);
  auto rejections = [this](int n) {  // waits until the server has refused n sets
    const std::string want =
        absl::StrCat("hallmark_security_events_total{event=\"tls_reload_rejected\"} ", n);
    for (int i = 0; i < 200; ++i) {
      if (t::ScrapeMetrics(h_->server().metrics_port()).find(want) != std::string::npos) {
        return true;
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
    return false;
  };
  const std::string before = ServedCert();
  ASSERT_FALSE(before.empty());
  ASSERT_THAT(WriteFileAtomically(Pki("server.pem"), "junk"), IsOk());
  ASSERT_TRUE(rejections(1));
  EXPECT_EQ(ServedCert(), before);
  // The new certificate copied before its key: a mismatched pair, refused too.
  const std::string next = *ReadFile(Pki("server2.pem"));
  ASSERT_THAT(WriteFileAtomically(Pki("server.pem"), next), IsOk());
  ASSERT_TRUE(rejections(2));
  EXPECT_EQ(ServedCert(), before);
  // Then the key: the complete new pair is served.
  ASSERT_THAT(WriteFileAtomically(Pki("server.key"), *ReadFile(Pki("server2.key"))), IsOk());
  std::string after;
  for (int i = 0; i < 100 && after != next; ++i) {
    after = ServedCert();
    if (after != next) absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(after, next);
}

TEST(PlaintextTest, OnlyOnLoopbackUnlessAllowed) {
  t::ServerHarness::Options refused;
  refused.configure = [](api::ServerConfig* c) { c->listen = "0.0.0.0:0"; };
  EXPECT_THAT(t::ServerHarness::Start(refused),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("--allow_insecure")));
  t::ServerHarness::Options allowed;
  allowed.configure = [](api::ServerConfig* c) {
    c->listen = "0.0.0.0:0";
    c->allow_insecure = true;
  };
  EXPECT_THAT(t::ServerHarness::Start(allowed), IsOk());
  EXPECT_TRUE(IsLoopbackAddress("127.0.0.1:50051"));
  EXPECT_TRUE(IsLoopbackAddress("unix:/run/h.sock"));
  EXPECT_FALSE(IsLoopbackAddress("0.0.0.0:50051"));
  EXPECT_FALSE(IsLoopbackAddress("127.0.0.1.example.com:50051"));
  EXPECT_TRUE(IsLoopbackAddress("localhost:50051"));
  EXPECT_TRUE(IsLoopbackAddress("[::1]:50051"));
  // Every address of a gRPC address list (observed: only the first was checked).
  EXPECT_TRUE(IsLoopbackAddress("ipv6:[::1]:1,[::ffff:127.0.0.1]:2"));
  EXPECT_FALSE(IsLoopbackAddress("ipv6:[::1]:1,[2001:db8::1]:443"));
  EXPECT_FALSE(IsLoopbackAddress("ipv4:127.0.0.1:1,192.0.2.7:443"));
  EXPECT_TRUE(IsLoopbackAddress("ipv4:127.0.0.1:1,127.0.0.2:2"));
  EXPECT_FALSE(IsLoopbackAddress("ipv6:[::ffff:192.0.2.7]:443"));
}

}  // namespace
}  // namespace hallmark
