// File: server/links/link_rules.h
//
// What a LinkEntry may hold (proto/hallmark/v1/links.proto), checked before anything is
// stored: INVALID_ARGUMENT naming the field and the rule. Every URL is https:// with a plain
// host name and no character that would need escaping in an attribute or a header, so a
// stored link can never break out of the page, the Location header or the CSP it lands in.
#ifndef HALLMARK_SERVER_LINKS_LINK_RULES_H_
#define HALLMARK_SERVER_LINKS_LINK_RULES_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "hallmark/v1/links.pb.h"

namespace hallmark::links {

inline constexpr size_t kMaxLinks = 32;
inline constexpr size_t kMaxUrl = 1024;
inline constexpr size_t kMaxName = 120;
inline constexpr size_t kMaxContact = 200;

// A GS1 Web Vocabulary link type in its short form ("gs1:pip"). gs1:verificationService is
// Hallmark's own and cannot be set.
bool IsGs1LinkType(absl::string_view link_type);

// https://host[:port][/path][?query]: host of letters, digits, '-' and '.', the rest of
// RFC 3986's unreserved, reserved and '%' characters.
absl::Status ValidateHttpsUrl(absl::string_view url, absl::string_view field);

// "https://host[:port]" of a URL ValidateHttpsUrl accepted.
std::string UrlOrigin(absl::string_view url);

absl::Status ValidatePresentation(const v1::Presentation& p);
absl::Status ValidateLinks(const google::protobuf::RepeatedPtrField<v1::Link>& links);

}  // namespace hallmark::links

#endif  // HALLMARK_SERVER_LINKS_LINK_RULES_H_
