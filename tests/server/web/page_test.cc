// The consumer page and its words, without a server: every catalogue has English's keys, the
// language follows Accept-Language, values are escaped, and a page never carries a script.
#include "server/web/page.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/auth/client_address.h"
#include "server/web/messages.h"
#include "common/files.h"
#include "tests/common/status_matchers.h"
#include "tests/common/subprocess.h"
#include "tests/common/temp_dir.h"

namespace hallmark::web {
namespace {

using ::hallmark::testing::IsOk;
using ::hallmark::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(MessagesTest, EveryCatalogueHasEnglishsKeysAndLanguagesFollowAcceptLanguage) {
  auto m = Messages::Load();
  ASSERT_THAT(m, IsOk());
  EXPECT_THAT((*m)->languages(), ::testing::Contains("de"));
  EXPECT_EQ((*m)->Choose("de-CH,de;q=0.9,en;q=0.5"), "de");
  EXPECT_EQ((*m)->Choose("fr-FR, en;q=0.4, de;q=0.6"), "de");
  EXPECT_EQ((*m)->Choose("xx"), "en");
  EXPECT_EQ((*m)->Choose(""), "en");
  EXPECT_EQ((*m)->Get("de", "genuine.heading"), "Echt");
  EXPECT_THAT(Messages::FromTexts({{"en", "a = 1\nb = 2\n"}, {"de", "a = eins\n"}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("missing key b")));
  EXPECT_THAT(Messages::FromTexts({{"en", "a = 1\nno equals sign\n"}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 2")));
}

TEST(PageTest, ValuesAreEscapedAndNothingRuns) {
  auto m = Messages::Load();
  ASSERT_THAT(m, IsOk());
  v1::VerifyResponse r;
  r.set_verdict(v1::VERDICT_AUTHENTIC);
  r.mutable_unit()->set_gtin("09506000134352");
  r.mutable_unit()->set_serial("S1");
  r.set_lot("<script>x</script>");
  const std::string html = RenderPage(ToPageVerdict(r), r, nullptr, "", **m, "en");
  EXPECT_THAT(html, HasSubstr("&lt;script&gt;x&lt;/script&gt;"));
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, HasSubstr("<html lang=\"en\">"));
  EXPECT_THAT(html, HasSubstr("<h1>Genuine</h1>"));
  EXPECT_THAT(PageCsp(), HasSubstr("default-src 'none'"));
  EXPECT_THAT(PageCsp(), Not(HasSubstr("script-src")));
}

TEST(PageTest, OnlyTheBrandsOwnUnitsShowTheirDetails) {
  auto m = Messages::Load();
  ASSERT_THAT(m, IsOk());
  v1::VerifyResponse r;
  r.mutable_unit()->set_serial("SERIAL-XYZ");
  r.set_lot("LOT-7");
  r.set_verdict(v1::VERDICT_COUNTERFEIT);
  r.add_reasons("signature_invalid");
  std::string html = RenderPage(ToPageVerdict(r), r, nullptr, "", **m, "en");
  EXPECT_THAT(html, HasSubstr("Not genuine"));
  EXPECT_THAT(html, Not(HasSubstr("SERIAL-XYZ")));
  r.clear_reasons();
  r.add_reasons("digsig_missing");
  EXPECT_EQ(ToPageVerdict(r), PageVerdict::kUnverifiable);
  r.set_verdict(v1::VERDICT_STOLEN);
  html = RenderPage(ToPageVerdict(r), r, nullptr, "", **m, "en");
  EXPECT_THAT(html, HasSubstr("Reported stolen"));
  EXPECT_THAT(html, Not(HasSubstr("SERIAL-XYZ")));
  r.set_verdict(v1::VERDICT_RECALLED);
  EXPECT_THAT(RenderPage(ToPageVerdict(r), r, nullptr, "", **m, "en"), HasSubstr("LOT-7"));
  r.set_verdict(v1::VERDICT_SUSPECT_CLONE);
  EXPECT_THAT(RenderPage(ToPageVerdict(r), r, nullptr, "", **m, "en"), HasSubstr("Possibly copied"));
  // A genuine unit past its expiry date: its dates and a warning, the verdict kept.
  r.set_verdict(v1::VERDICT_AUTHENTIC);
  r.set_expiry_date("260200");
  r.set_production_date("250115");
  r.set_expired(true);
  html = RenderPage(ToPageVerdict(r), r, nullptr, "", **m, "en");
  EXPECT_THAT(html, HasSubstr("<h1>Genuine</h1>"));
  EXPECT_THAT(html, HasSubstr("<dt>Use by</dt><dd>2026-02-28</dd>"));
  EXPECT_THAT(html, HasSubstr("<dt>Produced</dt><dd>2025-01-15</dd>"));
  EXPECT_THAT(html, HasSubstr("past its expiry date"));
  EXPECT_THAT(RenderPage(ToPageVerdict(r), r, nullptr, "", **m, "de"),
              HasSubstr("Verfallsdatum"));
  // Not on a counterfeit's page, which shows no unit detail at all.
  r.set_verdict(v1::VERDICT_COUNTERFEIT);
  EXPECT_THAT(RenderPage(ToPageVerdict(r), r, nullptr, "", **m, "en"),
              Not(HasSubstr("past its expiry")));
}

TEST(ClientAddressTest, ProxyHeadersAreBelievedOnlyFromTrustedProxies) {
  auto trusted = auth::ParseCidrs("10.0.0.0/8, fd00::/8");
  ASSERT_THAT(trusted, IsOk());
  EXPECT_EQ(auth::ClientAddress("203.0.113.9", "198.51.100.1", *trusted), "203.0.113.9");
  EXPECT_EQ(auth::ClientAddress("10.1.2.3", "198.51.100.1, 10.9.9.9", *trusted), "198.51.100.1");
  // A client's own forged entry left of the real one is not believed.
  EXPECT_EQ(auth::ClientAddress("10.1.2.3", "1.2.3.4, 198.51.100.1", *trusted), "198.51.100.1");
  EXPECT_EQ(auth::ClientAddress("10.1.2.3", "junk", *trusted), "10.1.2.3");
  // An IPv4 client of a dual-stack socket is that IPv4 address, for buckets and proxy ranges.
  EXPECT_NE(auth::AddressBucketKey("::ffff:192.0.2.1", "w:", 1 << 30),
            auth::AddressBucketKey("::ffff:192.0.2.2", "w:", 1 << 30));
  EXPECT_EQ(auth::AddressBucketKey("::ffff:192.0.2.1", "w:", 1 << 30),
            auth::AddressBucketKey("192.0.2.1", "w:", 1 << 30));
  EXPECT_EQ(auth::ClientAddress("::ffff:10.1.2.3", "198.51.100.1", *trusted), "198.51.100.1");
  // RFC 7239 Forwarded reads as the same list.
  EXPECT_EQ(auth::ForwardedForList(
                "for=192.0.2.60;proto=http;by=203.0.113.43, For=\"[2001:db8:cafe::17]:4711\", "
                "for=unknown, for=\"198.51.100.1:80\";proto=https"),
            "192.0.2.60, 2001:db8:cafe::17, unknown, 198.51.100.1");
  EXPECT_EQ(auth::ForwardedProto("for=1.2.3.4;proto=http, for=10.0.0.1;Proto=HTTPS"), "https");
  EXPECT_EQ(auth::ForwardedProto(""), "");
  EXPECT_EQ(auth::ClientAddress("10.1.2.3",
                                auth::ForwardedForList("for=1.2.3.4, for=_hidden, for=10.9.9.9"),
                                *trusted),
            "10.9.9.9");  // an obfuscated hop ends the walk: nothing left of it is believed
  EXPECT_THAT(auth::ParseCidrs("10.0.0.0/33"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(auth::ParseCidrs("example.com"), StatusIs(absl::StatusCode::kInvalidArgument));
  // One IPv6 /64 is one client; IPv4 addresses are apart.
  EXPECT_EQ(auth::AddressBucketKey("2001:db8:1:2::1", "w:", 4096),
            auth::AddressBucketKey("2001:db8:1:2:ffff::9", "w:", 4096));
  EXPECT_NE(auth::AddressBucketKey("192.0.2.1", "w:", 1 << 30),
            auth::AddressBucketKey("192.0.2.2", "w:", 1 << 30));
}

// Every page, in every language, with and without the brand's section, passes HTML Tidy
// (HTML5) without a warning — `tidy` exits 1 on a warning, 2 on an error.
TEST(PageTest, EveryPageIsValidHtml5) {
  auto m = Messages::Load();
  ASSERT_THAT(m, IsOk());
  links::LinksEngine::Resolved brand;
  brand.presentation.set_product_name("Trail <Runner> 2");
  brand.presentation.set_brand_name("Acme & Co");
  brand.presentation.set_image_url("https://img.acme.example/tr2.png?size=2&x=1");
  brand.presentation.set_support_contact("+49 30 1234");
  v1::Link l;
  l.set_link_type("gs1:pip");
  l.set_href("https://acme.example/tr2?a=1&b=2");
  brand.links.push_back(l);
  v1::VerifyResponse r;
  r.mutable_unit()->set_gtin("09506000134352");
  r.mutable_unit()->set_serial("S1");
  r.set_lot("<L1>");
  r.set_expiry_date("200100");
  r.set_production_date("190115");
  r.set_expired(true);
  testing::TempDir tmp;
  const std::string file = tmp.path() + "/page.html";
  int pages = 0;
  for (int v = 0; v <= static_cast<int>(PageVerdict::kBusy); ++v) {
    for (const std::string& lang : (*m)->languages()) {
      for (const links::LinksEngine::Resolved* b : {&brand, static_cast<decltype(&brand)>(nullptr)}) {
        const std::string html =
            RenderPage(static_cast<PageVerdict>(v), r, b, "strap <may> break", **m, lang);
        ASSERT_THAT(WriteFileAtomically(file, html), IsOk());
        const std::string out =
            testing::RunShell("tidy -q -e " + file + " 2>&1; echo \"rc=$?\"");
        EXPECT_THAT(out, HasSubstr("rc=0")) << PageKey(static_cast<PageVerdict>(v)) << " " << lang
                                            << "\n" << out << "\n" << html;
        ++pages;
      }
    }
  }
  EXPECT_GE(pages, 44);
}

}  // namespace
}  // namespace hallmark::web
