// The hallmark-server binary as operators run it: startup checks, health, reflection,
// SIGHUP reload and graceful SIGTERM shutdown.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "common/files.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "hallmark/v1/issuance.grpc.pb.h"
#include "hallmark/v1/links.grpc.pb.h"
#include "hallmark/v1/verification.grpc.pb.h"
#include "absl/strings/match.h"
#include "absl/strings/ascii.h"
#include "absl/strings/strip.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "client/bench/raw_http2.h"
#include "tests/common/redis_server.h"
#include "tests/common/server_harness.h"
#include "tests/common/status_matchers.h"
#include "tests/common/subprocess.h"
#include "tests/common/temp_dir.h"

namespace hallmark {
namespace {

using ::grpc::health::v1::HealthCheckResponse;
using ::hallmark::testing::IsOk;
using ::testing::HasSubstr;
using ::testing::Not;
namespace t = ::hallmark::testing;

class ServerBinaryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = t::WriteDeployment(tmp_.path());
    ASSERT_THAT(d, IsOk());
    deployment_ = *d;
  }

  void StartRedis(const std::string& extra = "") {
    auto redis = t::RedisServer::Start(tmp_.path(), extra);
    ASSERT_THAT(redis, IsOk());
    redis_ = *std::move(redis);
  }

  std::string Socket() const { return JoinPath(tmp_.path(), "grpc.sock"); }

  absl::StatusOr<t::Subprocess> StartServer(std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {HALLMARK_BINARY_DIR "/server/hallmark-server",
                                     "--listen=unix:" + Socket(),
                                     "--redis=" + redis_->address(),
                                     "--keys_dir=" + deployment_.keys_dir,
                                     "--principals=" + deployment_.principals,
                                     "--redis_startup_timeout=3s",
                                     "--redis_timeout=500ms"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return t::Subprocess::Start(argv, JoinPath(tmp_.path(), "server.log"));
  }

  std::shared_ptr<grpc::Channel> Channel() {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 50);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 200);
    return grpc::CreateCustomChannel("unix:" + Socket(), grpc::InsecureChannelCredentials(), args);
  }

  // Polls the health service until it reports `want` (the server may still be starting).
  bool HealthBecomes(HealthCheckResponse::ServingStatus want) {
    for (int i = 0; i < 400; ++i) {
      // A fresh channel each time: no reconnect backoff inherited from a failed attempt.
      auto health = grpc::health::v1::Health::NewStub(Channel());
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(1));
      grpc::health::v1::HealthCheckResponse resp;
      if (health->Check(&ctx, {}, &resp).ok() && resp.status() == want) return true;
      absl::SleepFor(absl::Milliseconds(25));
    }
    return false;
  }

  // The front door's port, as the server logs it once it serves HTTP ("" if it never does).
  static std::string HttpPort(const t::Subprocess& server) {
    std::string port;
    for (int i = 0; i < 200 && port.empty(); ++i) {
      const std::string log = server.Log();
      const size_t at = log.find("\"msg\":\"serving HTTP\"");
      const size_t p = at == std::string::npos ? at : log.find("\"port\":\"", at);
      if (p != std::string::npos) port = log.substr(p + 8, log.find('"', p + 8) - p - 8);
      if (port.empty()) absl::SleepFor(absl::Milliseconds(25));
    }
    return port;
  }

  // One unit of the brand's GTIN, issued by the running server (as the issuer).
  v1::IssuedUnit IssueOne(const std::string& request_id, const std::string& lot = "",
                          const std::string& expiry = "") {
    v1::IssueSerialsRequest req;
    req.set_gtin(t::kBrandGtin);
    req.set_lot(lot);
    req.set_expiry_date(expiry);
    req.set_count(1);
    req.set_request_id(request_id);
    v1::IssueSerialsResponse issued;
    const grpc::Status s =
        v1::Issuance::NewStub(Channel())->IssueSerials(As(t::kIssuer).get(), req, &issued);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return issued.units_size() == 1 ? issued.units(0) : v1::IssuedUnit();
  }

  std::unique_ptr<grpc::ClientContext> As(const std::string& who) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->AddMetadata("authorization", "Bearer " + deployment_.tokens.at(who));
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    return ctx;
  }

  t::TempDir tmp_;
  t::Deployment deployment_;
  std::unique_ptr<t::RedisServer> redis_;
};

TEST_F(ServerBinaryTest, HealthFollowsRedisAndReflectionListsServices) {
  StartRedis();
  auto server = StartServer();
  ASSERT_THAT(server, IsOk());
  ASSERT_TRUE(HealthBecomes(HealthCheckResponse::SERVING)) << server->Log();

  // grpc.reflection.v1alpha ServerReflectionInfo with list_services (field 7) = "".
  grpc::GenericStub generic(Channel());
  grpc::ClientContext ctx;
  grpc::CompletionQueue cq;
  auto call = generic.PrepareCall(&ctx, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
  void* tag;
  bool ok;
  call->StartCall(reinterpret_cast<void*>(1));
  cq.Next(&tag, &ok);
  const char request[] = {0x3a, 0x00};
  grpc::Slice slice(request, sizeof(request));
  grpc::ByteBuffer out(&slice, 1);
  call->Write(out, reinterpret_cast<void*>(2));
  cq.Next(&tag, &ok);
  grpc::ByteBuffer in;
  call->Read(&in, reinterpret_cast<void*>(3));
  cq.Next(&tag, &ok);
  ASSERT_TRUE(ok);
  std::vector<grpc::Slice> slices;
  in.Dump(&slices);
  std::string reply;
  for (const auto& s : slices) reply.append(reinterpret_cast<const char*>(s.begin()), s.size());
  EXPECT_THAT(reply, HasSubstr("hallmark.v1.Issuance"));
  EXPECT_THAT(reply, HasSubstr("hallmark.v1.Keys"));
  ctx.TryCancel();
  call->Finish(nullptr, reinterpret_cast<void*>(4));
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }

  redis_->Kill();
  EXPECT_TRUE(HealthBecomes(HealthCheckResponse::NOT_SERVING));
  ASSERT_THAT(redis_->Restart(), IsOk());
  EXPECT_TRUE(HealthBecomes(HealthCheckResponse::SERVING));
}

