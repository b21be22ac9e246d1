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

#include "absl/strings/string_view.h"
#include "hallmark/v1/verification.pb.h"
#include "server/web/messages.h"

namespace hallmark::web {

// What the page says, from the verdict (and its reasons: an unsigned code "cannot be
// verified" rather than being called fake). Also the catalogue key prefix ("genuine").
enum class PageVerdict {
  kGenuine, kNotGenuine, kUnknown, kCopied, kStolen, kRecalled, kDecommissioned,
  kUnverifiable, kUnavailable, kBusy
};
PageVerdict ToPageVerdict(const v1::VerifyResponse& response);
absl::string_view PageKey(PageVerdict v);

// <, >, &, " and ' as character references.
std::string HtmlEscape(absl::string_view text);

// The whole document, in `language` (one Messages::Choose returned).
std::string RenderPage(PageVerdict verdict, const v1::VerifyResponse& response,
                       const Messages& messages, absl::string_view language);

// The Content-Security-Policy every page is sent with: nothing may load or run but the page's
// own inline style (by its SHA-256).
const std::string& PageCsp();

}  // namespace hallmark::web

#endif  // HALLMARK_SERVER_WEB_PAGE_H_
