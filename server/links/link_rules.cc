#include "server/links/link_rules.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "server/common/text_fields.h"

namespace hallmark::links {
namespace {

// GS1 Web Vocabulary link types (https://ref.gs1.org/voc/?show=linktypes), sorted.
constexpr absl::string_view kLinkTypes[] = {
    "activityIdeas", "allergenInfo", "appDownload", "brandHomepageClinical",
    "brandHomepagePatient", "careersInfo", "certificationInfo", "consumerHandlingStorageInfo",
    "defaultLink", "defaultLinkMulti", "epcis", "epil", "eventsInfo", "faqs", "handledBy",
    "hasRetailers", "homepage", "ingredientsInfo", "instructions", "leaveReview",
    "locationInfo", "logisticsInfo", "loyaltyProgram", "masterData", "menuInfo",
    "nutritionalInfo", "paymentLink", "pip", "productSustainabilityInfo", "promotion",
    "purchaseSuppliesOrAccessories", "quickStartGuide", "recallStatus", "recipeInfo",
    "registerProduct", "relatedImage", "relatedVideo", "review", "safetyInfo", "scheduleTime",
    "serviceInfo", "smartLabel", "smpc", "socialMedia", "statisticInfo", "subscribe",
    "support", "sustainabilityInfo", "traceability", "tutorial", "userAgreement",
    "whatsInTheBox"};

bool UrlChar(char c) {
  return absl::ascii_isalnum(c) || absl::StrContains("-._~:/?#[]@!$&()*+,;=%", c);
}

absl::Status Invalid(absl::string_view field, absl::string_view rule) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", rule));
}

bool IsLanguageTag(absl::string_view tag) {
  if (tag.empty() || tag.size() > 35) return false;
  size_t part = 0;
  for (size_t i = 0; i <= tag.size(); ++i) {
    if (i == tag.size() || tag[i] == '-') {
      if (part == 0 || part > 8) return false;
      part = 0;
    } else if (!absl::ascii_isalnum(tag[i])) {
      return false;
    } else {
      ++part;
    }
  }
  return absl::ascii_isalpha(tag[0]);
}

bool IsMediaType(absl::string_view type) {
  const size_t slash = type.find('/');
  if (type.size() > 100 || slash == 0 || slash == absl::string_view::npos ||
      slash + 1 == type.size()) {
    return false;
  }
  return std::all_of(type.begin(), type.end(), [](char c) {
    return absl::ascii_isalnum(c) || absl::StrContains("/+-.", c);
  });
}

}  // namespace

bool IsGs1LinkType(absl::string_view link_type) {
  if (!absl::ConsumePrefix(&link_type, "gs1:")) return false;
  return std::binary_search(std::begin(kLinkTypes), std::end(kLinkTypes), link_type);
}

absl::Status ValidateHttpsUrl(absl::string_view url, absl::string_view field) {
  if (url.size() > kMaxUrl) return Invalid(field, absl::StrCat("at most ", kMaxUrl, " characters"));
  absl::string_view rest = url;
  if (!absl::ConsumePrefix(&rest, "https://")) return Invalid(field, "must start with https://");
  const size_t end = std::min(rest.find_first_of("/?#"), rest.size());
  const absl::string_view authority = rest.substr(0, end);
  const size_t colon = authority.find(':');
  const absl::string_view host = authority.substr(0, colon);
  const absl::string_view port =
      colon == absl::string_view::npos ? "" : authority.substr(colon + 1);
  const bool host_ok = !host.empty() && host.front() != '.' && host.front() != '-' &&
                       std::all_of(host.begin(), host.end(), [](char c) {
                         return absl::ascii_isalnum(c) || c == '-' || c == '.';
                       });
  const bool port_ok = colon == absl::string_view::npos ||
                       (!port.empty() && port.size() <= 5 &&
                        std::all_of(port.begin(), port.end(), absl::ascii_isdigit));
  if (!host_ok || !port_ok) {
    return Invalid(field, "want https://host[:port]/..., the host a DNS name or IPv4 address");
  }
  for (size_t i = 0; i < url.size(); ++i) {
    if (!UrlChar(url[i])) {
      return Invalid(field, absl::StrCat("character at position ", i + 1,
                                         " must be percent-encoded"));
    }
  }
  return absl::OkStatus();
}

std::string UrlOrigin(absl::string_view url) {
  const size_t start = sizeof("https://") - 1;
  const size_t end = url.find_first_of("/?#", start);
  return std::string(url.substr(0, end));
}

absl::Status ValidatePresentation(const v1::Presentation& p) {
  if (absl::Status s = ValidateText(p.product_name(), 0, kMaxName, "presentation.product_name");
      !s.ok()) {
    return s;
  }
  if (absl::Status s = ValidateText(p.brand_name(), 0, kMaxName, "presentation.brand_name");
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          ValidateText(p.support_contact(), 0, kMaxContact, "presentation.support_contact");
      !s.ok()) {
    return s;
  }
  if (p.image_url().empty()) return absl::OkStatus();
  return ValidateHttpsUrl(p.image_url(), "presentation.image_url");
}

absl::Status ValidateLinks(const google::protobuf::RepeatedPtrField<v1::Link>& links) {
  if (links.size() > static_cast<int>(kMaxLinks)) {
    return Invalid("links", absl::StrCat("at most ", kMaxLinks, ", got ", links.size()));
  }
  for (int i = 0; i < links.size(); ++i) {
    const v1::Link& l = links[i];
    const std::string at = absl::StrCat("links[", i, "]");
    if (l.link_type() == "gs1:verificationService") {
      return Invalid(at + ".link_type", "gs1:verificationService is this service's own");
    }
    if (!IsGs1LinkType(l.link_type())) {
      return Invalid(at + ".link_type",
                     absl::StrCat("\"", l.link_type(), "\" is not a GS1 link type (gs1:pip, "
                                  "gs1:instructions, ...: https://ref.gs1.org/voc/)"));
    }
    if (absl::Status s = ValidateHttpsUrl(l.href(), at + ".href"); !s.ok()) return s;
    if (absl::Status s = ValidateText(l.title(), 0, kMaxName, at + ".title"); !s.ok()) return s;
    if (!l.language().empty() && !IsLanguageTag(l.language())) {
      return Invalid(at + ".language", "a BCP 47 language tag (\"en\", \"de-CH\")");
    }
    if (!l.media_type().empty() && !IsMediaType(l.media_type())) {
      return Invalid(at + ".media_type", "a media type (\"text/html\")");
    }
  }
  return absl::OkStatus();
}

}  // namespace hallmark::links
