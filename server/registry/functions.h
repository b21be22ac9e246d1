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

#include <cstddef>
#include <stdexcept>
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

// Field lists the C++ and the Lua share, each in the Lua's order; functions_test checks each
// against its Lua list (named in the comment), so neither side can reorder or add alone.
//
// hm_begin_batch2's batch record (BATCH_FIELDS): the arguments after counter_field and
// max_counter, and the reply after batch_id and existed.
inline constexpr absl::string_view kBatchFields[] = {
    "issuer", "rid", "kind", "fmt", "cnt", "lot", "sku", "key", "at", "cs",
    "seed", "plant", "prefix", "day", "fp", "exp", "prod"};
// Record replies (record_reply in lua/1_registry.lua): an array of these fields' values.
// hm_lookup2 (LOOKUP_REPLY); nil for an unknown unit. (hm_lookup: its first 6 fields.)
inline constexpr absl::string_view kLookupReply[] = {"status", "batch", "lot", "sku", "key",
                                                     "at", "exp", "prod"};
// hm_verify2 and hm_verify2_ro (VERIFY_REPLY); {0} alone for an unknown unit. (hm_verify and
// hm_verify_ro, for servers of the previous version: its first 13 fields.)
inline constexpr absl::string_view kVerifyReply[] = {
    "registered", "status", "lot", "sku", "key", "issued_at", "stolen",
    "count", "first", "last", "clone_evidence", "after_decommission", "recalled",
    "exp", "prod", "exp_former"};
// hm_life_read2 (LIFE_READ_REPLY); {0} alone for an unknown unit. (hm_life_read: the first 14.)
inline constexpr absl::string_view kLifeReadReply[] = {
    "registered", "value", "lot", "sku", "issued_at", "issuer", "lot_recall", "stolen",
    "sku_months", "default_months", "fields", "event_count", "request_hit", "events",
    "exp", "prod", "lot_events"};

// The position of `name` in `fields`. Used to initialise a constexpr index, a name the list
// does not have does not compile (the throw is not a constant expression); reached at run
// time it throws.
template <size_t N>
constexpr size_t FieldIndex(const absl::string_view (&fields)[N], absl::string_view name) {
  for (size_t i = 0; i < N; ++i) {
    if (fields[i] == name) return i;
  }
  throw std::invalid_argument("no such field");
}
constexpr size_t BatchField(absl::string_view name) { return FieldIndex(kBatchFields, name); }

}  // namespace hallmark::registry

#endif  // HALLMARK_SERVER_REGISTRY_FUNCTIONS_H_
