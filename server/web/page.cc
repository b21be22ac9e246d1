#include "server/web/page.h"

#include <openssl/sha.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gs1/gs1.h"

namespace hallmark::web {
namespace {

// Mobile first: one column, system fonts, large verdict. Colours keep at least 4.5:1 contrast
// (WCAG AA) with the white text on them.
constexpr absl::string_view kStyle =
    "body{margin:0;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;"
    "background:#f5f5f4;color:#1c1917;line-height:1.5}"
    "main{max-width:36rem;margin:0 auto;padding:1rem}"
    ".verdict{border-radius:.75rem;padding:1.25rem;color:#fff}"
    ".verdict h1{margin:0 0 .5rem;font-size:2rem;line-height:1.2}"
    ".verdict p{margin:0;font-size:1.1rem}.verdict .reason{margin-top:.75rem;font-weight:600}"
    ".ok{background:#166534}.bad{background:#991b1b}.warn{background:#9a3412}"
    ".info{background:#374151}"
    "dl{background:#fff;border-radius:.75rem;padding:1rem 1.25rem;margin:1rem 0}"
    "dt{font-weight:600;color:#44403c}dd{margin:0 0 .75rem;overflow-wrap:anywhere}"
    ".brand{background:#fff;border-radius:.75rem;padding:1rem 1.25rem;margin:1rem 0}"
    ".brand h2{margin:0 0 .25rem;font-size:1.3rem}.brand img{max-width:100%;height:auto}"
    ".brand ul{padding-left:1.25rem}.brand a{color:#1d4ed8}"
    "footer{font-size:.9rem;color:#44403c}";

absl::string_view Tone(PageVerdict v) {
  switch (v) {
    case PageVerdict::kGenuine: return "ok";
    case PageVerdict::kNotGenuine:
    case PageVerdict::kUnknown:
    case PageVerdict::kStolen: return "bad";
    case PageVerdict::kCopied:
    case PageVerdict::kRecalled:
    case PageVerdict::kDecommissioned: return "warn";
    default: return "info";
  }
}

bool HasReason(const v1::VerifyResponse& r, absl::string_view reason) {
  for (const std::string& x : r.reasons()) {
    if (x == reason) return true;
  }
  return false;
}

}  // namespace

PageVerdict ToPageVerdict(const v1::VerifyResponse& r) {
  switch (r.verdict()) {
    case v1::VERDICT_AUTHENTIC: return PageVerdict::kGenuine;
    case v1::VERDICT_NOT_REGISTERED: return PageVerdict::kUnknown;
    case v1::VERDICT_STOLEN: return PageVerdict::kStolen;
    case v1::VERDICT_RECALLED: return PageVerdict::kRecalled;
    case v1::VERDICT_DECOMMISSIONED: return PageVerdict::kDecommissioned;
    case v1::VERDICT_SUSPECT_CLONE: return PageVerdict::kCopied;
    case v1::VERDICT_COUNTERFEIT:
      return HasReason(r, "digsig_missing") ? PageVerdict::kUnverifiable
                                            : PageVerdict::kNotGenuine;
    default: return PageVerdict::kNotGenuine;  // MISMATCH and anything unexpected
  }
}

absl::string_view PageKey(PageVerdict v) {
  switch (v) {
    case PageVerdict::kGenuine: return "genuine";
    case PageVerdict::kNotGenuine: return "not_genuine";
    case PageVerdict::kUnknown: return "unknown";
    case PageVerdict::kCopied: return "copied";
    case PageVerdict::kStolen: return "stolen";
    case PageVerdict::kRecalled: return "recalled";
    case PageVerdict::kDecommissioned: return "decommissioned";
    case PageVerdict::kUnverifiable: return "unverifiable";
    case PageVerdict::kProductLink: return "product";
    case PageVerdict::kUnavailable: return "unavailable";
    case PageVerdict::kBusy: return "busy";
  }
  return "not_genuine";
}

std::string HtmlEscape(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

bool ShowsBrand(PageVerdict verdict) {
  return verdict == PageVerdict::kGenuine || verdict == PageVerdict::kRecalled;
}

std::vector<v1::Link> LinksFor(const std::vector<v1::Link>& links,
                               const std::vector<std::string>& languages) {
  // Lower is better: 2i for the i-th preference exactly, 2i+1 for its primary subtag.
  auto rank = [&](const v1::Link& l) -> size_t {
    const size_t none = 2 * languages.size();
    if (l.language().empty()) return none;
    const std::string lang = absl::AsciiStrToLower(l.language());
    const std::string primary = lang.substr(0, lang.find('-'));
    for (size_t i = 0; i < languages.size(); ++i) {
      if (lang == languages[i]) return 2 * i;
      if (primary == languages[i].substr(0, languages[i].find('-'))) return 2 * i + 1;
    }
    return none + 1;
  };
  std::vector<v1::Link> out;
  for (const v1::Link& l : links) {
    auto same = std::find_if(out.begin(), out.end(), [&](const v1::Link& o) {
      return o.link_type() == l.link_type();
    });
    if (same == out.end()) {
      out.push_back(l);
    } else if (rank(l) < rank(*same)) {
      *same = l;
    }
  }
  return out;
}

namespace {

// The brand's section: what it calls the product, its image, its links, its support contact.
std::string BrandSection(const links::LinksEngine::Resolved& brand, const Messages& m,
                         absl::string_view lang) {
  auto t = [&](absl::string_view k) { return HtmlEscape(m.Get(lang, k)); };
  const v1::Presentation& p = brand.presentation;
  const std::vector<v1::Link> links = LinksFor(brand.links, {std::string(lang)});
  if (p.product_name().empty() && p.brand_name().empty() && p.image_url().empty() &&
      p.support_contact().empty() && links.empty()) {
    return "";
  }
  std::string html = absl::StrCat("<section class=\"brand\" aria-labelledby=\"brand-h\">",
                                  "<h2 id=\"brand-h\">",
                                  HtmlEscape(p.product_name().empty() ? m.Get(lang, "brand.heading")
                                                                      : p.product_name()),
                                  "</h2>");
  if (!p.brand_name().empty()) {
    absl::StrAppend(&html, "<p>", t("label.brand"), ": ", HtmlEscape(p.brand_name()), "</p>");
  }
  if (!p.image_url().empty()) {
    absl::StrAppend(&html, "<img src=\"", HtmlEscape(p.image_url()), "\" alt=\"",
                    HtmlEscape(p.product_name()), "\">");
  }
  if (!links.empty()) {
    absl::StrAppend(&html, "<ul>");
    for (const v1::Link& l : links) {
      absl::StrAppend(&html, "<li><a href=\"", HtmlEscape(l.href()),
                      "\" rel=\"noopener noreferrer\">",
                      HtmlEscape(l.title().empty() ? l.link_type() : l.title()), "</a></li>");
    }
    absl::StrAppend(&html, "</ul>");
  }
  if (!p.support_contact().empty()) {
    absl::StrAppend(&html, "<p>", t("label.support"), ": ", HtmlEscape(p.support_contact()),
                    "</p>");
  }
  absl::StrAppend(&html, "</section>");
  return html;
}

}  // namespace

std::string RenderPage(PageVerdict verdict, const v1::VerifyResponse& r,
                       const links::LinksEngine::Resolved* brand,
                       absl::string_view recall_reason, const Messages& m,
                       absl::string_view lang) {
  const std::string key(PageKey(verdict));
  auto t = [&](absl::string_view k) { return HtmlEscape(m.Get(lang, k)); };
  std::string html = absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"", HtmlEscape(lang), "\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
      "<meta name=\"robots\" content=\"noindex\"><title>", t(key + ".heading"), " – ",
      t("title"), "</title><style>", kStyle, "</style></head><body><main>"
      "<section class=\"verdict ", Tone(verdict), "\" role=\"status\" aria-live=\"polite\">"
      "<h1>", t(key + ".heading"), "</h1><p>", t(key + ".body"), "</p>");
  if (verdict == PageVerdict::kRecalled && !recall_reason.empty()) {
    absl::StrAppend(&html, "<p class=\"reason\">", t("recalled.reason"), " ",
                    HtmlEscape(recall_reason), "</p>");
  }
  if (ShowsBrand(verdict) && r.expired()) {
    absl::StrAppend(&html, "<p class=\"reason\">", t("expired.notice"), "</p>");
  }
  absl::StrAppend(&html, "</section>");
  // Unit details only where the code is the brand's own: genuine, or recalled (the consumer
  // needs the batch to follow the recall).
  if (ShowsBrand(verdict)) {
    if (brand != nullptr) absl::StrAppend(&html, BrandSection(*brand, m, lang));
    absl::StrAppend(&html, "<dl><dt>", t("label.product"), "</dt><dd>",
                    HtmlEscape(r.unit().gtin()), "</dd><dt>", t("label.serial"), "</dt><dd>",
                    HtmlEscape(r.unit().serial()), "</dd>");
    if (!r.lot().empty()) {
      absl::StrAppend(&html, "<dt>", t("label.lot"), "</dt><dd>", HtmlEscape(r.lot()), "</dd>");
    }
    // The lot's dates as registered, as ISO dates (validated YYMMDD: nothing to escape).
    if (!r.expiry_date().empty()) {
      absl::StrAppend(&html, "<dt>", t("label.expiry"), "</dt><dd>",
                      HtmlEscape(gs1::Gs1DateIso(r.expiry_date())), "</dd>");
    }
    if (!r.production_date().empty()) {
      absl::StrAppend(&html, "<dt>", t("label.production"), "</dt><dd>",
                      HtmlEscape(gs1::Gs1DateIso(r.production_date())), "</dd>");
    }
    absl::StrAppend(&html, "</dl>");
  }
  absl::StrAppend(&html, "<footer><p>", t("footer"), "</p></footer></main></body></html>\n");
  return html;
}

std::string PageCsp(absl::string_view image_origin) {
  static const std::string* const style_hash = [] {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(kStyle.data()), kStyle.size(), digest);
    return new std::string(absl::Base64Escape(
        absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest))));
  }();
  auto csp = [&](absl::string_view origin) {
    return absl::StrCat("default-src 'none'; style-src 'sha256-", *style_hash, "'; img-src 'self'",
                        origin.empty() ? "" : " ", origin,
                        "; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
  };
  // Every answer carries one; almost all without an image: built once.
  static const std::string* const plain = new std::string(csp(""));
  return image_origin.empty() ? *plain : csp(image_origin);
}

}  // namespace hallmark::web
