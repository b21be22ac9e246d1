// File: server/registry/functions.h
//
// The Redis Functions of server/registry/lua/, declared once for the C++ side: each function's
// name and what it may do to Redis —
//   kReadOnly    FCALL_RO; the library registers it with the `no-writes` flag,
//   kDurable     FCALL; a write that is acknowledged as durable: refused while Redis is not
//                durable, and acknowledged only once replicated (ExecuteWrite),
//   kBestEffort  FCALL; bookkeeping that may be lost (scan records, rate-limit shares,
//                registration attempts): never refused, never waits for replicas.
// Call (reply_util.h) refuses a call that does not follow its function's declaration (an
// undeclared function, FCALL_RO of a writer or FCALL of a reader), so a new write cannot slip
// past the durability rules by being forgotten in a list; functions_test checks that the
// library Redis loads declares exactly these functions with the same flags.
//
// The error replies the functions raise ("HM_NOT_FOUND unit ...") are declared here too, with
// the status each becomes.
#ifndef HALLMARK_SERVER_REGISTRY_FUNCTIONS_H_
#define HALLMARK_SERVER_REGISTRY_FUNCTIONS_H_

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace hallmark::registry {

enum class Writes { kReadOnly, kDurable, kBestEffort };

struct FunctionDecl {
  absl::string_view name;  // "hm_verify"
  Writes writes;
};

const std::vector<FunctionDecl>& Functions();
const FunctionDecl* FindFunction(absl::string_view name);

// An error a function raises: its reply starts with `code` and a space, then the detail.
struct FunctionError {
  absl::string_view code;      // "HM_NOT_FOUND"
  absl::StatusCode status;     // what it becomes
  absl::string_view prefix;    // put before the detail in the status message ("" for none)
};
const std::vector<FunctionError>& FunctionErrors();

}  // namespace hallmark::registry

#endif  // HALLMARK_SERVER_REGISTRY_FUNCTIONS_H_
