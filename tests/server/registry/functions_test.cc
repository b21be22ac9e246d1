// The Redis Functions, as C++ declares them (server/registry/functions.h) and as the library
// Redis loads registers them (server/registry/lua/): one test per declared function checks that the
// library has it with the same flags (no-writes exactly for the read-only ones); the library
// has no function C++ does not declare; every error code the Lua raises is declared, and
// each maps to its status with the detail intact. Calls that break their declaration are
// refused before they are sent.
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/redis/async_redis_client.h"
#include "server/registry/functions.h"
#include "server/registry/redis_registry.h"
#include "server/registry/reply_util.h"
#include "tests/common/await.h"
#include "tests/common/redis_server.h"
#include "tests/common/status_matchers.h"
#include "tests/common/temp_dir.h"

namespace hallmark::registry {
namespace {

using ::hallmark::testing::IsOk;
using ::hallmark::testing::StatusIs;
using redis::RedisReply;

// The functions the loaded library registers: name -> has the no-writes flag.
class LoadedLibrary {
 public:
  static LoadedLibrary& Get() {
    static LoadedLibrary* library = new LoadedLibrary();
    return *library;
  }
  const std::map<std::string, bool>& functions() const { return functions_; }
  const absl::Status& status() const { return status_; }

 private:
  LoadedLibrary() {
    auto redis = testing::RedisServer::Start(tmp_.path());
    if (!redis.ok()) {
      status_ = redis.status();
      return;
    }
    redis_ = *std::move(redis);
    redis::AsyncRedisClient::Options o;
    o.address = redis_->address();
    UseRegistryInit(&o, /*allow_volatile=*/false);  // loads the library, as the server does
    auto client = redis::AsyncRedisClient::Start(std::move(o));
    if (!client.ok() || !(status_ = (*client)->WaitUntilReady(absl::Seconds(10))).ok()) {
      if (!client.ok()) status_ = client.status();
      return;
    }
    absl::StatusOr<RedisReply> list = testing::Await<RedisReply>([&](auto done) {
      (*client)->Execute({"FUNCTION", "LIST", "LIBRARYNAME", "hallmark"},
                         absl::Now() + absl::Seconds(5), std::move(done));
    });
    (*client)->Stop();
    if (!list.ok()) {
      status_ = list.status();
      return;
    }
    // [[library_name, hallmark, engine, LUA, functions, [[name, f, description, d, flags,
    //   [..]], ...]]]
    for (const RedisReply& library : list->elements) {
      for (size_t i = 0; i + 1 < library.elements.size(); i += 2) {
        if (library.elements[i].str != "functions") continue;
        for (const RedisReply& f : library.elements[i + 1].elements) {
          std::string name;
          bool no_writes = false;
          for (size_t k = 0; k + 1 < f.elements.size(); k += 2) {
            if (f.elements[k].str == "name") name = f.elements[k + 1].str;
            if (f.elements[k].str == "flags") {
              for (const RedisReply& flag : f.elements[k + 1].elements) {
                no_writes = no_writes || flag.str == "no-writes";
              }
            }
          }
          functions_[name] = no_writes;
        }
      }
    }
  }

