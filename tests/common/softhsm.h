// File: tests/common/softhsm.h
//
// A SoftHSM2 token for tests (Debian's softhsm2): its configuration and token directory in a
// temp dir, SOFTHSM2_CONF pointing at them for this process (SoftHSM2 reads it once per
// process, so a test binary makes one), the user PIN in a file. Uri() names the token as
// hallmark does (RFC 7512, module-path and pin-source).
#ifndef HALLMARK_TESTS_COMMON_SOFTHSM_H_
#define HALLMARK_TESTS_COMMON_SOFTHSM_H_

#include <cstdlib>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "common/files.h"
#include "tests/common/subprocess.h"
#include "tests/common/temp_dir.h"

namespace hallmark::testing {

inline constexpr char kSoftHsmModule[] = "/usr/lib/softhsm/libsofthsm2.so";

class SoftHsmToken {
 public:
  static absl::StatusOr<std::unique_ptr<SoftHsmToken>> Create(const std::string& label) {
    auto t = std::unique_ptr<SoftHsmToken>(new SoftHsmToken(label));
    const std::string dir = t->tmp_.path();
    const std::string conf = dir + "/softhsm2.conf";
    RunShell("mkdir -p " + dir + "/tokens");
    absl::Status s = WriteFileAtomically(
        conf, absl::StrCat("directories.tokendir = ", dir, "/tokens\nobjectstore.backend = file\n"
                           "log.level = ERROR\n"));
    if (!s.ok()) return s;
    setenv("SOFTHSM2_CONF", conf.c_str(), 1);
    const std::string out = RunShell(absl::StrCat("softhsm2-util --init-token --free --label ",
                                                  label, " --pin 1234 --so-pin 5678 2>&1; echo rc=$?"));
    if (out.find("rc=0") == std::string::npos) {
      return absl::FailedPreconditionError("softhsm2-util --init-token: " + out);
    }
    s = WriteFileAtomically(t->pin_file(), "1234\n", 0600);
    if (!s.ok()) return s;
    return t;
  }

  std::string pin_file() const { return tmp_.path() + "/pin"; }
  std::string tokens_dir() const { return tmp_.path() + "/tokens"; }
  std::string Uri(const std::string& pin_file = "", const std::string& module = kSoftHsmModule) const {
    return absl::StrCat("pkcs11:token=", label_, "?module-path=", module,
                        "&pin-source=file:", pin_file.empty() ? this->pin_file() : pin_file);
  }

 private:
  explicit SoftHsmToken(std::string label) : label_(std::move(label)) {}
  TempDir tmp_;
  const std::string label_;
};

}  // namespace hallmark::testing

#endif  // HALLMARK_TESTS_COMMON_SOFTHSM_H_
