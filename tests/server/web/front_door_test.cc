// The HTTP front door against the real server (Redis, engines, key ring), driven with curl as a
// phone's browser or an app would: the page for each verdict, its headers, JSON, the linkset,
// JWKS, health, and what a hostile caller gets (bad methods, huge URLs, floods).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hallmark/v1/lifecycle.grpc.pb.h"
#include "hallmark/v1/links.grpc.pb.h"
#include "tests/common/harness_test.h"
#include "tests/common/subprocess.h"

namespace hallmark::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

using Http = HttpReply;

class WebTest : public HarnessTest {
 protected:
  ServerHarness::Options HarnessOptions() override {
    ServerHarness::Options o;
    o.configure = [this](api::ServerConfig* c) {
      c->http_listen = "127.0.0.1:0";
      c->http_threads = 2;
      c->http_client_rate = 50;
      Configure(c);
    };
    return o;
  }
  // What a suite changes of the front door's configuration.
  virtual void Configure(api::ServerConfig*) {}

  // curl `target` (a path) with extra curl arguments; the answer split into head and body.
  Http Get(const std::string& target, const std::string& args = "") {
    return Curl(h_->server().http_port(), target, args);
  }

  // Sets the brand's entry at `scope` (as the issuer); false on any error.
  bool SetLinks(const v1::LinkScope& scope, const v1::Presentation& p,
                const std::vector<v1::Link>& links) {
    v1::SetLinksRequest r;
    *r.mutable_entry()->mutable_scope() = scope;
    *r.mutable_entry()->mutable_presentation() = p;
    for (const v1::Link& l : links) *r.mutable_entry()->add_links() = l;
    v1::LinkEntry out;
    grpc::Status s =
        v1::Links::NewStub(h_->channel())->SetLinks(h_->Context(kIssuer).get(), r, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return s.ok();
  }

  static v1::Link Link(const std::string& type, const std::string& href,
                       const std::string& title = "", const std::string& language = "") {
    v1::Link l;
    l.set_link_type(type);
    l.set_href(href);
    l.set_title(title);
    l.set_language(language);
    return l;
  }

  // The path and query of a unit's Digital Link (what a phone requests of the resolver).
  static std::string Target(const v1::IssuedUnit& u) {
    const std::string& dl = u.digital_link();
    return dl.substr(dl.find('/', dl.find("//") + 2));
  }
};

TEST_F(WebTest, AGenuineUnitGetsTheGenuinePageWithStrictHeaders) {
  const std::vector<v1::IssuedUnit> units = IssueUnits(1, "web-genuine", "L1");
  ASSERT_EQ(units.size(), 1u);
  const Http r = Get(Target(units[0]));
  ASSERT_EQ(r.status, 200) << r.head << r.body;
  EXPECT_THAT(r.body, HasSubstr("<h1>Genuine</h1>"));
  EXPECT_THAT(r.body, HasSubstr(units[0].unit().serial()));
  EXPECT_THAT(r.body, HasSubstr("<html lang=\"en\">"));
  EXPECT_THAT(r.body, Not(HasSubstr("<script")));
  EXPECT_THAT(r.head, HasSubstr("Content-Type: text/html; charset=utf-8"));
  EXPECT_THAT(r.head, HasSubstr("Content-Security-Policy: default-src 'none'; style-src 'sha256-"));
  EXPECT_THAT(r.head, HasSubstr("frame-ancestors 'none'"));
  EXPECT_THAT(r.head, HasSubstr("X-Content-Type-Options: nosniff"));
  EXPECT_THAT(r.head, HasSubstr("Referrer-Policy: no-referrer"));
  EXPECT_THAT(r.head, HasSubstr("Cache-Control: no-store"));
  EXPECT_THAT(r.head, HasSubstr("rel=\"linkset\""));
  EXPECT_THAT(r.head, Not(HasSubstr("Strict-Transport-Security")));  // not over TLS
  // A path cannot add link-values of its own to the Link header.
  const Http injected = Get("/x%3E%22/01/09506000134352/21/A>;rel=evil");
  EXPECT_THAT(injected.head, Not(HasSubstr(">;rel=evil")));
  // In German for a German phone.
  const Http de = Get(Target(units[0]), "-H 'Accept-Language: de-DE,de;q=0.9,en;q=0.5'");
  EXPECT_THAT(de.body, HasSubstr("<h1>Echt</h1>"));
  EXPECT_THAT(de.body, HasSubstr("<html lang=\"de\">"));
  // HEAD: the same status and headers, no body.
  const Http head = Get(Target(units[0]), "-I");
  EXPECT_EQ(head.status, 200);
  EXPECT_THAT(head.head, HasSubstr("rel=\"linkset\""));
  EXPECT_TRUE(head.body.empty());
}

TEST_F(WebTest, ATamperedOrUnsignedCodeIsNeverCalledGenuine) {
  const std::vector<v1::IssuedUnit> units = IssueUnits(1, "web-tamper", "L1");
  ASSERT_EQ(units.size(), 1u);
  std::string tampered = Target(units[0]);
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  const Http fake = Get(tampered);
  EXPECT_EQ(fake.status, 200);
  EXPECT_THAT(fake.body, HasSubstr("<h1>Not genuine</h1>"));
  EXPECT_THAT(fake.body, Not(HasSubstr(units[0].unit().serial())));  // no genuine-looking detail
  std::string unsigned_code = Target(units[0]);
  unsigned_code = unsigned_code.substr(0, unsigned_code.find('?'));
  const Http bare = Get(unsigned_code);
  EXPECT_THAT(bare.body, HasSubstr("<h1>Cannot be verified</h1>"));
  // A path that is no Digital Link of a unit.
  EXPECT_THAT(Get("/01/12345/21/X").body, HasSubstr("Not genuine"));
}

// A forged code costs Redis nothing: the signature check answers first. (Had the forged
// requests reached Redis, they would have counted as scans of the genuine unit they copy.)
TEST_F(WebTest, AForgedCodeNeverReachesRedis) {
  const std::vector<v1::IssuedUnit> units = IssueUnits(1, "web-forged", "L1");
  ASSERT_EQ(units.size(), 1u);
  std::string forged = Target(units[0]);
  forged.back() = forged.back() == 'A' ? 'B' : 'A';
  for (int i = 0; i < 5; ++i) EXPECT_THAT(Get(forged).body, HasSubstr("<h1>Not genuine</h1>"));
  v1::VerifyRequest request;
  request.set_code(units[0].digital_link());
  v1::VerifyResponse response;
  ASSERT_TRUE(verify_->Verify(h_->Context(kIssuer).get(), request, &response).ok());
  EXPECT_EQ(response.scan_count(), 1u);  // this one only
  Get(Target(units[0]));                 // a genuine web scan does count
  ASSERT_TRUE(verify_->Verify(h_->Context(kIssuer).get(), request, &response).ok());
  EXPECT_EQ(response.scan_count(), 3u);
}

TEST_F(WebTest, StolenAndRecalledUnitsSaySoWithoutCaseIds) {
  const std::vector<v1::IssuedUnit> units = IssueUnits(2, "web-states", "LOT9");
  ASSERT_EQ(units.size(), 2u);
  v1::ReportStolenRequest report;
  report.set_case_id("CASE-SECRET-1");
  report.set_agency("Metropolitan Police");
  *report.add_units() = units[0].unit();
  v1::ReportStolenResponse reported;
  ASSERT_TRUE(stolen_->ReportStolen(h_->Context(kPolice).get(), report, &reported).ok());
  const Http stolen = Get(Target(units[0]));
  EXPECT_THAT(stolen.body, HasSubstr("<h1>Reported stolen</h1>"));
  EXPECT_THAT(stolen.body, Not(HasSubstr("CASE-SECRET-1")));
  const Http stolen_json = Get(Target(units[0]), "-H 'Accept: application/json'");
  EXPECT_THAT(stolen_json.body, HasSubstr("\"verdict\":\"VERDICT_STOLEN\""));
  EXPECT_THAT(stolen_json.body, Not(HasSubstr("CASE-SECRET-1")));

  v1::RecallRequest recall;
  recall.set_gtin(kBrandGtin);
  recall.set_lot("LOT9");
  recall.set_reason("battery may overheat");
  recall.set_request_id("web-recall");
  v1::RecallResponse recalled;
  ASSERT_TRUE(lifecycle_->Recall(h_->Context(kIssuer).get(), recall, &recalled).ok());
  const Http page = Get(Target(units[1]));
  EXPECT_THAT(page.body, HasSubstr("<h1>Recalled</h1>"));
  EXPECT_THAT(page.body, HasSubstr("LOT9"));
  EXPECT_THAT(page.body, HasSubstr("The brand says: battery may overheat"));
}

TEST_F(WebTest, ALotHoldingMarkupIsShownAsText) {
  const std::vector<v1::IssuedUnit> units = IssueUnits(1, "web-xss", "<script>x</script>");
  ASSERT_EQ(units.size(), 1u);
  const Http r = Get(Target(units[0]));
  ASSERT_THAT(r.body, HasSubstr("<h1>Genuine</h1>"));
  EXPECT_THAT(r.body, HasSubstr("&lt;script&gt;x&lt;/script&gt;"));
  EXPECT_THAT(r.body, Not(HasSubstr("<script")));
}

TEST_F(WebTest, JsonLinksetJwksHealthAndResolverDescription) {
  const std::vector<v1::IssuedUnit> units = IssueUnits(1, "web-json", "L1");
  ASSERT_EQ(units.size(), 1u);
  const Http json = Get(Target(units[0]), "-H 'Accept: application/json'");
  EXPECT_EQ(json.status, 200);
  EXPECT_THAT(json.head, HasSubstr("Content-Type: application/json"));
  EXPECT_THAT(json.body, HasSubstr("\"verdict\":\"VERDICT_AUTHENTIC\""));
  EXPECT_THAT(json.body, HasSubstr(absl::StrCat("\"serial\":\"", units[0].unit().serial())));
  EXPECT_THAT(json.body, Not(HasSubstr("scanCount")));  // nobody else's scans
  const Http linkset = Get(Target(units[0]) + "&linkType=linkset");
  EXPECT_THAT(linkset.head, HasSubstr("Content-Type: application/linkset+json"));
  EXPECT_THAT(linkset.body, HasSubstr("\"linkset\":[{"));
  EXPECT_THAT(linkset.body, HasSubstr("\"https://gs1.org/voc/verificationService\":[{"));
  // Hallmark's links lead to the page of this very code (its signature included).
  const std::string query = Target(units[0]).substr(Target(units[0]).find('?'));
  EXPECT_THAT(linkset.body, HasSubstr(query + "\""));
  EXPECT_THAT(linkset.body, HasSubstr("\"https://gs1.org/voc/recallStatus\":[{"));
  const Http by_accept = Get(Target(units[0]), "-H 'Accept: application/linkset+json'");
  EXPECT_THAT(by_accept.body, HasSubstr("\"anchor\""));
  const Http jwks = Get("/.well-known/jwks.json");
  EXPECT_EQ(jwks.status, 200);
  EXPECT_THAT(jwks.head, HasSubstr("Cache-Control: public, max-age=300"));
  EXPECT_THAT(jwks.body, HasSubstr("\"kty\":\"EC\""));
  EXPECT_THAT(jwks.body, HasSubstr("\"crv\":\"P-256\""));
  EXPECT_THAT(jwks.body, HasSubstr("\"alg\":\"ES256\""));
  EXPECT_THAT(jwks.body, HasSubstr("\"hallmark_state\":\"ACTIVE\""));
  EXPECT_EQ(Get("/healthz").status, 200);
  const Http resolver = Get("/.well-known/gs1resolver");
  EXPECT_THAT(resolver.body, HasSubstr("\"supportedPrimaryKeys\":[\"01\"]"));
}

// The brand's presentation and links: shown on a genuine unit's page and linkset, redirected
// to by linkType, walking up unit -> lot -> GTIN -> company prefix; never for a counterfeit.
TEST_F(WebTest, BrandLinksWalkUpAndOnlyGenuineUnitsGetThem) {
  const std::vector<v1::IssuedUnit> units = IssueUnits(2, "web-links", "LOTW");
  ASSERT_EQ(units.size(), 2u);
  v1::LinkScope prefix, gtin, lot, unit;
  prefix.set_company_prefix("950600");
  gtin.set_gtin(kBrandGtin);
  lot.set_gtin(kBrandGtin);
  lot.set_lot("LOTW");
  unit.set_gtin(kBrandGtin);
  unit.set_serial(units[0].unit().serial());
  v1::Presentation brand;
  brand.set_brand_name("Acme");
  brand.set_support_contact("+49 30 1234 <help@acme.example>");
  ASSERT_TRUE(SetLinks(prefix, brand,
                       {Link("gs1:support", "https://acme.example/help", "Acme support")}));
  v1::Presentation product;
  product.set_product_name("Trail Runner 2");
  product.set_image_url("https://img.acme.example/tr2.png");
  ASSERT_TRUE(SetLinks(gtin, product,
                       {Link("gs1:pip", "https://acme.example/tr2", "Product page", "en"),
                        Link("gs1:pip", "https://acme.example/de/tr2", "Produktseite", "de"),
                        Link("gs1:pip", "https://acme.example/fr/tr2", "Page produit", "fr")}));
  ASSERT_TRUE(SetLinks(lot, {}, {Link("gs1:instructions", "https://acme.example/lotw.pdf")}));
  ASSERT_TRUE(SetLinks(unit, {}, {Link("gs1:pip", "https://acme.example/tr2/unit-0")}));

  // Unit 1: the lot's, the GTIN's and the prefix's entries.
  const std::string t1 = Target(units[1]);
  const Http page = Get(t1);
  ASSERT_THAT(page.body, HasSubstr("<h1>Genuine</h1>"));
  EXPECT_THAT(page.body, HasSubstr("Trail Runner 2"));
  EXPECT_THAT(page.body, HasSubstr("Acme"));
  EXPECT_THAT(page.body, HasSubstr("+49 30 1234 &lt;help@acme.example&gt;"));
  EXPECT_THAT(page.body, HasSubstr("alt=\"Trail Runner 2\""));
  EXPECT_THAT(page.body, HasSubstr("https://acme.example/tr2\""));
  EXPECT_THAT(page.body, HasSubstr("https://acme.example/lotw.pdf"));
  EXPECT_THAT(page.head, HasSubstr("img-src 'self' https://img.acme.example;"));
  const Http pip = Get(t1 + "&linkType=gs1:pip");
  EXPECT_EQ(pip.status, 307);
  EXPECT_THAT(pip.head, HasSubstr("Location: https://acme.example/tr2\r"));
  const Http pip_de = Get(t1 + "&linkType=gs1:pip", "-H 'Accept-Language: de'");
  EXPECT_THAT(pip_de.head, HasSubstr("Location: https://acme.example/de/tr2\r"));
  // A language the page has no catalogue for still picks the brand's link in it.
  const Http pip_fr = Get(t1 + "&linkType=gs1:pip", "-H 'Accept-Language: fr-CA, de;q=0.5'");
  EXPECT_THAT(pip_fr.head, HasSubstr("Location: https://acme.example/fr/tr2\r"));
  EXPECT_THAT(Get(t1 + "&linkType=gs1:instructions").head,
              HasSubstr("Location: https://acme.example/lotw.pdf"));
  EXPECT_THAT(Get(t1 + "&linkType=gs1:support").head,
              HasSubstr("Location: https://acme.example/help"));
  EXPECT_EQ(Get(t1 + "&linkType=gs1:pip", "-I").status, 307);  // HEAD too
  // A type nobody set: Hallmark's default, the verdict page.
  const Http none = Get(t1 + "&linkType=gs1:recipeInfo");
  EXPECT_EQ(none.status, 200);
  EXPECT_THAT(none.body, HasSubstr("<h1>Genuine</h1>"));
  const Http linkset = Get(t1 + "&linkType=linkset");
  EXPECT_THAT(linkset.body, HasSubstr("\"https://gs1.org/voc/pip\":[{"));
  EXPECT_THAT(linkset.body, HasSubstr("\"hreflang\":[\"de\"]"));
  EXPECT_THAT(linkset.body, HasSubstr("\"https://gs1.org/voc/instructions\""));
  // Unit 0: its own gs1:pip wins over the GTIN's.
  EXPECT_THAT(Get(Target(units[0]) + "&linkType=gs1:pip").head,
              HasSubstr("Location: https://acme.example/tr2/unit-0\r"));

  // A tampered code: no brand name, no links, no redirect, not even the product's.
  std::string tampered = Target(units[1]);
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  const Http fake = Get(tampered);
  EXPECT_THAT(fake.body, HasSubstr("<h1>Not genuine</h1>"));
  EXPECT_THAT(fake.body, Not(HasSubstr("Trail Runner")));
  EXPECT_THAT(fake.body, Not(HasSubstr("acme.example")));
  EXPECT_THAT(fake.head, Not(HasSubstr("img.acme.example")));
  const Http fake_pip = Get(tampered + "&linkType=gs1:pip");
  EXPECT_EQ(fake_pip.status, 200);
  EXPECT_THAT(fake_pip.body, HasSubstr("<h1>Not genuine</h1>"));
  EXPECT_THAT(Get(tampered + "&linkType=linkset").body, Not(HasSubstr("acme.example")));

  // An unsigned code and a product link: the product's links (GTIN, prefix), never the
  // lot's or the unit's, and a page without the brand's presentation.
  const std::string bare = t1.substr(0, t1.find('?'));
  EXPECT_THAT(Get(bare + "?linkType=gs1:pip").head,
              HasSubstr("Location: https://acme.example/tr2\r"));
  EXPECT_EQ(Get(bare + "?linkType=gs1:instructions").status, 200);
  const std::string product_link = absl::StrCat("/01/", kBrandGtin);
  EXPECT_THAT(Get(product_link + "?linkType=gs1:pip").head,
              HasSubstr("Location: https://acme.example/tr2\r"));
  const Http product_page = Get(product_link);
  EXPECT_EQ(product_page.status, 200);
  EXPECT_THAT(product_page.body, HasSubstr("<h1>Product link</h1>"));
  EXPECT_THAT(product_page.body, Not(HasSubstr("Trail Runner")));
  EXPECT_THAT(Get(product_link + "?linkType=linkset").body, HasSubstr("https://acme.example/tr2"));
  EXPECT_EQ(Get(product_link, "-H 'Accept: application/json'").status, 400);
}

TEST_F(WebTest, HostileRequestsGetClearRefusals) {
  EXPECT_EQ(Get("/nothing-here").status, 404);
  EXPECT_EQ(Get("/01/09506000134352", "-X POST").status, 405);
  EXPECT_EQ(Get("/01/09506000134352", "-X POST -d x=1").status, 413);  // no body is accepted
  EXPECT_EQ(Get("/01/" + std::string(5000, '1')).status, 414);
  EXPECT_EQ(Get("/healthz", "-H 'X-Big: " + std::string(20000, 'a') + "'").status / 100, 4);
}

// A raw keep-alive HTTP/1.1 connection to the front door.
class RawConnection {
 public:
  explicit RawConnection(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  }
  ~RawConnection() { close(fd_); }
  // Sends a GET /healthz and waits up to `wait` for an answer's first bytes.
  bool Answered(absl::Duration wait) {
    const std::string req = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    if (!connected_ || send(fd_, req.data(), req.size(), MSG_NOSIGNAL) < 0) return false;
    return Read(wait);
  }
  bool Read(absl::Duration wait) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(wait))) != 1) return false;
    char buf[4096];
    return recv(fd_, buf, sizeof(buf), 0) > 0;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

