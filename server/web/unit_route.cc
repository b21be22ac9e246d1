#include "server/web/unit_route.h"

#include <memory>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gs1/gs1.h"
#include "server/auth/client_address.h"
#include "server/common/fan_in.h"
#include "server/common/log.h"
#include "server/links/link_rules.h"
#include "server/web/documents.h"
#include "server/web/page.h"

namespace hallmark::web {

enum class Format { kHtml, kJson, kLinkset };

struct UnitRoute::Call {
  UnitRequest request;
  absl::AnyInvocable<void(HttpAnswer)> done;
  std::string path;
  std::string query;      // without linkType
  std::string link_type;  // decoded; "" when absent
  Format format = Format::kHtml;
  std::string lang;
  absl::Time start;
  v1::VerifyResponse response;
  PageVerdict verdict = PageVerdict::kNotGenuine;
  std::optional<links::LinksEngine::Resolved> brand;
  std::string recall_reason;
  HttpAnswer answer;
};

namespace {

// Anonymous web clients share at most this many rate-limit buckets.
constexpr size_t kClientBuckets = 4096;

constexpr absl::string_view kHtml = "text/html; charset=utf-8";
constexpr absl::string_view kJson = "application/json";

// The web's principal: an anonymous verifier (the weakest clone-evidence weight), one
// organisation for every web scan.
const auth::Principal& WebPrincipal() {
  static const auth::Principal* const p = [] {
    auto* principal = new auth::Principal();
    principal->set_name("web");
    principal->set_role(admin::ROLE_VERIFIER);
    principal->set_organisation("anonymous web scans");
    return principal;
  }();
  return *p;
}

// Content negotiation: ?linkType=linkset (or GS1's older "all") or an Accept naming the
// linkset type before text/html; JSON for an Accept that prefers application/json to
// text/html; the page otherwise (browsers).
Format Negotiate(absl::string_view accept, absl::string_view link_type) {
  if (link_type == "linkset" || link_type == "all") return Format::kLinkset;
  const size_t linkset = accept.find("application/linkset+json");
  const size_t json = accept.find("application/json");
  const size_t html = accept.find("text/html");
  if (linkset != absl::string_view::npos && (html == absl::string_view::npos || linkset < html)) {
    return Format::kLinkset;
  }
  if (json != absl::string_view::npos && (html == absl::string_view::npos || json < html)) {
    return Format::kJson;
  }
  return Format::kHtml;
}

// A link type the brand's links answer with a redirect (not a format, not Hallmark's own).
bool IsRedirectType(absl::string_view t) {
  return absl::StartsWith(t, "gs1:") && t != "gs1:verificationService" &&
         t != "gs1:recallStatus";
}

// The AI/value pairs of a Digital Link path after its primary key, decoded
// ("/x/01/0950.../10/A%2FB" -> {{"01","0950..."},{"10","A/B"}}); nullopt if malformed.
std::optional<std::vector<std::pair<std::string, std::string>>> PathPairs(absl::string_view path) {
  const size_t at = path.find("/01/");
  if (at == absl::string_view::npos) return std::nullopt;
  std::vector<absl::string_view> parts = absl::StrSplit(path.substr(at + 1), '/');
  if (parts.size() % 2 != 0) return std::nullopt;
  std::vector<std::pair<std::string, std::string>> out;
  for (size_t i = 0; i < parts.size(); i += 2) {
    std::optional<std::string> value = PercentDecode(parts[i + 1]);
    if (!value.has_value() || value->empty()) return std::nullopt;
    out.emplace_back(std::string(parts[i]), *std::move(value));
  }
  return out;
}

bool HasSerial(const std::vector<std::pair<std::string, std::string>>& pairs) {
  for (const auto& [ai, value] : pairs) {
    if (ai == "21") return true;
  }
  return false;
}

}  // namespace

std::optional<std::string> PercentDecode(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size() || !absl::ascii_isxdigit(text[i + 1]) ||
        !absl::ascii_isxdigit(text[i + 2])) {
      return std::nullopt;
    }
    const int v = std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16);
    if (v == 0) return std::nullopt;
    out += static_cast<char>(v);
    i += 2;
  }
  return out;
}