TEST_F(ServerBinaryTest, RefusesANonDurableRedisUnlessAllowed) {
  StartRedis("appendfsync everysec");
  auto refused = StartServer();
  ASSERT_THAT(refused, IsOk());
  EXPECT_EQ(refused->Wait(absl::Seconds(30)), 1);
  EXPECT_THAT(refused->Log(), HasSubstr("appendfsync is 'everysec', need 'always'"));
  auto allowed = StartServer({"--allow_volatile_redis"});
  ASSERT_THAT(allowed, IsOk());
  EXPECT_TRUE(HealthBecomes(HealthCheckResponse::SERVING)) << allowed->Log();
}

TEST_F(ServerBinaryTest, RefusesToStartWithoutASigningKey) {
  StartRedis();
  ASSERT_EQ(std::remove(JoinPath(deployment_.keys_dir, "keys.manifest").c_str()), 0);
  auto server = StartServer();
  ASSERT_THAT(server, IsOk());
  EXPECT_EQ(server->Wait(absl::Seconds(30)), 1);
  EXPECT_THAT(server->Log(), HasSubstr("keys.manifest"));
}

TEST_F(ServerBinaryTest, SigtermFinishesTheStreamInFlightThenExitsZero) {
  StartRedis();
  auto server = StartServer({"--shutdown_grace=60s"});
  ASSERT_THAT(server, IsOk());
  ASSERT_TRUE(HealthBecomes(HealthCheckResponse::SERVING)) << server->Log();
  auto issuance = v1::Issuance::NewStub(Channel());
  v1::IssueSerialsRequest req;
  req.set_gtin(t::kBrandGtin);
  req.set_count(30'000);
  req.set_request_id("sigterm");
  auto ctx = As(t::kIssuer);
  auto reader = issuance->StreamIssueSerials(ctx.get(), req);
  v1::IssuedUnit unit;
  size_t received = 0;
  while (received < 2'000 && reader->Read(&unit)) ++received;
  server->Signal(SIGTERM);  // mid-stream
  while (reader->Read(&unit)) ++received;
  grpc::Status s = reader->Finish();
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(received, 30'000u);
  EXPECT_EQ(server->Wait(absl::Seconds(60)), 0) << server->Log();
  EXPECT_THAT(server->Log(), HasSubstr("\"msg\":\"stopped\""));
}

TEST_F(ServerBinaryTest, OneJsonLogLinePerRpcWithoutSecrets) {
  StartRedis();
  auto server = StartServer();
  ASSERT_THAT(server, IsOk());
  ASSERT_TRUE(HealthBecomes(HealthCheckResponse::SERVING));
  const v1::IssuedUnit unit = IssueOne("log");
  ASSERT_FALSE(unit.digsig().empty());
  v1::VerifyRequest verify;
  verify.set_code(unit.digital_link());
  v1::VerifyResponse verdict;
  ASSERT_TRUE(v1::Verification::NewStub(Channel())
                  ->Verify(As(t::kVerifier).get(), verify, &verdict)
                  .ok());
  grpc::ClientContext anonymous;
  v1::VerifyResponse refused;
  EXPECT_FALSE(v1::Verification::NewStub(Channel())->Verify(&anonymous, verify, &refused).ok());
  server->Signal(SIGTERM);
  ASSERT_EQ(server->Wait(absl::Seconds(30)), 0);
  const std::string log = server->Log();
  EXPECT_THAT(log, HasSubstr(absl::StrCat("\"msg\":\"rpc\",\"method\":\"Verification.Verify\","
                                          "\"principal\":\"", t::kVerifier, "\",\"code\":\"OK\"")));
  EXPECT_THAT(log, HasSubstr("\"verdict\":\"AUTHENTIC\""));
  EXPECT_THAT(log, ::testing::ContainsRegex("\"latency_ms\":\"[0-9]+\\.[0-9]{3}\""));
  EXPECT_THAT(log, HasSubstr("\"event\":\"auth_failure\""));
  EXPECT_THAT(log, HasSubstr("\"method\":\"Issuance.IssueSerials\""));
  for (const auto& [name, token] : deployment_.tokens) {
    EXPECT_THAT(log, Not(HasSubstr(token))) << "token of " << name << " logged";
  }
  EXPECT_THAT(log, Not(HasSubstr(unit.digsig()))) << "a full code was logged";
  for (absl::string_view line : absl::StrSplit(log, '\n', absl::SkipEmpty())) {
    EXPECT_TRUE(absl::StartsWith(line, "{\"ts\":") && absl::EndsWith(line, "}")) << line;
  }
}

TEST_F(ServerBinaryTest, AFloodOfBadTokensCannotFloodTheLog) {
  StartRedis();
  auto server = StartServer();
  ASSERT_THAT(server, IsOk());
  ASSERT_TRUE(HealthBecomes(HealthCheckResponse::SERVING)) << server->Log();
  auto stub = v1::Verification::NewStub(Channel());
  v1::VerifyRequest verify;
  verify.set_code("https://id.gs1.org/01/09506000134352/21/X");
  constexpr int kCalls = 400;
  const absl::Time start = absl::Now();
  for (int i = 0; i < kCalls; ++i) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer hm_notatoken");
    v1::VerifyResponse r;
    ASSERT_EQ(stub->Verify(&ctx, verify, &r).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  const int64_t seconds = absl::ToInt64Seconds(absl::Now() - start);
  server->Signal(SIGTERM);
  ASSERT_EQ(server->Wait(absl::Seconds(30)), 0);
  const std::string log = server->Log();
  int warn_lines = 0, rpc_lines = 0;
  for (absl::string_view line : absl::StrSplit(log, '\n')) {
    if (absl::StrContains(line, "\"event\":\"auth_failure\"")) ++warn_lines;
    if (absl::StrContains(line, "\"msg\":\"rpc\"") &&
        absl::StrContains(line, "\"code\":\"UNAUTHENTICATED\"")) {
      ++rpc_lines;
    }
  }
  // At most 20 (log::kLimitedLinesPerSecond) lines of each kind per wall-clock second the
  // flood touched (+1 for a partial second at each end), however many calls it made.
  const int64_t bound = 20 * (seconds + 2);
  EXPECT_GE(warn_lines, 1);
  EXPECT_LE(warn_lines, bound) << "calls took " << seconds << " s";
  EXPECT_GE(rpc_lines, 1);
  EXPECT_LE(rpc_lines, bound) << "calls took " << seconds << " s";
}

TEST_F(ServerBinaryTest, EveryFlagCanComeFromTheEnvironment) {
  StartRedis();
  ::setenv("HALLMARK_LISTEN", ("unix:" + Socket()).c_str(), 1);
  ::setenv("HALLMARK_RESOLVER_HOST", "id.env.example", 1);
  auto server = t::Subprocess::Start(
      {HALLMARK_BINARY_DIR "/server/hallmark-server", "--redis=" + redis_->address(),
       "--keys_dir=" + deployment_.keys_dir, "--principals=" + deployment_.principals},
      JoinPath(tmp_.path(), "env.log"));
  ::unsetenv("HALLMARK_LISTEN");
  ::unsetenv("HALLMARK_RESOLVER_HOST");
  ASSERT_THAT(server, IsOk());
  ASSERT_TRUE(HealthBecomes(HealthCheckResponse::SERVING)) << server->Log();
  const v1::IssuedUnit unit = IssueOne("env");
  ASSERT_FALSE(unit.digsig().empty());
  EXPECT_THAT(unit.digital_link(), HasSubstr("https://id.env.example/"));

  ::setenv("HALLMARK_MAX_CALL", "forever", 1);
  auto bad = t::Subprocess::Start({HALLMARK_BINARY_DIR "/server/hallmark-server"},
                                  JoinPath(tmp_.path(), "bad.log"));
  ::unsetenv("HALLMARK_MAX_CALL");
  ASSERT_THAT(bad, IsOk());
  EXPECT_EQ(bad->Wait(absl::Seconds(10)), 2);
  EXPECT_THAT(bad->Log(), HasSubstr("HALLMARK_MAX_CALL"));
  auto unknown = t::Subprocess::Start({HALLMARK_BINARY_DIR "/server/hallmark-server", "--colour=blue"},
                                      JoinPath(tmp_.path(), "unknown.log"));
  ASSERT_THAT(unknown, IsOk());
  EXPECT_NE(unknown->Wait(absl::Seconds(10)), 0);
  EXPECT_THAT(unknown->Log(), HasSubstr("colour"));
}

TEST_F(ServerBinaryTest, SighupReloadsPrincipals) {
  StartRedis();
  auto server = StartServer();
  ASSERT_THAT(server, IsOk());
  ASSERT_TRUE(HealthBecomes(HealthCheckResponse::SERVING));
  auto issuance = v1::Issuance::NewStub(Channel());
  v1::ImportSerialsRequest req;
  req.set_gtin(t::kBrandGtin);
  req.add_serials("HUP-1");
  req.set_request_id("hup");
  v1::ImportSerialsResponse resp;
  ASSERT_TRUE(issuance->ImportSerials(As(t::kIssuer).get(), req, &resp).ok());
  // Disable the issuer in the file, signal, and its token stops working.
  absl::StatusOr<std::string> text = ReadFile(deployment_.principals);
  ASSERT_THAT(text, IsOk());
  const std::string needle = absl::StrCat("name: \"", t::kIssuer, "\"");
  std::string edited = *text;
  edited.replace(edited.find(needle), needle.size(), needle + "\n  disabled: true");
  ASSERT_THAT(WriteFileAtomically(deployment_.principals, edited, 0600), IsOk());
  server->Signal(SIGHUP);
  grpc::StatusCode code = grpc::StatusCode::OK;
  for (int i = 0; i < 400 && code == grpc::StatusCode::OK; ++i) {
    code = issuance->ImportSerials(As(t::kIssuer).get(), req, &resp).error_code();
    if (code == grpc::StatusCode::OK) absl::SleepFor(absl::Milliseconds(25));
  }
  EXPECT_EQ(code, grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(server->Log(), HasSubstr("reloaded principals"));
}

// Observed: with Redis frozen for 35 s, health stayed SERVING while every call failed.
TEST_F(ServerBinaryTest, HealthFollowsAStalledRedis) {
  StartRedis();
  auto server = StartServer({"--redis_probe_interval=100ms", "--redis_probe_timeout=300ms"});
  ASSERT_THAT(server, IsOk());
  ASSERT_TRUE(HealthBecomes(HealthCheckResponse::SERVING)) << server->Log();
  redis_->Pause();  // alive, connections open, never answering
  EXPECT_TRUE(HealthBecomes(HealthCheckResponse::NOT_SERVING)) << server->Log();
  redis_->Resume();
  EXPECT_TRUE(HealthBecomes(HealthCheckResponse::SERVING)) << server->Log();
  EXPECT_THAT(server->Log(), HasSubstr("did not answer PING"));
}

// Observed: CONFIG SET appendonly no at run time went unnoticed; issuance kept acknowledging.
TEST_F(ServerBinaryTest, LosingDurabilityAtRunTimeRefusesWritesButNotVerification) {
  StartRedis();
  auto server = StartServer({"--redis_recheck_interval=100ms"});
  ASSERT_THAT(server, IsOk());
  ASSERT_TRUE(HealthBecomes(HealthCheckResponse::SERVING)) << server->Log();
  auto issuance = v1::Issuance::NewStub(Channel());
  auto verification = v1::Verification::NewStub(Channel());
  v1::IssueSerialsRequest req;
  req.set_gtin(t::kBrandGtin);
  req.set_count(1);
  v1::IssueSerialsResponse resp;
  req.set_request_id("durable");
  ASSERT_TRUE(issuance->IssueSerials(As(t::kIssuer).get(), req, &resp).ok());
  const std::string code = resp.units(0).digital_link();

  ASSERT_THAT(redis_->Command({"CONFIG", "SET", "appendonly", "no"}), IsOk());
  grpc::Status refused;
  for (int i = 0; i < 400; ++i) {
    req.set_request_id(absl::StrCat("volatile-", i));
    refused = issuance->IssueSerials(As(t::kIssuer).get(), req, &resp);
    if (!refused.ok()) break;
    absl::SleepFor(absl::Milliseconds(25));
  }
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(refused.error_message(), HasSubstr("not durable"));
  EXPECT_THAT(refused.error_message(), HasSubstr("appendonly"));
  // Verification still answers, and so does health.
  v1::VerifyRequest vr;
  vr.set_code(code);
  v1::VerifyResponse vresp;
  ASSERT_TRUE(verification->Verify(As(t::kVerifier).get(), vr, &vresp).ok());
  EXPECT_EQ(vresp.verdict(), v1::VERDICT_AUTHENTIC);
  EXPECT_TRUE(HealthBecomes(HealthCheckResponse::SERVING));
  EXPECT_THAT(server->Log(), HasSubstr("redis NOT durable: writes refused"));

  ASSERT_THAT(redis_->Command({"CONFIG", "SET", "appendonly", "yes"}), IsOk());
  grpc::Status again = refused;
  for (int i = 0; i < 400 && !again.ok(); ++i) {
    absl::SleepFor(absl::Milliseconds(25));
    req.set_request_id(absl::StrCat("durable-again-", i));
    again = issuance->IssueSerials(As(t::kIssuer).get(), req, &resp);
  }
  EXPECT_TRUE(again.ok()) << again.error_message();
}

// Observed: every reconnect wrote the 30 KB library to the AOF again (on a full disk that write
// killed the restarted Redis).
TEST_F(ServerBinaryTest, TheFunctionLibraryIsLoadedOnlyWhenMissing) {
  StartRedis();
  auto server = StartServer({"--redis_recheck_interval=100ms"});
  ASSERT_THAT(server, IsOk());
  ASSERT_TRUE(HealthBecomes(HealthCheckResponse::SERVING)) << server->Log();
  auto loads = [&]() -> std::string {
    absl::StatusOr<std::string> info = redis_->Command({"INFO", "commandstats"});
    if (!info.ok()) return "?";
    const size_t at = info->find("cmdstat_function|load:calls=");
    if (at == std::string::npos) return "0";
    const size_t from = at + strlen("cmdstat_function|load:calls=");
    return info->substr(from, info->find(',', from) - from);
  };
  EXPECT_EQ(loads(), "1");
  // The connection drops and comes back; rechecks run: the library is there, not reloaded.
  ASSERT_THAT(redis_->Command({"CLIENT", "KILL", "TYPE", "normal"}), IsOk());
  ASSERT_TRUE(HealthBecomes(HealthCheckResponse::SERVING));
  absl::SleepFor(absl::Milliseconds(500));  // several rechecks
  EXPECT_EQ(loads(), "1");
  // Someone flushes the functions: the next recheck loads them again.
  ASSERT_THAT(redis_->Command({"FUNCTION", "FLUSH"}), IsOk());
  std::string n = loads();
  for (int i = 0; i < 400 && n == "1"; ++i) {
    absl::SleepFor(absl::Milliseconds(25));
    n = loads();
  }
  EXPECT_EQ(n, "2");
}

// One unary call with a raw request body, as a client that does not follow the schema sends it.
grpc::Status RawUnary(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                      const std::string& body, const std::string& token) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer " + token);
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::CompletionQueue cq;
  grpc::Slice slice(body.data(), body.size());
  grpc::ByteBuffer request(&slice, 1), response;
  auto call = stub.PrepareUnaryCall(&ctx, method, request, &cq);
  call->StartCall();
  grpc::Status status;
  call->Finish(&response, &status, reinterpret_cast<void*>(1));
  void* tag;
  bool ok;
  cq.Next(&tag, &ok);
  return status;
}

// Every line of a log is one JSON object (nothing a caller sent can start a line of its own).
void ExpectOnlyJsonLines(const std::string& log) {
  for (absl::string_view line : absl::StrSplit(log, '\n', absl::SkipEmpty())) {
    EXPECT_TRUE(absl::StartsWith(line, "{") && absl::EndsWith(line, "}")) << line;
  }
}

// Observed: a string field holding invalid UTF-8 was answered UNIMPLEMENTED with no message,
// and made the libraries log 20,000 lines in 1.5 s.
TEST_F(ServerBinaryTest, AnUnparseableRequestIsInvalidArgumentAndCannotFloodTheLog) {
  StartRedis();
  auto server = StartServer();
  ASSERT_THAT(server, IsOk());
  ASSERT_TRUE(HealthBecomes(HealthCheckResponse::SERVING)) << server->Log();
  const std::string not_utf8 = {0x0a, 0x03, '\xff', '\xfe', 'x'};  // field 1 (code), 3 bytes
  const absl::Time start = absl::Now();
  grpc::Status s;
  for (int i = 0; i < 400; ++i) {
    s = RawUnary(Channel(), "/hallmark.v1.Verification/Verify", not_utf8,
                 deployment_.tokens.at(t::kVerifier));
    ASSERT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << i << " " << s.error_message();
  }
  EXPECT_THAT(s.error_message(), HasSubstr("not a valid hallmark.v1.VerifyRequest"));
  // The limiter counts per wall-clock second: a run of t seconds touches at most t + 2 of them.
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start) + 2;
  // A well-formed request on the same connection still works.
  auto verification = v1::Verification::NewStub(Channel());
  v1::VerifyRequest ok_request;
  ok_request.set_code("(01)09506000134352(21)ABC");
  v1::VerifyResponse resp;
  EXPECT_TRUE(verification->Verify(As(t::kVerifier).get(), ok_request, &resp).ok());
  server->Signal(SIGTERM);
  ASSERT_TRUE(server->Wait(absl::Seconds(30)).has_value());
  const std::string log = server->Log();
  ExpectOnlyJsonLines(log);
  size_t library_lines = 0, unparseable_lines = 0;
  for (absl::string_view line : absl::StrSplit(log, '\n', absl::SkipEmpty())) {
    if (absl::StrContains(line, "\"protobuf log\"") || absl::StrContains(line, "\"grpc log\"")) {
      ++library_lines;
    }
    if (absl::StrContains(line, "\"unparseable_request\"")) ++unparseable_lines;
  }
  EXPECT_GT(library_lines + unparseable_lines, 0u) << "the refusals are logged";
  // At most 20 lines a second per kind (protobuf's UTF-8 error, the security line).
  EXPECT_LE(library_lines, static_cast<size_t>(2 * 20 * seconds)) << log;
  EXPECT_LE(unparseable_lines, static_cast<size_t>(20 * seconds)) << log;
}

// Observed: a grpc-timeout or grpc-encoding value holding a newline made gRPC write arbitrary
// text as a line of its own in the server log (no token needed).
TEST_F(ServerBinaryTest, HeaderValuesCannotWriteLinesIntoTheLog) {
  StartRedis();
  auto server = StartServer();
  ASSERT_THAT(server, IsOk());
  ASSERT_TRUE(HealthBecomes(HealthCheckResponse::SERVING)) << server->Log();
  auto h2 = bench::RawHttp2::Connect("unix:" + Socket());
  ASSERT_THAT(h2, IsOk());
  for (const char* header : {"grpc-timeout", "grpc-encoding", "grpc-accept-encoding"}) {
    auto id = (*h2)->OpenStream(bench::RawHttp2::GrpcRequest(
        "/hallmark.v1.Verification/Verify",
        {{header, "1S\n{\"level\":\"info\",\"msg\":\"FORGED\"}\nFORGED LINE"}}));
    ASSERT_THAT(id, IsOk());
    (*h2)->SendData(*id, bench::RawHttp2::GrpcMessageHeader(0), /*end_stream=*/true,
                    absl::Seconds(1));
  }
  (*h2)->Pump(absl::Milliseconds(500));
  h2->reset();
  server->Signal(SIGTERM);
  ASSERT_TRUE(server->Wait(absl::Seconds(30)).has_value());
  const std::string log = server->Log();
  ExpectOnlyJsonLines(log);
  for (absl::string_view line : absl::StrSplit(log, '\n', absl::SkipEmpty())) {
    EXPECT_FALSE(absl::StartsWith(line, "FORGED")) << line;
    EXPECT_FALSE(absl::StrContains(line, "\"msg\":\"FORGED\"")) << line;
  }
  // gRPC did log the values: escaped, inside its own JSON line.
  EXPECT_THAT(log, HasSubstr("\\nFORGED LINE"));
}

// Observed: each failed TLS handshake wrote an unlimited, non-JSON line (300 garbage
// connections, 300 lines).
TEST_F(ServerBinaryTest, FailedTlsHandshakesCannotFloodTheLog) {
  const std::string pki = JoinPath(tmp_.path(), "pki");
  ASSERT_EQ(mkdir(pki.c_str(), 0700), 0);
  ASSERT_EQ(std::system(absl::StrCat(HALLMARK_SOURCE_DIR "/tests/common/make_test_pki.sh ", pki)
                            .c_str()),
            0);
  StartRedis();
  auto server = StartServer({"--tls_cert=" + JoinPath(pki, "server.pem"),
                             "--tls_key=" + JoinPath(pki, "server.key")});
  ASSERT_THAT(server, IsOk());
  // Garbage where a TLS ClientHello belongs, then wait for the server to hang up.
  auto junk = [this]() {
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", Socket().c_str());
    bool ok = connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0 &&
              send(fd, "GET / HTTP/1.1\r\n\r\n", 18, MSG_NOSIGNAL) == 18;
    char buf[256];
    pollfd p{fd, POLLIN, 0};
    if (ok && poll(&p, 1, 2000) > 0) ok = recv(fd, buf, sizeof(buf), 0) >= 0;
    close(fd);
    return ok;
  };
  for (int i = 0; i < 400 && !junk(); ++i) absl::SleepFor(absl::Milliseconds(25));  // listening
  const absl::Time start = absl::Now();
  int sent = 0;
  for (int i = 0; i < 300; ++i) sent += junk() ? 1 : 0;
  EXPECT_GT(sent, 0);
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start) + 2;  // wall-clock seconds
  server->Signal(SIGTERM);
  ASSERT_TRUE(server->Wait(absl::Seconds(30)).has_value());
  const std::string log = server->Log();
  ExpectOnlyJsonLines(log);
  size_t handshake_lines = 0;
  for (absl::string_view line : absl::StrSplit(log, '\n', absl::SkipEmpty())) {
    if (absl::StrContains(line, "\"grpc log\"")) ++handshake_lines;
  }
  EXPECT_GT(handshake_lines, 0u) << log;
  EXPECT_LE(handshake_lines, static_cast<size_t>(2 * 20 * seconds)) << log;
}

// The server's resident memory in KiB (VmRSS), or -1.
int64_t RssKib(pid_t pid) {
  absl::StatusOr<std::string> status = ReadFile(absl::StrCat("/proc/", pid, "/status"));
  if (!status.ok()) return -1;
  for (absl::string_view line : absl::StrSplit(*status, '\n')) {
    if (!absl::ConsumePrefix(&line, "VmRSS:")) continue;
    int64_t kib = -1;
    absl::SimpleAtoi(absl::StripAsciiWhitespace(absl::StripSuffix(
                         absl::StripAsciiWhitespace(line), "kB")), &kib);
    return kib;
  }
  return -1;
}

// Observed: 200 unauthenticated streams each sending 4 MiB of an unfinished request took the
// server from 21 MB to 835 MB. Now a connection carries at most --max_concurrent_streams calls
// and all callers' buffers share --memory_quota_mb: past it gRPC cancels streams. (gRPC checks
// the 1 MiB message limit only once a message is complete, so the quota is what bounds a
// message that never completes.)
TEST_F(ServerBinaryTest, HalfOpenStreamsCannotExhaustMemory) {
  StartRedis();
  auto server = StartServer({"--memory_quota_mb=32", "--max_concurrent_streams=20"});
  ASSERT_THAT(server, IsOk());
  ASSERT_TRUE(HealthBecomes(HealthCheckResponse::SERVING)) << server->Log();
  const std::string part(64 << 10, 'x');
  auto h2 = bench::RawHttp2::Connect("unix:" + Socket());
  ASSERT_THAT(h2, IsOk());
  // Streams over the per-connection limit are refused (or the connection is closed).
  int opened = 0;
  for (int i = 0; i < 40 && !(*h2)->closed(); ++i) {
    auto id = (*h2)->OpenStream(bench::RawHttp2::GrpcRequest("/hallmark.v1.Verification/Verify"));
    if (!id.ok()) break;
    ++opened;
    (*h2)->SendData(*id, bench::RawHttp2::GrpcMessageHeader((1 << 20) - 16), false,
                    absl::Milliseconds(10));
  }
  (*h2)->Pump(absl::Milliseconds(300));
  EXPECT_TRUE((*h2)->closed() || (*h2)->ended() > 1) << "40 streams on one connection";
  // Many connections of unfinished ~1 MiB requests: the quota cancels streams, memory stays low.
  std::vector<std::unique_ptr<bench::RawHttp2>> conns;
  int64_t sent = 0;
  for (int c = 0; c < 10; ++c) {
    auto conn = bench::RawHttp2::Connect("unix:" + Socket());
    if (!conn.ok()) continue;
    for (int s = 0; s < 20; ++s) {
      auto id = (*conn)->OpenStream(
          bench::RawHttp2::GrpcRequest("/hallmark.v1.Verification/Verify"));
      if (!id.ok()) break;
      sent += static_cast<int64_t>((*conn)->SendData(
          *id, bench::RawHttp2::GrpcMessageHeader((1 << 20) - 16), false, absl::Milliseconds(10)));
      for (int k = 0; k < 15; ++k) {
        sent += static_cast<int64_t>((*conn)->SendData(*id, part, false, absl::Milliseconds(10)));
      }
    }
    conns.push_back(*std::move(conn));
  }
  int resets = 0, closed = 0;
  for (auto& c : conns) {
    c->Pump(absl::Milliseconds(50));
    resets += c->ended();
    closed += c->closed() ? 1 : 0;
  }
  const int64_t rss = RssKib(server->pid());
  EXPECT_GT(resets + closed, 0) << "no stream was cancelled; sent " << sent << " bytes";
  // ~200 MB were offered; the server holds a fraction (its own baseline is ~20 MB).
  EXPECT_LT(rss, 128 * 1024) << "RSS " << rss << " KiB after " << sent << " bytes offered";
  // And the server still answers a well-behaved caller.
  auto verification = v1::Verification::NewStub(Channel());
  v1::VerifyRequest ok_request;
  ok_request.set_code("(01)09506000134352(21)ABC");
  v1::VerifyResponse resp;
  EXPECT_TRUE(verification->Verify(As(t::kVerifier).get(), ok_request, &resp).ok());
}

// The web front door of the real binary, replaying what a hostile internet caller tries: a
// forged code asking for the brand's redirect, markup and header injection through the URL,
// methods and sizes it should not accept, and a flood.
TEST_F(ServerBinaryTest, TheWebFrontDoorResistsHostileCallers) {
  StartRedis();
  auto server = StartServer({"--http_listen=127.0.0.1:0", "--http_client_rate=2",
                             "--http_public_base=https://id.brand.example"});
  ASSERT_THAT(server, IsOk());
  ASSERT_TRUE(HealthBecomes(HealthCheckResponse::SERVING));
  const std::string port = HttpPort(*server);
  ASSERT_FALSE(port.empty()) << server->Log();
  const v1::IssuedUnit unit = IssueOne("web-attack");
  ASSERT_FALSE(unit.digsig().empty());
  v1::SetLinksRequest links;
  links.mutable_entry()->mutable_scope()->set_gtin(t::kBrandGtin);
  links.mutable_entry()->mutable_presentation()->set_product_name("Real Product");
  v1::Link* pip = links.mutable_entry()->add_links();
  pip->set_link_type("gs1:pip");
  pip->set_href("https://brand.example/real");
  v1::LinkEntry set;
  ASSERT_TRUE(v1::Links::NewStub(Channel())->SetLinks(As(t::kIssuer).get(), links, &set).ok());
  const std::string& dl = unit.digital_link();
  std::string target = dl.substr(dl.find('/', dl.find("//") + 2));
  target.back() = target.back() == 'A' ? 'B' : 'A';  // a forged signature
  auto curl = [&](const std::string& path, const std::string& args = "") {
    return t::RunShell(absl::StrCat("curl -s -S -i --max-time 10 ", args, " 'http://127.0.0.1:",
                                    port, path, "' 2>&1"));
  };
  // A forged code gets no brand redirect and no brand name.
  const std::string forged = curl(target + "&linkType=gs1:pip");
  EXPECT_THAT(forged, HasSubstr("HTTP/1.1 200"));
  EXPECT_THAT(forged, HasSubstr("Not genuine"));
  EXPECT_THAT(forged, Not(HasSubstr("brand.example/real")));
  EXPECT_THAT(forged, Not(HasSubstr("Real Product")));
  // Markup in the URL is never markup in the answer; CR LF never a header.
  EXPECT_THAT(curl("/01/09506000134352/10/%3Cscript%3E/21/%3Cb%3E"), Not(HasSubstr("<script")));
  EXPECT_THAT(curl(target + "&linkType=gs1:pip%0d%0aSet-Cookie:%20x=1"),
              Not(HasSubstr("Set-Cookie")));
  EXPECT_THAT(curl("/01/09506000134352", "-X DELETE"), HasSubstr("HTTP/1.1 405"));
  EXPECT_THAT(curl("/01/" + std::string(4000, '9')), HasSubstr("HTTP/1.1 414"));
  // A flood from one address: refused after its burst, with a hint when to come back.
  int refused = 0;
  for (int i = 0; i < 12; ++i) {
    if (absl::StrContains(curl(target), "HTTP/1.1 429")) ++refused;
  }
  EXPECT_GE(refused, 4);
  EXPECT_THAT(curl(target), HasSubstr("Retry-After"));
}

// Regulated goods against the binary: a forged expiry on a genuine code is MISMATCH, and the
// GS1 verification message refuses strangers and consumer apps, reflects nothing it was sent
// but a validated corrUUID, and cannot be talked into "verified" by quotes in a lot.
TEST_F(ServerBinaryTest, DatedCodesAndTheVerificationMessageResistHostileCallers) {
  StartRedis();
  auto server = StartServer({"--http_listen=127.0.0.1:0", "--responder_gln=0950600013439"});
  ASSERT_THAT(server, IsOk());
  ASSERT_TRUE(HealthBecomes(HealthCheckResponse::SERVING));
  const std::string port = HttpPort(*server);
  ASSERT_FALSE(port.empty()) << server->Log();
  const v1::IssuedUnit unit = IssueOne("dated-attack", "B1", "281130");
  ASSERT_FALSE(unit.digsig().empty());
  const v1::IssuedUnit& u = unit;
  // A pack relabelled with a later expiry.
  v1::VerifyRequest vr;
  vr.set_code(absl::StrReplaceAll(u.element_string(), {{"(17)281130", "(17)301130"}}));
  v1::VerifyResponse verdict;
  ASSERT_TRUE(v1::Verification::NewStub(Channel())->Verify(As(t::kVerifier).get(), vr, &verdict).ok());
  EXPECT_EQ(verdict.verdict(), v1::VERDICT_MISMATCH);
  EXPECT_THAT(verdict.reasons(), ::testing::ElementsAre("expiry_date_mismatch"));
  EXPECT_THAT(server->Log(), HasSubstr("\"event\":\"label_altered\""));
  // The verification message takes bearer tokens: not with --require_client_cert.
  const std::string pki = JoinPath(tmp_.path(), "pki");
  ASSERT_EQ(mkdir(pki.c_str(), 0700), 0);
  ASSERT_EQ(std::system(absl::StrCat(HALLMARK_SOURCE_DIR "/tests/common/make_test_pki.sh ", pki)
                            .c_str()),
            0);
  auto mtls = t::Subprocess::Start(
      {HALLMARK_BINARY_DIR "/server/hallmark-server", "--listen=unix:" + Socket() + "2",
       "--redis=" + redis_->address(), "--keys_dir=" + deployment_.keys_dir,
       "--principals=" + deployment_.principals, "--http_listen=127.0.0.1:0",
       "--responder_gln=0950600013439", "--tls_cert=" + JoinPath(pki, "server.pem"),
       "--tls_key=" + JoinPath(pki, "server.key"), "--client_ca=" + JoinPath(pki, "ca.pem"),
       "--require_client_cert"},
      JoinPath(tmp_.path(), "mtls.log"));
  ASSERT_THAT(mtls, IsOk());
  const std::optional<int> mtls_exit = mtls->Wait(absl::Seconds(30));
  EXPECT_NE(mtls_exit, 0);
  EXPECT_THAT(mtls->Log(), HasSubstr("cannot be served with --require_client_cert"))
      << (mtls_exit ? *mtls_exit : -1);
  // A start that fails after Redis is connected (here: the front door's port is taken) exits
  // with its reason, not a crash.
  auto taken = t::Subprocess::Start(
      {HALLMARK_BINARY_DIR "/server/hallmark-server", "--listen=unix:" + Socket() + "3",
       "--redis=" + redis_->address(), "--keys_dir=" + deployment_.keys_dir,
       "--principals=" + deployment_.principals, "--http_listen=127.0.0.1:" + port},
      JoinPath(tmp_.path(), "taken.log"));
  ASSERT_THAT(taken, IsOk());
  EXPECT_EQ(taken->Wait(absl::Seconds(30)), 1) << taken->Log();
  EXPECT_THAT(taken->Log(), HasSubstr("cannot start"));
  auto curl = [&](const std::string& path, const std::string& who) {
    const std::string auth =
        who.empty() ? "" : absl::StrCat("-H 'Authorization: Bearer ", deployment_.tokens.at(who), "' ");
    return t::RunShell(absl::StrCat("curl -s -S -i --max-time 10 ", auth, "'http://127.0.0.1:",
                                    port, path, "' 2>&1"));
  };
  const std::string pi = absl::StrCat("/gtin/", t::kBrandGtin, "/lot/B1/ser/", u.unit().serial(),
                                      "?exp=281130&linkType=verificationService");
  EXPECT_THAT(curl(pi, ""), HasSubstr("HTTP/1.1 401"));
  EXPECT_THAT(curl(pi, t::kVerifier), HasSubstr("HTTP/1.1 403"));
  EXPECT_THAT(curl(pi, t::kRetailer), HasSubstr("{\"verified\":true}"));
  // Markup in a parameter: refused, not reflected.
  const std::string script = curl(pi + "&corrUUID=%3Cscript%3E", t::kRetailer);
  EXPECT_THAT(script, HasSubstr("HTTP/1.1 400"));
  EXPECT_THAT(script, Not(HasSubstr("<script")));
  // Quotes are GS1 set 82, so a valid lot: matched, never spliced into the JSON.
  const std::string quoted =
      curl(absl::StrCat("/gtin/", t::kBrandGtin, "/lot/B1%22,%22verified%22:true/ser/",
                        u.unit().serial(), "?exp=281130&linkType=verificationService"),
           t::kRetailer);
  EXPECT_THAT(quoted, HasSubstr("\"verified\":false,\"verificationFailureReason\":"
                                "\"No_match_GTIN_Serial_Lot\""));
  EXPECT_THAT(quoted, Not(HasSubstr("true")));
}

}  // namespace
}  // namespace hallmark
