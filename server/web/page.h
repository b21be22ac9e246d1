// File: server/web/page.h
//
// The page a consumer sees after scanning a label: the verdict in plain words first, then (for
// a genuine or recalled unit only) what identifies the unit. One self-contained HTML5 document:
// inline CSS (allowed by its hash in the CSP, kPageCsp), no script, no third-party asset.
// Everything that comes from the URL or the registry is HTML-escaped.
//
// What is never shown, to anyone: case ids, scan counts, which part of a signature failed, or
// any detail of a unit whose code is not genuine (a counterfeit never gets a genuine-looking
// page).
#ifndef HALLMARK_SERVER_WEB_PAGE_H_
#define HALLMARK_SERVER_WEB_PAGE_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "hallmark/v1/verification.pb.h"
#include "server/links/links_engine.h"
#include "server/web/messages.h"

namespace hallmark::web {

// What the page says, from the verdict (and its reasons: an unsigned code "cannot be
// verified" rather than being called fake). Also the catalogue key prefix ("genuine").
enum class PageVerdict {
  kGenuine, kNotGenuine, kUnknown, kCopied, kStolen, kRecalled, kDecommissioned,
  kUnverifiable, kProductLink, kUnavailable, kBusy
};
PageVerdict ToPageVerdict(const v1::VerifyResponse& response);
absl::string_view PageKey(PageVerdict v);

// <, >, &, " and ' as character references.
std::string HtmlEscape(absl::string_view text);

// Whether the brand's presentation and links may appear with this verdict: only on the
// brand's own units (genuine, or recalled: the consumer needs the brand's recall links).
bool ShowsBrand(PageVerdict verdict);

// For each link type, the link in the most preferred of `languages` (a tag, or its primary
// subtag), else one for any language, else the first; in the order the types first appear.
std::vector<v1::Link> LinksFor(const std::vector<v1::Link>& links,
                               const std::vector<std::string>& languages);

// The whole document, in `language` (one Messages::Choose returned). `brand` (may be null) is
// shown only where ShowsBrand(verdict); `recall_reason` (the brand's words) on a recalled
// unit's page.
std::string RenderPage(PageVerdict verdict, const v1::VerifyResponse& response,
                       const links::LinksEngine::Resolved* brand,
                       absl::string_view recall_reason, const Messages& messages,
                       absl::string_view language);

// The Content-Security-Policy a page is sent with: nothing may load or run but the page's own
// inline style (by its SHA-256) and, where the page shows the brand's image, images from that
// image's origin (a URL link_rules accepted: "https://host[:port]").
std::string PageCsp(absl::string_view image_origin = "");

}  // namespace hallmark::web

#endif  // HALLMARK_SERVER_WEB_PAGE_H_
