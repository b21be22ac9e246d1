#include "server/web/page.h"

#include <openssl/sha.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

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
    ".verdict p{margin:0;font-size:1.1rem}"
    ".ok{background:#166534}.bad{background:#991b1b}.warn{background:#9a3412}"
    ".info{background:#374151}"
    "dl{background:#fff;border-radius:.75rem;padding:1rem 1.25rem;margin:1rem 0}"
    "dt{font-weight:600;color:#44403c}dd{margin:0 0 .75rem;overflow-wrap:anywhere}"
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

std::string RenderPage(PageVerdict verdict, const v1::VerifyResponse& r, const Messages& m,
                       absl::string_view lang) {
  const std::string key(PageKey(verdict));
  auto t = [&](absl::string_view k) { return HtmlEscape(m.Get(lang, k)); };
  std::string html = absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"", HtmlEscape(lang), "\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
      "<meta name=\"robots\" content=\"noindex\"><title>", t(key + ".heading"), " – ",
      t("title"), "</title><style>", kStyle, "</style></head><body><main>"
      "<section class=\"verdict ", Tone(verdict), "\" role=\"status\" aria-live=\"polite\">"
      "<h1>", t(key + ".heading"), "</h1><p>", t(key + ".body"), "</p></section>");
  // Unit details only where the code is the brand's own: genuine, or recalled (the consumer
  // needs the batch to follow the recall).
  if (verdict == PageVerdict::kGenuine || verdict == PageVerdict::kRecalled) {
    absl::StrAppend(&html, "<dl><dt>", t("label.product"), "</dt><dd>",
                    HtmlEscape(r.unit().gtin()), "</dd><dt>", t("label.serial"), "</dt><dd>",
                    HtmlEscape(r.unit().serial()), "</dd>");
    if (!r.lot().empty()) {
      absl::StrAppend(&html, "<dt>", t("label.lot"), "</dt><dd>", HtmlEscape(r.lot()), "</dd>");
    }
    absl::StrAppend(&html, "</dl>");
  }
  absl::StrAppend(&html, "<footer><p>", t("footer"), "</p></footer></main></body></html>\n");
  return html;
}

const std::string& PageCsp() {
  static const std::string* const csp = [] {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(kStyle.data()), kStyle.size(), digest);
    const std::string hash = absl::Base64Escape(
        absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
    return new std::string(absl::StrCat(
        "default-src 'none'; style-src 'sha256-", hash,
        "'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"));
  }();
  return *csp;
}

}  // namespace hallmark::web
