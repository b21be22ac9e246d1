// File: server/verification/scan_context.h
//
// Checks the optional ScanContext of a Verify and reduces it to the location fingerprint the
// scan history keeps: 32 bits of SHA-256 over "COUNTRY/location". A scan with neither country
// nor location has no fingerprint and does not count towards distinct locations.
#ifndef HALLMARK_SERVER_VERIFICATION_SCAN_CONTEXT_H_
#define HALLMARK_SERVER_VERIFICATION_SCAN_CONTEXT_H_

#include <cstdint>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "hallmark/v1/verification.pb.h"

namespace hallmark::verification {

// country: empty or two letters A-Z (ISO 3166-1 alpha-2; lower case is accepted);
// location: up to 64, channel: up to 32 printable characters. Errors name `field`.country etc.
absl::Status ValidateScanContext(const v1::ScanContext& context, absl::string_view field);

std::optional<uint32_t> LocationFingerprint(const v1::ScanContext& context);

}  // namespace hallmark::verification

#endif  // HALLMARK_SERVER_VERIFICATION_SCAN_CONTEXT_H_
