// libFuzzer target: DIGSIG decoding never crashes, accepts only the canonical text form (a
// parsed DIGSIG formats back to exactly its input), and verification of arbitrary DIGSIGs
// against a ring fails closed without crashing.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <utility>
#include <vector>

#include "crypto/code_signing.h"
#include "crypto/digsig.h"

namespace {

const hallmark::crypto::KeyRing& Ring() {
  static const hallmark::crypto::KeyRing* ring = [] {
    using namespace hallmark::crypto;
    std::vector<std::pair<KeyInfo, std::unique_ptr<KeyMaterial>>> keys;
    keys.emplace_back(KeyInfo{0x0001, Algorithm::kEs256, KeyState::kActive, absl::UnixEpoch()},
                      *KeyMaterial::Generate(Algorithm::kEs256));
    keys.emplace_back(KeyInfo{0x0002, Algorithm::kEd25519, KeyState::kRetired, absl::UnixEpoch()},
                      *KeyMaterial::Generate(Algorithm::kEd25519));
    return KeyRing::New(std::move(keys))->release();
  }();
  return *ring;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hallmark::crypto;
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  DigSigFailure failure;
  absl::StatusOr<ParsedDigSig> parsed = ParseDigSig(input, &failure);
  if (parsed.ok() != (failure == DigSigFailure::kNone)) std::abort();
  if (parsed.ok() && FormatDigSig(parsed->header, parsed->signature) != input) std::abort();
  const hallmark::gs1::UnitCode code{"09506000134352", "FUZZ", "", std::string(input)};
  if (VerifyUnitCode(Ring(), code).ok()) std::abort();  // nobody signed this
  return 0;
}
