// Client configuration: flags, then environment, then config file, then defaults.
#include "client/client_options.h"

#include <map>

#include "common/files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/status_matchers.h"
#include "tests/common/temp_dir.h"

namespace hallmark {
namespace {

using ::hallmark::testing::IsOk;
using ::hallmark::testing::StatusIs;
using ::testing::HasSubstr;

EnvLookup Env(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(ClientOptionsTest, FlagsBeatEnvironmentBeatConfigFileBeatDefaults) {
  testing::TempDir tmp;
  const std::string conf = JoinPath(tmp.path(), "client.conf");
  ASSERT_THAT(WriteFileAtomically(conf, "# test\naddr = file:1\ntoken = file-token\n"
                                        "timeout = 7s\nca = /file/ca.pem\n"),
              IsOk());
  ClientSettings flags;
  flags.config = conf;
  flags.address = "flag:1";
  auto o = ResolveClientOptions(flags, Env({{"HALLMARK_TOKEN", "env-token"}}));
  ASSERT_THAT(o, IsOk());
  EXPECT_EQ(o->address, "flag:1");
  EXPECT_EQ(o->token, "env-token");
  EXPECT_EQ(o->timeout, absl::Seconds(7));
  EXPECT_EQ(o->ca_file, "/file/ca.pem");

  auto defaults = ResolveClientOptions({}, Env({}));
  ASSERT_THAT(defaults, IsOk());
  EXPECT_EQ(defaults->address, "127.0.0.1:50051");
  EXPECT_EQ(defaults->timeout, absl::Seconds(30));

  // HALLMARK_CONFIG names the file when there is no flag; ~/.config/hallmark/client.conf last.
  auto via_env = ResolveClientOptions({}, Env({{"HALLMARK_CONFIG", conf}}));
  EXPECT_EQ(via_env->address, "file:1");
  ASSERT_EQ(::system(("mkdir -p " + tmp.path() + "/.config/hallmark && cp " + conf + " " +
                      tmp.path() + "/.config/hallmark/client.conf").c_str()),
            0);
  auto via_home = ResolveClientOptions({}, Env({{"HOME", tmp.path()}}));
  EXPECT_EQ(via_home->token, "file-token");
}

TEST(ClientOptionsTest, BadValuesAreInvalidArgument) {
  ClientSettings flags;
  flags.timeout = "soon";
  EXPECT_THAT(ResolveClientOptions(flags, Env({})),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("timeout")));
  ClientSettings half;
  half.cert_file = "/c.pem";
  EXPECT_THAT(ResolveClientOptions(half, Env({})),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cert and key")));
  EXPECT_THAT(ParseClientConfig("colour = blue"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 1")));
  EXPECT_THAT(ResolveClientOptions({}, Env({{"HALLMARK_INSECURE", "maybe"}})),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("insecure")));
}

TEST(ClientOptionsTest, LoopbackDetection) {
  for (const char* a : {"127.0.0.1:50051", "localhost:1", "unix:/tmp/s", "[::1]:5", "dns:///localhost:1"}) {
    EXPECT_TRUE(IsLoopbackAddress(a)) << a;
  }
  for (const char* a : {"10.0.0.1:50051", "hallmark.example.com:443", "[2001:db8::1]:1",
                        "localhost.evil.example:50051", "127.0.0.1.evil.example:443",
                        "dns:///localhostx:1", "127.0.0:1", "[::1.evil]:1"}) {
    EXPECT_FALSE(IsLoopbackAddress(a)) << a;
  }
}

}  // namespace
}  // namespace hallmark
