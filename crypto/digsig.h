// File: crypto/digsig.h
//
// DIGSIG, the value of GS1 AI (8030) that Hallmark prints on every unit, and the exact bytes it
// signs. docs/code-format.md is the normative description; this header is its implementation.
//
//   DIGSIG  = base64url-without-padding( header || signature )      -> 90 characters
//   header  = 3 bytes: (version << 4 | algorithm), key_id (16-bit big-endian)
//   signature = 64 raw bytes (see crypto/signature.h)
//   message = "hallmark/digsig/v1" || header
//             || 0x01 0x0E gtin(14 digits) || 0x15 len serial || [0x0A len lot]
//             || [0x0B 0x06 production] || [0x11 0x06 expiry]
//             (each field: the AI number as one byte, the value length as one byte, the value;
//             optional fields only when printed, in increasing AI order: 10, 11, 17)
//
// Binding the header into the message ties the signature to its key id and algorithm; the
// domain tag keeps Hallmark signatures from being valid for any other protocol.
//
// Example:
//   DigSigHeader header{kDigSigVersion, Algorithm::kEs256, 0x7e57};
//   std::string msg = DigSigMessage(header, code.gtin, code.serial, code.lot);
//   std::string printed = FormatDigSig(header, signer->Sign(msg).value());
#ifndef HALLMARK_CRYPTO_DIGSIG_H_
#define HALLMARK_CRYPTO_DIGSIG_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "crypto/signature.h"

namespace hallmark::crypto {

using KeyId = uint16_t;

inline constexpr uint8_t kDigSigVersion = 1;
inline constexpr size_t kDigSigHeaderLength = 3;
inline constexpr size_t kDigSigLength = 90;  // characters, GS1's maximum for AI (8030)
inline constexpr absl::string_view kDigSigDomainTag = "hallmark/digsig/v1";

// Key ids are written as 4 lowercase hex digits ("7e57").
std::string FormatKeyId(KeyId id);
absl::StatusOr<KeyId> ParseKeyId(absl::string_view text);

struct DigSigHeader {
  uint8_t version = kDigSigVersion;
  Algorithm algorithm = Algorithm::kEs256;
  KeyId key_id = 0;
};

// Why a DIGSIG did not verify. Each has a stable, documented reason code (ReasonCode below)
// for logs, metrics and API responses; the public answer is simply "counterfeit".
enum class DigSigFailure {
  kNone = 0,
  kMissing,             // "digsig_missing": the code has no AI (8030)
  kMalformed,           // "digsig_malformed": not canonical unpadded base64url
  kBadLength,           // "digsig_bad_length": not 3 + 64 bytes
  kUnsupportedVersion,  // "digsig_unsupported_version"
  kUnknownAlgorithm,    // "digsig_unknown_algorithm"
  kUnknownKey,          // "unknown_key": key id not in the key ring
  kKeyRevoked,          // "key_revoked"
  kAlgorithmMismatch,   // "algorithm_mismatch": header algorithm differs from the key's
  kNonCanonical,        // "signature_non_canonical": ES256 high-S form
  kSignatureInvalid,    // "signature_invalid": bad signature, or altered GTIN/serial/lot
};
absl::string_view ReasonCode(DigSigFailure failure);

struct ParsedDigSig {
  DigSigHeader header;
  std::string signature;  // 64 bytes
};

// Decodes and checks the structure of a DIGSIG; on failure, *failure says why.
absl::StatusOr<ParsedDigSig> ParseDigSig(absl::string_view digsig, DigSigFailure* failure);

// The DIGSIG text for `header` and a 64-byte signature.
std::string FormatDigSig(const DigSigHeader& header, absl::string_view signature);

// The exact bytes signed for a unit. An empty `lot`, `expiry` (AI 17 YYMMDD) or `production`
// (AI 11 YYMMDD) is not printed and not signed.
std::string DigSigMessage(const DigSigHeader& header, absl::string_view gtin14,
                          absl::string_view serial, absl::string_view lot,
                          absl::string_view expiry = "", absl::string_view production = "");

}  // namespace hallmark::crypto

#endif  // HALLMARK_CRYPTO_DIGSIG_H_