void UnitRoute::Answer(UnitRequest request, absl::AnyInvocable<void(HttpAnswer)> done) const {
  auto* c = new Call();
  c->request = std::move(request);
  c->done = std::move(done);
  c->start = absl::Now();
  const absl::string_view uri = c->request.uri;
  const size_t q = uri.find('?');
  c->path = std::string(uri.substr(0, q));
  std::vector<std::string> kept;
  for (absl::string_view kv : absl::StrSplit(q == absl::string_view::npos ? "" : uri.substr(q + 1),
                                             '&', absl::SkipEmpty())) {
    if (absl::ConsumePrefix(&kv, "linkType=")) {
      c->link_type = PercentDecode(kv).value_or("");
    } else {
      kept.emplace_back(kv);
    }
  }
  c->query = absl::StrJoin(kept, "&");
  c->format = Negotiate(c->request.accept, c->link_type);
  c->lang = messages_->Choose(c->request.accept_language);
  auto& h = c->answer.headers;
  h.emplace_back("Link", LinksetHeader(config_.public_base, c->path));
  h.emplace_back("Vary", "Accept, Accept-Language");
  h.emplace_back("Cache-Control", "no-store");  // a verdict is of this moment
  h.emplace_back("Content-Language", c->lang);
  // Limits first: the client's bucket, then everyone's.
  const std::string client_key = auth::AddressBucketKey(c->request.client, "web:", kClientBuckets);
  if (!limiter_->Acquire({{client_key, config_.per_client, 1}, {"web:all", config_.global, 1}},
                         c->start).ok()) {
    h.emplace_back("Retry-After", "2");
    c->verdict = PageVerdict::kBusy;
    c->answer.code = 429;
    if (c->format == Format::kJson) {
      c->answer.content_type = std::string(kJson);
      c->answer.body = "{\"error\":\"too many requests from your network; retry later\"}";
    } else {
      c->answer.content_type = std::string(kHtml);
      c->answer.body =
          RenderPage(PageVerdict::kBusy, c->response, nullptr, "", *messages_, c->lang);
    }
    auto finish = std::move(c->done);
    HttpAnswer a = std::move(c->answer);
    delete c;
    return finish(std::move(a));
  }
  std::optional<std::vector<std::pair<std::string, std::string>>> pairs = PathPairs(c->path);
  if (pairs.has_value() && !HasSerial(*pairs)) return ProductLink(c, *pairs);
  Verify(c);
}

void UnitRoute::ProductLink(
    Call* c, const std::vector<std::pair<std::string, std::string>>& pairs) const {
  std::string gtin;
  bool valid = true;
  for (const auto& [ai, value] : pairs) {
    if (ai == "01") {
      absl::StatusOr<std::string> g = gs1::NormalizeGtin(value, "gtin");
      valid = valid && g.ok() && gtin.empty();
      if (g.ok()) gtin = *g;
    } else if (ai == "10") {
      valid = valid && gs1::ValidateLot(value).ok();
    } else if (ai != "22") {
      valid = false;
    }
  }
  c->verdict = valid ? PageVerdict::kProductLink : PageVerdict::kNotGenuine;
  c->answer.code = valid ? 200 : 400;
  // Only a redirect or a linkset shows the product's entries (the page never does).
  if (!valid || !(IsRedirectType(c->link_type) || c->format == Format::kLinkset)) {
    return Finish(c);
  }
  // The product's own entries only: a product link claims nothing about a unit.
  Resolve(c, gtin, "", "", /*unit_levels=*/false);
}