class WebCapTest : public WebTest {
 protected:
  void Configure(api::ServerConfig* c) override {
    c->http_threads = 1;
    c->http_max_connections = 3;
  }
};

// Keep-alive connections at the cap: the front door stops accepting, so the next client is
// not served until one of them closes (then it is, from the backlog).
TEST_F(WebCapTest, AtTheConnectionCapNewClientsWaitForAFreeSlot) {
  const int port = h_->server().http_port();
  std::vector<std::unique_ptr<RawConnection>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<RawConnection>(port));
    ASSERT_TRUE(held.back()->Answered(absl::Seconds(10))) << i;
  }
  RawConnection waiting(port);  // accepted by the kernel's backlog only
  EXPECT_FALSE(waiting.Answered(absl::Seconds(1)));
  held.clear();  // the slots free up
  EXPECT_TRUE(waiting.Read(absl::Seconds(20)));
}

// The server shuts down cleanly while a loop is paused at the cap (each closing connection
// must not re-enable the listener evhttp has already freed).
TEST_F(WebCapTest, ShuttingDownAtTheCapIsClean) {
  std::vector<std::unique_ptr<RawConnection>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<RawConnection>(h_->server().http_port()));
    ASSERT_TRUE(held.back()->Answered(absl::Seconds(10))) << i;
  }
  h_.reset();  // the connections are still open
}

