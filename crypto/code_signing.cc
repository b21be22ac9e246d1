#include "crypto/code_signing.h"

#include "common/status_macros.h"

namespace hallmark::crypto {

absl::StatusOr<std::string> SignUnit(const KeyRing& ring, absl::string_view gtin14,
                                     absl::string_view serial, absl::string_view lot) {
  gs1::UnitCode code;
  code.gtin = std::string(gtin14);
  code.serial = std::string(serial);
  code.lot = std::string(lot);
  return SignUnit(ring, code);
}

absl::StatusOr<std::string> SignUnit(const KeyRing& ring, const gs1::UnitCode& code) {
  const KeyRing::Key* key = ring.active();
  if (key == nullptr) {
    return absl::FailedPreconditionError("no ACTIVE signing key in the key ring");
  }
  const DigSigHeader header{kDigSigVersion, key->info.algorithm, key->info.id};
  HALLMARK_ASSIGN_OR_RETURN(
      std::string signature,
      key->signer->Sign(DigSigMessage(header, code.gtin, code.serial, code.lot, code.expiry,
                                      code.production)));
  return FormatDigSig(header, signature);
}

CodeVerification VerifyUnitCode(const KeyRing& ring, const gs1::UnitCode& code) {
  CodeVerification result;
  absl::StatusOr<ParsedDigSig> parsed = ParseDigSig(code.digsig, &result.failure);
  if (!parsed.ok()) return result;
  result.key_id_known = true;
  result.key_id = parsed->header.key_id;
  const KeyRing::Key* key = ring.Find(parsed->header.key_id);
  if (key == nullptr) {
    result.failure = DigSigFailure::kUnknownKey;
  } else if (key->info.state == KeyState::kRevoked) {
    result.failure = DigSigFailure::kKeyRevoked;
  } else if (key->info.algorithm != parsed->header.algorithm) {
    result.failure = DigSigFailure::kAlgorithmMismatch;
  } else {
    const std::string message =
        DigSigMessage(parsed->header, code.gtin, code.serial, code.lot, code.expiry,
                      code.production);
    switch (key->verifier->Verify(parsed->signature, message)) {
      case SignatureCheck::kValid:
        break;
      case SignatureCheck::kNonCanonical:
        result.failure = DigSigFailure::kNonCanonical;
        break;
      case SignatureCheck::kInvalid:
        result.failure = DigSigFailure::kSignatureInvalid;
        // Signed without the dates it prints (before dates existed)?
        if (!code.expiry.empty() || !code.production.empty()) {
          const std::string undated =
              DigSigMessage(parsed->header, code.gtin, code.serial, code.lot);
          if (key->verifier->Verify(parsed->signature, undated) == SignatureCheck::kValid) {
            result.failure = DigSigFailure::kNone;
            result.dates_signed = false;
          }
        }
        break;
    }
  }
  return result;
}

}  // namespace hallmark::crypto
