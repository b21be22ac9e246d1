// hallmarkctl as a user runs it: real binary, real keys directory in a temp dir.
#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/status_matchers.h"
#include "tests/common/temp_dir.h"

namespace hallmark {
namespace {

using ::hallmark::testing::IsOk;
using ::testing::HasSubstr;
using ::testing::Not;

struct CtlRun {
  int exit_code;
  std::string output;  // stdout and stderr
};

CtlRun Ctl(const std::string& args) {
  const std::string cmd =
      absl::StrCat(HALLMARK_BINARY_DIR "/client/hallmarkctl ", args, " 2>&1");
  FILE* pipe = ::popen(cmd.c_str(), "r");
  CtlRun run{-1, ""};
  if (pipe == nullptr) return run;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) run.output.append(buf.data(), n);
  const int status = ::pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

std::string Field(const std::string& output, const std::string& name) {
  const size_t at = output.find(name + ":");
  if (at == std::string::npos) return "";
  const size_t begin = output.find_first_not_of(' ', at + name.size() + 1);
  return output.substr(begin, output.find('\n', begin) - begin);
}

class HallmarkctlTest : public ::testing::Test {
 protected:
  std::string Keys() const { return JoinPath(tmp_.path(), "keys"); }
  testing::TempDir tmp_;
};

TEST_F(HallmarkctlTest, RegistrationKeyIsCreatedOnceWithTheKeysAndKeptPrivate) {
  ASSERT_EQ(Ctl("keys generate --keys_dir " + Keys()).exit_code, 0);
  const std::string path = JoinPath(Keys(), "registration.key");
  absl::StatusOr<std::string> first = ReadFile(path);
  ASSERT_THAT(first, IsOk());
  EXPECT_EQ(first->size(), 65u) << "64 hex digits and a newline";
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // A second key, and the explicit command, keep the same registration key: replacing it would
  // make every stored registration unverifiable.
  ASSERT_EQ(Ctl("keys generate --keys_dir " + Keys()).exit_code, 0);
  CtlRun again = Ctl("keys registration-key --keys_dir " + Keys());
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_EQ(*ReadFile(path), *first);
  // For a directory created before registrations existed, the command creates one.
  const std::string old_dir = JoinPath(tmp_.path(), "old-keys");
  ASSERT_EQ(Ctl("keys registration-key --keys_dir " + old_dir).exit_code, 0);
  EXPECT_TRUE(FileExists(JoinPath(old_dir, "registration.key")));
}

TEST_F(HallmarkctlTest, GenerateSignInspectRevoke) {
  CtlRun gen = Ctl("keys generate --keys_dir " + Keys());
  ASSERT_EQ(gen.exit_code, 0) << gen.output;
  EXPECT_THAT(gen.output, Not(HasSubstr("PRIVATE KEY")));

  CtlRun sign = Ctl("code sign --keys_dir " + Keys() +
                 " --gtin 9506000134352 --serial SN1 --lot L1 --host id.brand.example");
  ASSERT_EQ(sign.exit_code, 0) << sign.output;
  const std::string link = Field(sign.output, "digital_link");
  EXPECT_THAT(link, HasSubstr("https://id.brand.example/01/09506000134352/10/L1/21/SN1?8030="));

  CtlRun ok = Ctl("code inspect '" + link + "' --keys_dir " + Keys());
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_THAT(ok.output, HasSubstr("signature:       valid"));

  const std::string element = Field(sign.output, "element_string");
  CtlRun tampered = Ctl("code inspect '" + absl::StrReplaceAll(element, {{"SN1", "SN2"}}) +
                     "' --keys_dir " + Keys());
  EXPECT_EQ(tampered.exit_code, 3) << tampered.output;
  EXPECT_THAT(tampered.output, HasSubstr("signature_invalid"));

  const std::string key_id = Field(sign.output, "key_id").substr(0, 4);
  ASSERT_EQ(Ctl("keys revoke --keys_dir " + Keys() + " " + key_id).exit_code, 0);
  CtlRun revoked = Ctl("code inspect '" + link + "' --keys_dir " + Keys());
  EXPECT_EQ(revoked.exit_code, 3);
  EXPECT_THAT(revoked.output, HasSubstr("key_revoked"));
  CtlRun list = Ctl("keys list --keys_dir " + Keys());
  EXPECT_THAT(list.output, HasSubstr("REVOKED"));
  CtlRun no_key = Ctl("code sign --keys_dir " + Keys() + " --gtin 9506000134352 --serial S");
  EXPECT_EQ(no_key.exit_code, 2);
  EXPECT_THAT(no_key.output, HasSubstr("keys generate"));
}

TEST_F(HallmarkctlTest, BadInputIsOneLineAndExitTwo) {
  ASSERT_EQ(Ctl("keys generate --keys_dir " + Keys()).exit_code, 0);
  for (const std::string& args :
       {"code sign --keys_dir " + Keys() + " --gtin 9506000134353 --serial S",
        "code sign --keys_dir " + Keys() + " --gtin 9506000134352 --serial 'A B'",
        std::string("code inspect 'not a code'"), std::string("keys generate --algorithm RSA"),
        std::string("keys revoke --keys_dir ") + Keys() + " XYZ", std::string("code sign"),
        std::string("")}) {
    CtlRun run = Ctl(args);
    EXPECT_EQ(run.exit_code, 2) << args << "\n" << run.output;
    EXPECT_THAT(run.output, HasSubstr("hallmarkctl: ")) << args;
    EXPECT_EQ(std::count(run.output.begin(), run.output.end(), '\n'), 1) << run.output;
  }
}

TEST_F(HallmarkctlTest, HelpOnEverySubcommand) {
  for (const char* cmd : {"", "keys", "keys generate", "keys list", "keys export", "keys retire",
                          "keys revoke", "code", "code sign", "code inspect"}) {
    CtlRun run = Ctl(absl::StrCat(cmd, " --help"));
    EXPECT_EQ(run.exit_code, 0) << cmd;
    EXPECT_THAT(run.output, HasSubstr("Usage")) << cmd;
  }
}

}  // namespace
}  // namespace hallmark