class WebLimitTest : public WebTest {
 protected:
  void Configure(api::ServerConfig* c) override {
    c->http_client_rate = 1;  // burst 3
    c->trusted_proxies = "127.0.0.0/8";
  }
};

// A flood from one address is refused 429 with Retry-After, without costing other clients
// (behind a trusted proxy, each X-Forwarded-For address has its own bucket).
TEST_F(WebLimitTest, AFloodFromOneClientIsRefusedWithoutBlockingOthers) {
  const std::vector<v1::IssuedUnit> units = IssueUnits(1, "web-flood", "L1");
  ASSERT_EQ(units.size(), 1u);
  int refused = 0;
  for (int i = 0; i < 10; ++i) {
    const Http r = Get(Target(units[0]), "-H 'X-Forwarded-For: 198.51.100.7'");
    if (r.status == 429) {
      ++refused;
      EXPECT_THAT(r.head, HasSubstr("Retry-After:"));
      EXPECT_THAT(r.body, HasSubstr("Too many checks"));
    }
  }
  EXPECT_GE(refused, 5);
  // A client's own X-Forwarded-For line does not earn it a fresh bucket: the proxy's line
  // (joined after it) names the real address.
  int refused_forged = 0;
  for (int i = 0; i < 6; ++i) {
    const Http r = Get(Target(units[0]), absl::StrCat("-H 'X-Forwarded-For: 203.0.113.", i,
                                                      "' -H 'X-Forwarded-For: 198.51.100.7'"));
    if (r.status == 429) ++refused_forged;
  }
  EXPECT_EQ(refused_forged, 6);
  const Http other = Get(Target(units[0]), "-H 'X-Forwarded-For: 198.51.100.8'");
  EXPECT_EQ(other.status, 200);
  EXPECT_THAT(other.body, HasSubstr("<h1>Genuine</h1>"));
  // RFC 7239 Forwarded names clients too (and its proto=https turns on HSTS).
  const Http forwarded =
      Get(Target(units[0]), "-H 'Forwarded: for=\"[2001:db8::7]:1234\";proto=https'");
  EXPECT_EQ(forwarded.status, 200);
  EXPECT_THAT(forwarded.head, HasSubstr("Strict-Transport-Security"));
}

}  // namespace
}  // namespace hallmark::testing
