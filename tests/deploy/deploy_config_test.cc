// The deployment files (container, compose, Kubernetes, systemd) pass only flags and
// HALLMARK_* variables that the binaries really have: the container engine is not available
// here, so this is what keeps them honest.
#include <array>
#include <cstdio>
#include <regex>
#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "common/files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hallmark {
namespace {

std::string Run(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  ::pclose(p);
  return out;
}

std::set<std::string> Matches(const std::string& text, const std::regex& re) {
  std::set<std::string> out;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator();
       ++it) {
    out.insert((*it)[1].str());
  }
  return out;
}

std::set<std::string> ServerFlags() {
  return Matches(Run(HALLMARK_BINARY_DIR "/server/hallmark-server --helpfull"),
                 std::regex("--([a-z][a-z0-9_]*) \\("));
}

std::set<std::string> CtlFlags() {
  std::set<std::string> flags;
  for (const char* cmd : {"keys generate", "principals add", "issue", "verify"}) {
    const std::string help =
        Run(std::string(HALLMARK_BINARY_DIR "/client/hallmarkctl ") + cmd + " --help");
    const std::set<std::string> f = Matches(help, std::regex("--([a-z][a-z0-9_-]*)"));
    flags.insert(f.begin(), f.end());
  }
  return flags;
}

std::string Deploy(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(HALLMARK_SOURCE_DIR "/deploy/" + path);
  EXPECT_TRUE(text.ok()) << path;
  return text.ok() ? *text : "";
}

TEST(DeployConfigTest, EveryFlagPassedExists) {
  const std::set<std::string> server = ServerFlags();
  ASSERT_TRUE(server.count("listen")) << "could not read hallmark-server --helpfull";
  std::set<std::string> known = CtlFlags();
  known.insert(server.begin(), server.end());
  for (const char* file : {"compose.yaml", "compose-cluster.yaml", "k8s/hallmark.yaml",
                           "systemd/hallmark-server.service"}) {
    for (absl::string_view line : absl::StrSplit(Deploy(file), '\n')) {
      if (absl::StrContains(line, "redis-server") || absl::StrContains(line, "redis-cli") ||
          absl::StartsWith(absl::StripLeadingAsciiWhitespace(line), "#")) {
        continue;
      }
      for (const std::string& flag :
           Matches(std::string(line), std::regex("--([a-z][a-z0-9_-]*)"))) {
        EXPECT_TRUE(known.count(flag)) << file << " passes --" << flag << ": " << line;
      }
    }
  }
}

TEST(DeployConfigTest, EveryHallmarkVariableIsAServerFlag) {
  const std::set<std::string> server = ServerFlags();
  // The client library's own variables (client/client_options.h).
  const std::set<std::string> client = {"ADDR", "TOKEN", "CA", "CERT", "KEY", "TIMEOUT", "CONFIG",
                                        "INSECURE"};
  int seen = 0;
  for (const char* file : {"Dockerfile", "compose.yaml", "compose-cluster.yaml", "k8s/hallmark.yaml",
                           "k8s/redis-cluster.yaml", "systemd/hallmark-server.env",
                           "systemd/hallmark-server.service"}) {
    for (const std::string& var : Matches(Deploy(file), std::regex("(?:^|[^A-Za-z_])HALLMARK_([A-Z][A-Z0-9_]*)"))) {
      ++seen;
      EXPECT_TRUE(server.count(absl::AsciiStrToLower(var)) || client.count(var))
          << file << " sets HALLMARK_" << var << ", which no flag reads";
    }
  }
  EXPECT_GT(seen, 10);
}

TEST(DeployConfigTest, ContainerRunsAsNonRootOnBookwormSlim) {
  const std::string dockerfile = Deploy("Dockerfile");
  EXPECT_THAT(dockerfile, ::testing::HasSubstr("FROM debian:bookworm-slim"));
  EXPECT_THAT(dockerfile, ::testing::HasSubstr("USER 10001"));
  EXPECT_THAT(Deploy("k8s/hallmark.yaml"), ::testing::HasSubstr("grpc: {port: 50051}"));
  for (const char* kind : {"Deployment", "Service", "ConfigMap", "Secret", "PodDisruptionBudget",
                           "HorizontalPodAutoscaler"}) {
    EXPECT_THAT(Deploy("k8s/hallmark.yaml"), ::testing::HasSubstr(std::string("kind: ") + kind));
  }
}

// The web front door is exposed everywhere the service is deployed: compose publishes it,
// Kubernetes routes the resolver domain to it through a TLS Ingress, systemd serves HTTPS.
TEST(DeployConfigTest, EveryDeploymentExposesTheWebFrontDoor) {
  EXPECT_THAT(Deploy("Dockerfile"), ::testing::HasSubstr("EXPOSE 50051 8080 9090"));
  EXPECT_THAT(Deploy("compose.yaml"), ::testing::HasSubstr("HALLMARK_HTTP_LISTEN: 0.0.0.0:8080"));
  EXPECT_THAT(Deploy("compose.yaml"), ::testing::HasSubstr("\"8080:8080\""));
  const std::string k8s = Deploy("k8s/hallmark.yaml");
  EXPECT_THAT(k8s, ::testing::HasSubstr("kind: Ingress"));
  EXPECT_THAT(k8s, ::testing::HasSubstr("secretName: hallmark-web-tls"));
  EXPECT_THAT(k8s, ::testing::HasSubstr("service: {name: hallmark, port: {name: http}}"));
  EXPECT_THAT(k8s, ::testing::HasSubstr("HALLMARK_TRUSTED_PROXIES"));
  EXPECT_THAT(Deploy("systemd/hallmark-server.env"), ::testing::HasSubstr("HALLMARK_HTTP_TLS=true"));
}

TEST(DeployConfigTest, ClusterExamplesUseTheShippedRedisSettings) {
  for (const char* file : {"compose-cluster.yaml", "k8s/redis-cluster.yaml"}) {
    const std::string text = Deploy(file);
    EXPECT_THAT(text, ::testing::HasSubstr("redis.conf")) << file;
    EXPECT_THAT(text, ::testing::HasSubstr("redis-cluster.conf")) << file;
    EXPECT_THAT(text, ::testing::HasSubstr("--cluster-replicas 1")) << file;
  }
  EXPECT_THAT(Deploy("compose-cluster.yaml"), ::testing::HasSubstr("HALLMARK_REDIS: cluster://"));
  EXPECT_THAT(Deploy("k8s/redis-cluster.yaml"), ::testing::HasSubstr("HALLMARK_REDIS: \"cluster://"));
  // The cluster settings are valid for redis-server: tests/common/redis_cluster.cc starts every
  // node of the integration tests with them.
  EXPECT_THAT(Deploy("redis/redis-cluster.conf"), ::testing::HasSubstr("cluster-enabled yes"));
  // A master cut off from its replicas stops taking writes (docs/scaling.md).
  EXPECT_THAT(Deploy("redis/redis-cluster.conf"), ::testing::HasSubstr("\nmin-replicas-to-write 1\n"));
}

}  // namespace
}  // namespace hallmark
