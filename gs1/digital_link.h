// File: gs1/digital_link.h
//
// GS1 Digital Link URIs (GS1 Digital Link Standard: URI Syntax 1.2) for serialised units:
//   https://{host}/01/{gtin}/10/{lot}/21/{serial}?17={expiry}&11={production}&8030={digsig}
// (the dates are data attributes, present only when the unit has them).
//
// Formatting writes the standard's qualifier order (22, 10, 21 after the GTIN), the 14-digit
// GTIN, and percent-encodes every character outside RFC 3986's unreserved set (A-Z a-z 0-9
// - . _ ~), as the standard and the GS1 Barcode Syntax Engine do.
//
// Parsing accepts any host and any path before the primary key (/01/), http or https, GTIN-8/12/13
// (normalised to 14 digits), lot and serial in either order, an optional (22) qualifier
// (ignored), the query attributes 17, 11 and 8030 (each at most once; dates checked as
// calendar dates), and any other query parameters (ignored); %00, malformed escapes, repeated AIs and
// invalid values are rejected.
//
// Example:
//   absl::StatusOr<std::string> uri = FormatDigitalLink("id.brand.example", code);
//   absl::StatusOr<UnitCode> back = ParseDigitalLink(*uri);
#ifndef HALLMARK_GS1_DIGITAL_LINK_H_
#define HALLMARK_GS1_DIGITAL_LINK_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gs1/unit_code.h"

namespace hallmark::gs1 {

// A resolver host: a DNS name or IPv4 address ([A-Za-z0-9.-]), optionally ":port".
absl::Status ValidateResolverHost(absl::string_view host);

absl::StatusOr<UnitCode> ParseDigitalLink(absl::string_view uri);

// Fails only when `host` is invalid. Precondition: `code` holds valid fields.
absl::StatusOr<std::string> FormatDigitalLink(absl::string_view host, const UnitCode& code);

}  // namespace hallmark::gs1

#endif  // HALLMARK_GS1_DIGITAL_LINK_H_