  testing::TempDir tmp_;
  std::unique_ptr<testing::RedisServer> redis_;
  std::map<std::string, bool> functions_;
  absl::Status status_;
};

class DeclaredFunctionTest : public ::testing::TestWithParam<FunctionDecl> {};

TEST_P(DeclaredFunctionTest, TheLoadedLibraryRegistersItWithTheSameFlags) {
  const LoadedLibrary& library = LoadedLibrary::Get();
  ASSERT_THAT(library.status(), IsOk());
  const FunctionDecl& f = GetParam();
  auto it = library.functions().find(std::string(f.name));
  ASSERT_NE(it, library.functions().end()) << f.name << " is declared but not in the Lua library";
  EXPECT_EQ(it->second, f.writes == Writes::kReadOnly)
      << f.name << ": the no-writes flag and the C++ declaration disagree";
}

INSTANTIATE_TEST_SUITE_P(Functions, DeclaredFunctionTest, ::testing::ValuesIn(Functions()),
                         [](const ::testing::TestParamInfo<FunctionDecl>& info) {
                           return std::string(info.param.name);
                         });

TEST(FunctionsTest, TheLibraryHasNoUndeclaredFunction) {
  const LoadedLibrary& library = LoadedLibrary::Get();
  ASSERT_THAT(library.status(), IsOk());
  EXPECT_EQ(library.functions().size(), Functions().size());
  for (const auto& [name, no_writes] : library.functions()) {
    EXPECT_NE(FindFunction(name), nullptr) << name << " is in the Lua library but not declared";
  }
}

TEST(FunctionsTest, EveryErrorTheLuaRaisesIsDeclaredAndKeepsItsDetail) {
  std::stringstream lua;
  for (const auto& file :
       std::filesystem::directory_iterator(std::string(HALLMARK_SOURCE_DIR) + "/server/registry/lua")) {
    std::ifstream in(file.path());
    lua << in.rdbuf();
  }
  const std::string text = lua.str();
  ASSERT_FALSE(text.empty());
  std::set<std::string> raised;
  const std::regex code("HM_[A-Z_]+");
  for (auto m = std::sregex_iterator(text.begin(), text.end(), code); m != std::sregex_iterator();
       ++m) {
    raised.insert(m->str());
  }
  std::set<std::string> declared;
  for (const FunctionError& e : FunctionErrors()) {
    declared.insert(std::string(e.code));
    EXPECT_TRUE(raised.count(std::string(e.code))) << e.code << " is declared, never raised";
    const absl::Status s = RedisErrorToStatus(absl::StrCat(e.code, " the detail"));
    EXPECT_EQ(s.code(), e.status) << e.code;
    EXPECT_EQ(s.message(), absl::StrCat(e.prefix, "the detail")) << e.code;
  }
  for (const std::string& c : raised) {
    EXPECT_TRUE(declared.count(c)) << c << " is raised by the Lua library but not declared";
  }
}

// The names of a Lua list `local NAME = {'a', 'b', ...}` in the function library.
std::vector<std::string> LuaList(const std::string& library, const std::string& name) {
  std::smatch list;
  if (!std::regex_search(library, list, std::regex("local " + name + " = \\{([^}]*)\\}"))) {
    ADD_FAILURE() << "no list " << name << " in the Lua";
    return {};
  }
  std::vector<std::string> names;
  const std::string body = list[1].str();
  const std::regex quoted("'([a-z_]+)'");
  for (auto m = std::sregex_iterator(body.begin(), body.end(), quoted);
       m != std::sregex_iterator(); ++m) {
    names.push_back((*m)[1].str());
  }
  return names;
}

template <size_t N>
std::vector<std::string> CppList(const absl::string_view (&fields)[N]) {
  return std::vector<std::string>(std::begin(fields), std::end(fields));
}

// Every field list the C++ and the Lua share (functions.h): the same names in the same order.
TEST(FunctionsTest, TheFieldListsAreTheSameOnBothSides) {
  const std::string library(FunctionLibrary());
  EXPECT_EQ(LuaList(library, "BATCH_FIELDS"), CppList(kBatchFields));
  EXPECT_EQ(LuaList(library, "LOOKUP_REPLY"), CppList(kLookupReply));
  EXPECT_EQ(LuaList(library, "VERIFY_REPLY"), CppList(kVerifyReply));
  EXPECT_EQ(LuaList(library, "LIFE_READ_REPLY"), CppList(kLifeReadReply));
  static_assert(BatchField("cs") == 9, "the counter start is the tenth field");
  static_assert(FieldIndex(kVerifyReply, "registered") == 0, "{0} alone: not registered");
  static_assert(FieldIndex(kLifeReadReply, "registered") == 0, "{0} alone: not registered");
}

// A record reply is read by name, and one of another shape is refused, not misread.
TEST(FunctionsTest, ARecordReplyIsReadByNameAndAWrongShapeIsRefused) {
  redis::RedisReply reply;
  reply.type = redis::RedisReply::Type::kArray;
  for (absl::string_view name : kLookupReply) {
    redis::RedisReply e;
    e.type = redis::RedisReply::Type::kString;
    e.str = absl::StrCat("value of ", name);
    reply.elements.push_back(e);
  }
  auto record = internal::ReadRecord(reply, kLookupReply, "hm_lookup");
  ASSERT_THAT(record, IsOk());
  EXPECT_EQ((*record)["sku"].str, "value of sku");
  EXPECT_EQ((*record)["at"].str, "value of at");
  EXPECT_THROW((void)(*record)["no_such_field"], std::invalid_argument);
  reply.elements.pop_back();
  EXPECT_THAT(internal::ReadRecord(reply, kLookupReply, "hm_lookup"),
              StatusIs(absl::StatusCode::kInternal, ::testing::HasSubstr("7 fields, not 8")));
}

TEST(FunctionsTest, ACallThatBreaksItsDeclarationIsRefusedBeforeItIsSent) {
  EXPECT_THAT(internal::FollowsDeclaration({"FCALL_RO", "hm_lookup", "1", "k", "s"}), IsOk());
  EXPECT_THAT(internal::FollowsDeclaration({"FCALL", "hm_verify", "1", "k"}), IsOk());
  EXPECT_THAT(internal::FollowsDeclaration({"FCALL", "hm_lookup", "1", "k", "s"}),
              StatusIs(absl::StatusCode::kInternal, ::testing::HasSubstr("declared otherwise")));
  EXPECT_THAT(internal::FollowsDeclaration({"FCALL_RO", "hm_register", "1", "k"}),
              StatusIs(absl::StatusCode::kInternal, ::testing::HasSubstr("declared otherwise")));
  EXPECT_THAT(internal::FollowsDeclaration({"FCALL", "hm_not_declared", "1", "k"}),
              StatusIs(absl::StatusCode::kInternal, ::testing::HasSubstr("undeclared")));
  // Only the durable writes wait for durability (and replicas); bookkeeping does not.
  EXPECT_TRUE(internal::PromisesDurability({"FCALL", "hm_report_stolen", "1", "k"}));
  EXPECT_FALSE(internal::PromisesDurability({"FCALL", "hm_verify", "1", "k"}));
  EXPECT_FALSE(internal::PromisesDurability({"FCALL_RO", "hm_lookup", "1", "k"}));
}

}  // namespace
}  // namespace hallmark::registry
