#include "crypto/signature.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace hallmark::crypto {

absl::string_view AlgorithmName(Algorithm algorithm) {
  switch (algorithm) {
    case Algorithm::kEs256:
      return "ES256";
    case Algorithm::kEd25519:
      return "Ed25519";
  }
  return "unknown";
}

absl::StatusOr<Algorithm> ParseAlgorithm(absl::string_view name) {
  for (Algorithm a : {Algorithm::kEs256, Algorithm::kEd25519}) {
    if (absl::EqualsIgnoreCase(name, AlgorithmName(a))) return a;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("algorithm: '", name, "' is not one of ES256, Ed25519"));
}

}  // namespace hallmark::crypto
