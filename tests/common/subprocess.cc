#include "tests/common/subprocess.h"

#include <cstdio>
#include <cstdlib>

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/files.h"

namespace hallmark::testing {

absl::StatusOr<Subprocess> Subprocess::Start(const std::vector<std::string>& argv,
                                             const std::string& log_path) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  return Subprocess(pid, log_path);
}

Subprocess::~Subprocess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

void Subprocess::Signal(int sig) const {
  if (pid_ > 0) ::kill(pid_, sig);
}

std::optional<int> Subprocess::Wait(absl::Duration timeout) {
  const absl::Time give_up = absl::Now() + timeout;
  while (pid_ > 0) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    if (absl::Now() > give_up) return std::nullopt;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return std::nullopt;
}

std::string Subprocess::Log() const {
  absl::StatusOr<std::string> log = ReadFile(log_);
  return log.ok() ? *log : "";
}

std::string RunShell(const std::string& command) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}

HttpReply Curl(int port, const std::string& target, const std::string& curl_args) {
  const std::string out = RunShell(absl::StrCat("curl -s -S -i --max-time 10 ", curl_args,
                                                " 'http://127.0.0.1:", port, target, "' 2>&1"));
  HttpReply r;
  const size_t split = out.find("\r\n\r\n");
  r.head = out.substr(0, split);
  r.body = split == std::string::npos ? "" : out.substr(split + 4);
  if (absl::StartsWith(out, "HTTP/1.1 ")) r.status = std::atoi(out.c_str() + 9);
  return r;
}

}  // namespace hallmark::testing
