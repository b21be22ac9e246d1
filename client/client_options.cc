#include "client/client_options.h"

#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/files.h"
#include "common/status_macros.h"

namespace hallmark {
namespace {

constexpr const char* kKeys[] = {"addr", "token", "ca", "cert", "key", "timeout", "insecure"};

absl::StatusOr<bool> ParseBool(absl::string_view v, absl::string_view what) {
  if (v == "1" || v == "true" || v == "yes") return true;
  if (v == "0" || v == "false" || v == "no" || v.empty()) return false;
  return absl::InvalidArgumentError(absl::StrCat(what, ": '", v, "' is not true/false"));
}

}  // namespace

std::optional<std::string> GetEnv(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}

absl::StatusOr<std::map<std::string, std::string>> ParseClientConfig(absl::string_view text) {
  std::map<std::string, std::string> out;
  int n = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++n;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line.front() == '#') continue;
    const size_t eq = line.find('=');
    const std::string key(absl::StripAsciiWhitespace(line.substr(0, eq)));
    bool known = false;
    for (const char* k : kKeys) known = known || key == k;
    if (eq == absl::string_view::npos || !known) {
      return absl::InvalidArgumentError(absl::StrCat(
          "config line ", n, ": expected 'key = value' with key one of addr, token, ca, cert, "
          "key, timeout, insecure"));
    }
    out[key] = std::string(absl::StripAsciiWhitespace(line.substr(eq + 1)));
  }
  return out;
}

absl::StatusOr<ClientOptions> ResolveClientOptions(const ClientSettings& flags,
                                                   const EnvLookup& env) {
  std::map<std::string, std::string> file;
  std::optional<std::string> path = flags.config ? flags.config : env("HALLMARK_CONFIG");
  if (!path) {
    if (std::optional<std::string> home = env("HOME")) {
      const std::string def = *home + "/.config/hallmark/client.conf";
      if (FileExists(def)) path = def;
    }
  }
  if (path) {
    HALLMARK_ASSIGN_OR_RETURN(std::string text, ReadFile(*path));
    absl::StatusOr<std::map<std::string, std::string>> parsed = ParseClientConfig(text);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(*path, ": ", parsed.status().message()));
    }
    file = *std::move(parsed);
  }
  auto pick = [&](const std::optional<std::string>& flag, const char* env_name,
                  const char* file_key) -> std::optional<std::string> {
    if (flag) return flag;
    if (std::optional<std::string> e = env(env_name)) return e;
    auto it = file.find(file_key);
    if (it != file.end()) return it->second;
    return std::nullopt;
  };
  ClientOptions o;
  if (auto v = pick(flags.address, "HALLMARK_ADDR", "addr")) o.address = *v;
  if (auto v = pick(flags.token, "HALLMARK_TOKEN", "token")) o.token = *v;
  if (auto v = pick(flags.ca_file, "HALLMARK_CA", "ca")) o.ca_file = *v;
  if (auto v = pick(flags.cert_file, "HALLMARK_CERT", "cert")) o.cert_file = *v;
  if (auto v = pick(flags.key_file, "HALLMARK_KEY", "key")) o.key_file = *v;
  if (auto v = pick(flags.timeout, "HALLMARK_TIMEOUT", "timeout")) {
    if (!absl::ParseDuration(*v, &o.timeout) || o.timeout <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError(
          absl::StrCat("timeout: '", *v, "' is not a positive duration like 30s"));
    }
  }
  if (flags.insecure) {
    o.insecure = *flags.insecure;
  } else if (auto v = pick(std::nullopt, "HALLMARK_INSECURE", "insecure")) {
    HALLMARK_ASSIGN_OR_RETURN(o.insecure, ParseBool(*v, "insecure"));
  }
  if (o.cert_file.empty() != o.key_file.empty()) {
    return absl::InvalidArgumentError("cert and key: give both for mutual TLS, or neither");
  }
  return o;
}

}  // namespace hallmark
