// The consumer page as a person sees it: headless Chromium (Debian's `chromium`) loads the
// front door of a real server for each verdict and the DOM it built is checked — the visible
// verdict, the language switch, that a lot holding markup stays text and that no script ran.
// With HALLMARK_SCREENSHOT_DIR set, the genuine and the counterfeit page are also saved there
// as phone-sized PNGs (docs/make-screenshots.sh).
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "crypto/code_signing.h"
#include "crypto/key_ring.h"
#include "gmock/gmock.h"
#include "gs1/digital_link.h"
#include "gtest/gtest.h"
#include "hallmark/v1/links.grpc.pb.h"
#include "tests/common/harness_test.h"
#include "tests/common/subprocess.h"

namespace hallmark::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class BrowserTest : public HarnessTest {
 protected:
  ServerHarness::Options HarnessOptions() override {
    ServerHarness::Options o;
    o.configure = [](api::ServerConfig* c) {
      c->http_listen = "127.0.0.1:0";
      c->http_client_rate = 100;
    };
    return o;
  }

  // Chromium's flags for a quiet, isolated, phone-sized run.
  std::string Chromium(const std::string& language) const {
    return absl::StrCat(
        "chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-sync "
        "--disable-background-networking --disable-component-update --hide-scrollbars "
        "--user-data-dir=", h_->dir(), "/chromium --window-size=412,915 --accept-lang=",
        language, " ");
  }

  std::string Url(const std::string& target) const {
    return absl::StrCat("http://127.0.0.1:", h_->server().http_port(), target);
  }

  // The DOM after the page loaded (scripts, had any run, would have changed it).
  std::string Dom(const std::string& target, const std::string& language = "en-US") {
    return RunShell(absl::StrCat(Chromium(language), "--dump-dom '", Url(target),
                                 "' 2>/dev/null"));
  }

  void Screenshot(const std::string& target, const std::string& name) {
    const char* dir = std::getenv("HALLMARK_SCREENSHOT_DIR");
    if (dir == nullptr || *dir == '\0') return;
    RunShell(absl::StrCat(Chromium("en-US"), "--screenshot=", dir, "/", name, " '",
                          Url(target), "' 2>/dev/null"));
  }

  static std::string Target(const std::string& digital_link) {
    return digital_link.substr(digital_link.find('/', digital_link.find("//") + 2));
  }

  // A code signed by the server's key for a unit nobody registered.
  std::string Unregistered(const std::string& serial) {
    auto ring = crypto::KeyRing::LoadDirectory(h_->keys_dir(), true);
    gs1::UnitCode code{kBrandGtin, serial, "L1", ""};
    code.digsig = *crypto::SignUnit(**ring, code.gtin, code.serial, code.lot);
    return Target(*gs1::FormatDigitalLink("id.brand.example", code));
  }

  void SetBrand() {
    v1::SetLinksRequest r;
    r.mutable_entry()->mutable_scope()->set_gtin(kBrandGtin);
    v1::Presentation* p = r.mutable_entry()->mutable_presentation();
    p->set_product_name("Trail Runner 2");
    p->set_brand_name("Acme Outdoor");
    p->set_support_contact("+49 30 1234 567");
    v1::Link* l = r.mutable_entry()->add_links();
    l->set_link_type("gs1:pip");
    l->set_href("https://acme.example/trail-runner-2");
    l->set_title("Product page");
    v1::LinkEntry out;
    ASSERT_TRUE(
        v1::Links::NewStub(h_->channel())->SetLinks(h_->Context(kIssuer).get(), r, &out).ok());
  }
};

