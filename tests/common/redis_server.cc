#include "tests/common/redis_server.h"

#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/files.h"

namespace hallmark::testing {
namespace {

std::string ReplyText(const redisReply* r) {
  switch (r->type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
      return std::string(r->str, r->len);
    case REDIS_REPLY_INTEGER:
      return absl::StrCat(r->integer);
    case REDIS_REPLY_ARRAY: {
      std::string out;
      for (size_t i = 0; i < r->elements; ++i) {
        if (i > 0) out += "\n";
        out += ReplyText(r->element[i]);
      }
      return out;
    }
    default:
      return "";
  }
}

}  // namespace

// A TCP port on 127.0.0.1 that nothing listens on right now.
int FreeLoopbackPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    socklen_t len = sizeof(addr);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

RedisServer::RedisServer(std::string dir, std::string config)
    : dir_(std::move(dir)), config_(std::move(config)), socket_(JoinPath(dir_, "redis.sock")) {}

absl::StatusOr<std::unique_ptr<RedisServer>> RedisServer::Start(const std::string& dir,
                                                                const std::string& extra) {
  const std::string config = JoinPath(dir, "redis.conf");
  const std::string text = absl::StrCat(
      "include ", HALLMARK_SOURCE_DIR, "/deploy/redis/redis.conf\n", "port 0\n", "bind 127.0.0.1\n",
      "unixsocket ", JoinPath(dir, "redis.sock"), "\n", "unixsocketperm 700\n", "dir ", dir, "\n",
      "logfile ", JoinPath(dir, "redis.log"), "\n", "save \"\"\n", "daemonize no\n", extra, "\n");
  absl::Status written = WriteFileAtomically(config, text);
  if (!written.ok()) return written;
  std::unique_ptr<RedisServer> server(new RedisServer(dir, config));
  absl::Status s = server->Spawn();
  if (!s.ok()) return s;
  return server;
}

absl::Status RedisServer::Spawn() {
  ::unlink(socket_.c_str());
  const pid_t pid = ::fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the test
    ::execlp("redis-server", "redis-server", config_.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  pid_ = pid;
  const absl::Time give_up = absl::Now() + absl::Seconds(20);
  while (absl::Now() < give_up) {
    if (Command({"PING"}).ok()) return absl::OkStatus();
    int status;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return absl::InternalError(absl::StrCat("redis-server exited; see ", dir_, "/redis.log"));
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  return absl::DeadlineExceededError("redis-server did not start");
}

RedisServer::~RedisServer() { Stop(); }

void RedisServer::Kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGCONT);
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

void RedisServer::Stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGCONT);
  // Redis refuses a SIGTERM while it writes its first AOF (a replica right after its sync:
  // "Writing initial AOF, can't exit") and does not try again: ask again every 500 ms, and
  // after 30 s stop it for good.
  for (int i = 0; i < 60; ++i) {
    ::kill(pid_, SIGTERM);
    for (int j = 0; j < 50; ++j) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

void RedisServer::Pause() {
  if (pid_ > 0) ::kill(pid_, SIGSTOP);
}

void RedisServer::Resume() {
  if (pid_ > 0) ::kill(pid_, SIGCONT);
}

absl::Status RedisServer::Restart() {
  if (pid_ > 0) return absl::FailedPreconditionError("redis-server is running");
  return Spawn();
}

absl::StatusOr<std::string> RedisServer::Command(const std::vector<std::string>& argv) const {
  const timeval tv = {2, 0};
  redisContext* c = redisConnectUnixWithTimeout(socket_.c_str(), tv);
  if (c == nullptr || c->err != 0) {
    if (c != nullptr) redisFree(c);
    return absl::UnavailableError("cannot connect to redis");
  }
  redisSetTimeout(c, timeval{10, 0});
  std::vector<const char*> args;
  std::vector<size_t> lens;
  for (const std::string& a : argv) {
    args.push_back(a.data());
    lens.push_back(a.size());
  }
  auto* reply = static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(args.size()), args.data(), lens.data()));
  if (reply == nullptr) {
    redisFree(c);
    return absl::UnavailableError("no reply from redis");
  }
  const bool error = reply->type == REDIS_REPLY_ERROR;
  std::string text = ReplyText(reply);
  freeReplyObject(reply);
  redisFree(c);
  if (error) return absl::InternalError(text);
  return text;
}

absl::StatusOr<long long> RedisServer::UsedMemory() const {  // NOLINT(runtime/int)
  absl::StatusOr<std::string> info = Command({"INFO", "memory"});
  if (!info.ok()) return info.status();
  for (absl::string_view line : absl::StrSplit(*info, "\r\n")) {
    if (absl::ConsumePrefix(&line, "used_memory:")) {
      long long v = 0;  // NOLINT(runtime/int)
      if (absl::SimpleAtoi(line, &v)) return v;
    }
  }
  return absl::InternalError("no used_memory in INFO");
}

}  // namespace hallmark::testing
