#include "crypto/digsig.h"

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace hallmark::crypto {
namespace {

std::string EncodeHeader(const DigSigHeader& h) {
  std::string out(kDigSigHeaderLength, '\0');
  out[0] = static_cast<char>((h.version << 4) | static_cast<uint8_t>(h.algorithm));
  out[1] = static_cast<char>(h.key_id >> 8);
  out[2] = static_cast<char>(h.key_id & 0xff);
  return out;
}

void AppendField(uint8_t ai, absl::string_view value, std::string* out) {
  out->push_back(static_cast<char>(ai));
  out->push_back(static_cast<char>(value.size()));
  out->append(value.data(), value.size());
}

absl::Status Fail(DigSigFailure reason, DigSigFailure* failure) {
  *failure = reason;
  return absl::InvalidArgumentError(ReasonCode(reason));
}

}  // namespace

std::string FormatKeyId(KeyId id) { return absl::StrFormat("%04x", id); }

absl::StatusOr<KeyId> ParseKeyId(absl::string_view text) {
  uint32_t value = 0;
  bool ok = text.size() == 4;
  for (char c : text) ok = ok && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
  if (!ok || !absl::SimpleHexAtoi(text, &value)) {
    return absl::InvalidArgumentError(
        absl::StrCat("key_id: '", text, "' is not 4 lowercase hex digits"));
  }
  return static_cast<KeyId>(value);
}

absl::string_view ReasonCode(DigSigFailure failure) {
  switch (failure) {
    case DigSigFailure::kNone: return "ok";
    case DigSigFailure::kMissing: return "digsig_missing";
    case DigSigFailure::kMalformed: return "digsig_malformed";
    case DigSigFailure::kBadLength: return "digsig_bad_length";
    case DigSigFailure::kUnsupportedVersion: return "digsig_unsupported_version";
    case DigSigFailure::kUnknownAlgorithm: return "digsig_unknown_algorithm";
    case DigSigFailure::kUnknownKey: return "unknown_key";
    case DigSigFailure::kKeyRevoked: return "key_revoked";
    case DigSigFailure::kAlgorithmMismatch: return "algorithm_mismatch";
    case DigSigFailure::kNonCanonical: return "signature_non_canonical";
    case DigSigFailure::kSignatureInvalid: return "signature_invalid";
  }
  return "signature_invalid";
}

absl::StatusOr<ParsedDigSig> ParseDigSig(absl::string_view digsig, DigSigFailure* failure) {
  *failure = DigSigFailure::kNone;
  if (digsig.empty()) return Fail(DigSigFailure::kMissing, failure);
  std::string bytes;
  // Canonical only: no padding, no stray bits, so one signature has exactly one text form.
  if (digsig.size() > kDigSigLength || !absl::WebSafeBase64Unescape(digsig, &bytes) ||
      absl::WebSafeBase64Escape(bytes) != digsig) {
    return Fail(DigSigFailure::kMalformed, failure);
  }
  if (bytes.size() < kDigSigHeaderLength) return Fail(DigSigFailure::kBadLength, failure);
  const auto b0 = static_cast<uint8_t>(bytes[0]);
  ParsedDigSig parsed;
  parsed.header.version = b0 >> 4;
  if (parsed.header.version != kDigSigVersion) {
    return Fail(DigSigFailure::kUnsupportedVersion, failure);
  }
  const uint8_t algorithm = b0 & 0x0f;
  if (algorithm != static_cast<uint8_t>(Algorithm::kEs256) &&
      algorithm != static_cast<uint8_t>(Algorithm::kEd25519)) {
    return Fail(DigSigFailure::kUnknownAlgorithm, failure);
  }
  if (bytes.size() != kDigSigHeaderLength + kSignatureLength) {
    return Fail(DigSigFailure::kBadLength, failure);
  }
  parsed.header.algorithm = static_cast<Algorithm>(algorithm);
  parsed.header.key_id = static_cast<KeyId>((static_cast<uint8_t>(bytes[1]) << 8) |
                                            static_cast<uint8_t>(bytes[2]));
  parsed.signature = bytes.substr(kDigSigHeaderLength);
  return parsed;
}

std::string FormatDigSig(const DigSigHeader& header, absl::string_view signature) {
  return absl::WebSafeBase64Escape(absl::StrCat(EncodeHeader(header), signature));
}

std::string DigSigMessage(const DigSigHeader& header, absl::string_view gtin14,
                          absl::string_view serial, absl::string_view lot,
                          absl::string_view expiry, absl::string_view production) {
  std::string msg;
  msg.reserve(kDigSigDomainTag.size() + kDigSigHeaderLength + 10 + gtin14.size() +
              serial.size() + lot.size() + expiry.size() + production.size());
  msg.append(kDigSigDomainTag.data(), kDigSigDomainTag.size());
  msg += EncodeHeader(header);
  AppendField(1, gtin14, &msg);
  AppendField(21, serial, &msg);
  if (!lot.empty()) AppendField(10, lot, &msg);
  if (!production.empty()) AppendField(11, production, &msg);
  if (!expiry.empty()) AppendField(17, expiry, &msg);
  return msg;
}

}  // namespace hallmark::crypto