// The visible verdict of every kind of code a consumer may scan.
TEST_F(BrowserTest, EachVerdictReadsPlainlyInTheBrowser) {
  SetBrand();
  const std::vector<v1::IssuedUnit> units = IssueUnits(3, "browser", "L1");
  ASSERT_EQ(units.size(), 3u);
  const std::string genuine = Target(units[0].digital_link());
  std::string dom = Dom(genuine);
  EXPECT_THAT(dom, HasSubstr("<h1>Genuine</h1>"));
  EXPECT_THAT(dom, HasSubstr("Trail Runner 2"));
  EXPECT_THAT(dom, HasSubstr("<html lang=\"en\">"));
  Screenshot(genuine, "genuine.png");
  // The same page for a German phone.
  dom = Dom(genuine, "de-DE,de");
  EXPECT_THAT(dom, HasSubstr("<h1>Echt</h1>"));
  EXPECT_THAT(dom, HasSubstr("<html lang=\"de\">"));

  std::string counterfeit = genuine;
  counterfeit.back() = counterfeit.back() == 'A' ? 'B' : 'A';
  dom = Dom(counterfeit);
  EXPECT_THAT(dom, HasSubstr("<h1>Not genuine</h1>"));
  EXPECT_THAT(dom, Not(HasSubstr("Trail Runner")));  // no genuine-looking page
  Screenshot(counterfeit, "counterfeit.png");

  EXPECT_THAT(Dom(Unregistered("NEVERISSUED7")), HasSubstr("<h1>Unknown to the brand</h1>"));
  EXPECT_THAT(Dom(genuine.substr(0, genuine.find('?'))), HasSubstr("<h1>Cannot be verified</h1>"));

  v1::ReportStolenRequest report;
  report.set_case_id("CASE-B1");
  report.set_agency("Metropolitan Police");
  *report.add_units() = units[1].unit();
  v1::ReportStolenResponse reported;
  ASSERT_TRUE(stolen_->ReportStolen(h_->Context(kPolice).get(), report, &reported).ok());
  dom = Dom(Target(units[1].digital_link()));
  EXPECT_THAT(dom, HasSubstr("<h1>Reported stolen</h1>"));
  EXPECT_THAT(dom, HasSubstr("tell the police"));
  EXPECT_THAT(dom, Not(HasSubstr("CASE-B1")));

  v1::RecallRequest recall;
  recall.set_gtin(kBrandGtin);
  *recall.add_units() = units[2].unit();
  recall.set_reason("strap may break");
  recall.set_request_id("browser-recall");
  v1::RecallResponse recalled;
  ASSERT_TRUE(lifecycle_->Recall(h_->Context(kIssuer).get(), recall, &recalled).ok());
  dom = Dom(Target(units[2].digital_link()));
  EXPECT_THAT(dom, HasSubstr("<h1>Recalled</h1>"));
  EXPECT_THAT(dom, HasSubstr("The brand says: strap may break"));  // the unit's own recall
  EXPECT_THAT(dom, HasSubstr("Trail Runner 2"));  // the brand's links help follow the recall
}

// A lot of "<script>..." is shown as text: the DOM Chromium built holds no script element, so
// nothing ran (and the CSP forbids scripts anyway). The control page shows that this Chromium
// does run scripts, so the check can fail.
TEST_F(BrowserTest, MarkupInALotIsTextAndNoScriptRuns) {
  const std::vector<v1::IssuedUnit> units = IssueUnits(1, "browser-xss", "<script>x()</script>");
  ASSERT_EQ(units.size(), 1u);
  const std::string dom = Dom(Target(units[0].digital_link()));
  ASSERT_THAT(dom, HasSubstr("<h1>Genuine</h1>"));
  EXPECT_THAT(dom, HasSubstr("&lt;script&gt;x()&lt;/script&gt;"));
  EXPECT_THAT(dom, Not(HasSubstr("<script")));
  EXPECT_THAT(dom, Not(::testing::ContainsRegex(" on[a-z]+=")));  // nor any event handler

  const std::string control = absl::StrCat(h_->dir(), "/control.html");
  RunShell(absl::StrCat("printf '%s' '<!DOCTYPE html><p id=a>before</p><script>"
                        "document.getElementById(\"a\").textContent=\"ran\"</script>' > ",
                        control));
  EXPECT_THAT(RunShell(absl::StrCat(Chromium("en"), "--dump-dom file://", control,
                                    " 2>/dev/null")),
              HasSubstr(">ran</p>"));
}

}  // namespace
}  // namespace hallmark::testing