void UnitRoute::Verify(Call* c) const {
  v1::VerifyRequest request;
  request.set_code(absl::StrCat(config_.public_base, c->request.uri));
  request.mutable_context()->set_channel("web");
  if (!c->request.country.empty()) request.mutable_context()->set_country(c->request.country);
  engine_->Verify(WebPrincipal(), request, c->start + config_.verify_timeout, &c->response,
                  [this, c](absl::Status status) {
                    if (!status.ok()) {
                      const bool invalid = absl::IsInvalidArgument(status);
                      c->answer.code = invalid ? 400 : 503;
                      c->verdict = invalid ? PageVerdict::kNotGenuine : PageVerdict::kUnavailable;
                      return Finish(c);
                    }
                    // Nothing about other people's scans, nor any case id, to an anonymous
                    // caller.
                    c->response.clear_scan_count();
                    c->response.clear_stolen_case_id();
                    c->verdict = ToPageVerdict(c->response);
                    const bool brand = ShowsBrand(c->verdict);
                    const bool product = c->verdict == PageVerdict::kUnverifiable;
                    const bool wanted = IsRedirectType(c->link_type) ||
                                        c->format == Format::kLinkset ||
                                        (c->format == Format::kHtml && brand);
                    if (!wanted || (!brand && !product)) return Finish(c);
                    Resolve(c, c->response.unit().gtin(), c->response.lot(),
                            c->response.unit().serial(), /*unit_levels=*/brand);
                  });
}

void UnitRoute::Resolve(Call* c, const std::string& gtin, const std::string& lot,
                        const std::string& serial, bool unit_levels) const {
  const bool links = links_ != nullptr && !gtin.empty();
  const bool reason = lifecycle_ != nullptr && c->verdict == PageVerdict::kRecalled &&
                      c->format == Format::kHtml;
  // The verdict matters more than these: without them (Redis slow), the answer goes on.
  auto join = FanIn::Create((links ? 1 : 0) + (reason ? 1 : 0), [this, c](absl::Status s) {
    if (!s.ok()) log::Warn("web: brand links unavailable", {{"error", std::string(s.message())}});
    Finish(c);
  });
  const absl::Time deadline = c->start + config_.verify_timeout;
  if (links) {
    links_->Resolve(gtin, lot, serial, unit_levels, deadline,
                    [c, join](absl::StatusOr<links::LinksEngine::Resolved> r) {
                      if (r.ok()) c->brand = *std::move(r);
                      join->Done(r.status());
                    });
  }
  if (reason) {
    lifecycle_->RecallReason(gtin, serial, deadline, [c, join](absl::StatusOr<std::string> r) {
      if (r.ok()) c->recall_reason = *std::move(r);
      join->Done(r.status());
    });
  }
}

void UnitRoute::Finish(Call* c) const {
  std::unique_ptr<Call> owned(c);
  HttpAnswer& a = c->answer;
  const bool ok = a.code == 200;
  // The reader's languages, not only those of our catalogues, choose among the brand's links.
  const std::vector<std::string> languages = AcceptedLanguages(c->request.accept_language);
  if (c->brand.has_value() && c->format == Format::kHtml) {
    c->brand->links = LinksFor(c->brand->links, languages);
  }
  if (ok && c->brand.has_value() && IsRedirectType(c->link_type)) {
    for (const v1::Link& l : LinksFor(c->brand->links, languages)) {
      if (l.link_type() != c->link_type) continue;
      a.code = 307;
      a.headers.emplace_back("Location", l.href());
      a.content_type = "text/plain; charset=utf-8";
      a.body = absl::StrCat("See ", l.href(), "\n");
      return c->done(std::move(a));
    }
  }
  if (c->format == Format::kJson) {
    a.content_type = std::string(kJson);
    if (ok && c->verdict != PageVerdict::kProductLink) {
      a.body = VerdictJson(c->response);
    } else if (a.code == 503) {
      a.body = "{\"error\":\"verification unavailable; retry later\"}";
    } else {
      a.code = 400;
      a.body = "{\"error\":\"not a Digital Link of a unit\"}";
    }
    return c->done(std::move(a));
  }
  if (c->format == Format::kLinkset && ok) {
    a.content_type = "application/linkset+json";
    a.body = Linkset(config_.public_base, c->path, c->query,
                     c->brand.has_value() ? c->brand->links : std::vector<v1::Link>());
    return c->done(std::move(a));
  }
  const links::LinksEngine::Resolved* brand =
      c->brand.has_value() && ShowsBrand(c->verdict) ? &*c->brand : nullptr;
  if (brand != nullptr && !brand->presentation.image_url().empty()) {
    a.image_origin = links::UrlOrigin(brand->presentation.image_url());
  }
  a.content_type = std::string(kHtml);
  a.body = RenderPage(c->verdict, c->response, brand, c->recall_reason, *messages_, c->lang);
  c->done(std::move(a));
}

}  // namespace hallmark::web
