#include "server/registry/functions.h"

namespace hallmark::registry {

const std::vector<FunctionDecl>& Functions() {
  using W = Writes;
  static const auto* functions = new std::vector<FunctionDecl>{
      {"hm_library_version", W::kReadOnly},
      // Issuance and the registry.
      {"hm_begin_batch2", W::kDurable},
      {"hm_register", W::kDurable},
      {"hm_drop_batch", W::kDurable},
      {"hm_unregister", W::kDurable},
      {"hm_lookup2", W::kReadOnly},
      {"hm_count", W::kReadOnly},
      // Verification: the verdict and the scan record (best effort), or the verdict alone.
      {"hm_verify2", W::kBestEffort},
      {"hm_verify2_ro", W::kReadOnly},
      // The stolen registry.
      {"hm_case_open", W::kDurable},
      {"hm_report_stolen", W::kDurable},
      {"hm_clear_stolen", W::kDurable},
      {"hm_check_stolen", W::kReadOnly},
      {"hm_case", W::kReadOnly},
      {"hm_case_gtin", W::kReadOnly},
      // The lifecycle.
      {"hm_life_read2", W::kReadOnly},
      {"hm_life_apply", W::kDurable},
      {"hm_recall_lot", W::kDurable},
      {"hm_recall_units", W::kDurable},
      {"hm_set_terms", W::kDurable},
      {"hm_lot_dates", W::kDurable},
      {"hm_attempt", W::kBestEffort},
      // Links: the brand's presentation and resolver links.
      {"hm_links_set", W::kDurable},
      {"hm_links_delete", W::kDurable},
      {"hm_links_get", W::kReadOnly},
      {"hm_links_scan", W::kReadOnly},
      // Rate limits shared by replicas.
      {"hm_rl_presence", W::kBestEffort},
      // The previous version's shapes, for its servers during a rolling upgrade (never called
      // by this version).
      {"hm_begin_batch", W::kDurable},
      {"hm_lookup", W::kReadOnly},
      {"hm_verify", W::kBestEffort},
      {"hm_verify_ro", W::kReadOnly},
      {"hm_life_read", W::kReadOnly},
  };
  return *functions;
}

const FunctionDecl* FindFunction(absl::string_view name) {
  for (const FunctionDecl& f : Functions()) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

const std::vector<FunctionError>& FunctionErrors() {
  static const auto* errors = new std::vector<FunctionError>{
      {"HM_NOT_FOUND", absl::StatusCode::kNotFound, ""},
      {"HM_FULL", absl::StatusCode::kResourceExhausted, "unit: "},
      {"HM_REQUEST_REUSED", absl::StatusCode::kFailedPrecondition, ""},
      {"HM_CASE_AGENCY", absl::StatusCode::kFailedPrecondition, "case_id: "},
      {"HM_LINKS_FULL", absl::StatusCode::kResourceExhausted, "scope: "},
      {"HM_EXHAUSTED", absl::StatusCode::kOutOfRange, "registry: "},
      {"HM_LOT_DATES", absl::StatusCode::kFailedPrecondition, "lot: "},
      {"HM_LOT_FULL", absl::StatusCode::kResourceExhausted, "lot: "},
      // A reply the Lua could not build as declared (record_reply): a bug, never the caller's.
      {"HM_BUG", absl::StatusCode::kInternal, "registry bug: "},
  };
  return *errors;
}

}  // namespace hallmark::registry
