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

#include <iterator>
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

// hm_begin_batch's batch record: its fields, in the order the Lua's BATCH_FIELDS lists them
// (the arguments after counter_field and max_counter, and the reply after batch_id and
// existed). functions_test checks the two lists are the same.
inline constexpr absl::string_view kBatchFields[] = {
    "issuer", "rid", "kind", "fmt", "cnt", "lot", "sku", "key", "at", "cs",
    "seed", "plant", "prefix", "day", "fp"};
// The position of `name` in kBatchFields (a name not in it does not compile in a constant
// expression, and is -1 otherwise).
constexpr int BatchField(absl::string_view name) {
  for (size_t i = 0; i < std::size(kBatchFields); ++i) {
    if (kBatchFields[i] == name) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace hallmark::registry

#endif  // HALLMARK_SERVER_REGISTRY_FUNCTIONS_H_
