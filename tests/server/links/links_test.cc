// LinksEngine on RedisLinksStore against a real, durable redis-server: issuers' entries set,
// listed, deleted and resolved (walk-up), what is refused and why, the per-GTIN cap, and the
// company prefix cache.
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/links/link_rules.h"
#include "server/links/links_engine.h"
#include "server/redis/async_redis_client.h"
#include "server/registry/redis_links_store.h"
#include "server/registry/redis_registry.h"
#include "tests/common/await.h"
#include "tests/common/redis_server.h"
#include "tests/common/status_matchers.h"
#include "tests/common/temp_dir.h"

namespace hallmark::links {
namespace {

using ::hallmark::testing::IsOk;
using ::hallmark::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kGtin[] = "09506000134352";

auth::Principal Issuer(const std::string& name, const std::string& prefix) {
  auth::Principal p;
  p.set_name(name);
  p.set_role(admin::ROLE_ISSUER);
  p.add_gs1_company_prefixes(prefix);
  return p;
}

v1::Link Link(const std::string& type, const std::string& href, const std::string& lang = "") {
  v1::Link l;
  l.set_link_type(type);
  l.set_href(href);
  l.set_language(lang);
  return l;
}

v1::SetLinksRequest Entry(const std::string& gtin, const std::string& lot,
                          const std::string& serial, std::vector<v1::Link> links,
                          const std::string& name = "") {
  v1::SetLinksRequest r;
  r.mutable_entry()->mutable_scope()->set_gtin(gtin);
  r.mutable_entry()->mutable_scope()->set_lot(lot);
  r.mutable_entry()->mutable_scope()->set_serial(serial);
  r.mutable_entry()->mutable_presentation()->set_product_name(name);
  for (v1::Link& l : links) *r.mutable_entry()->add_links() = std::move(l);
  return r;
}

v1::SetLinksRequest PrefixEntry(const std::string& prefix, const std::string& brand) {
  v1::SetLinksRequest r;
  r.mutable_entry()->mutable_scope()->set_company_prefix(prefix);
  r.mutable_entry()->mutable_presentation()->set_brand_name(brand);
  return r;
}

class LinksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto redis = testing::RedisServer::Start(tmp_.path(), "");
    ASSERT_THAT(redis, IsOk());
    redis_ = *std::move(redis);
    redis::AsyncRedisClient::Options o;
    o.address = redis_->address();
    registry::UseRegistryInit(&o, /*allow_volatile=*/false);
    auto client = redis::AsyncRedisClient::Start(std::move(o));
    ASSERT_THAT(client, IsOk());
    client_ = *std::move(client);
    ASSERT_THAT(client_->WaitUntilReady(absl::Seconds(10)), IsOk());
    store_ = std::make_unique<registry::RedisLinksStore>(client_.get());
    engine_ = NewEngine();
  }

  std::unique_ptr<LinksEngine> NewEngine(size_t max_per_gtin = 1000) {
    LinksOptions o;
    o.max_entries_per_gtin = max_per_gtin;
    o.clock = [this] { return now_; };
    return std::make_unique<LinksEngine>(store_.get(), o);
  }

  absl::Status Set(const v1::SetLinksRequest& r, LinksEngine* engine = nullptr,
                   const auth::Principal& who = Issuer("acme", "950600")) {
    v1::LinkEntry out;
    return testing::Await<bool>([&](auto done) {
             (engine ? engine : engine_.get())
                 ->Set(who, r, absl::Now() + absl::Seconds(5), &out,
                       [done = std::move(done)](absl::Status s) mutable {
                         if (s.ok()) return done(true);
                         done(s);
                       });
           })
        .status();
  }

  absl::StatusOr<v1::ListLinksResponse> List(const v1::ListLinksRequest& r) {
    v1::ListLinksResponse out;
    absl::Status s = testing::Await<bool>([&](auto done) {
                       engine_->List(Issuer("acme", "950600"), r, absl::Now() + absl::Seconds(5),
                                     &out, [done = std::move(done)](absl::Status s) mutable {
                                       if (s.ok()) return done(true);
                                       done(s);
                                     });
                     }).status();
    if (!s.ok()) return s;
    return out;
  }

  absl::StatusOr<LinksEngine::Resolved> Resolve(const std::string& lot, const std::string& serial,
                                                bool unit_levels, LinksEngine* engine = nullptr) {
    return testing::Await<LinksEngine::Resolved>([&](auto done) {
      (engine ? engine : engine_.get())
          ->Resolve(kGtin, lot, serial, unit_levels, absl::Now() + absl::Seconds(5),
                    std::move(done));
    });
  }

  testing::TempDir tmp_;
  std::unique_ptr<testing::RedisServer> redis_;
  std::unique_ptr<redis::AsyncRedisClient> client_;
  std::unique_ptr<registry::RedisLinksStore> store_;
  std::unique_ptr<LinksEngine> engine_;
  absl::Time now_ = absl::FromUnixSeconds(1'800'000'000);
};

TEST_F(LinksTest, EntriesAreSetListedResolvedByWalkingUpAndDeleted) {
  ASSERT_THAT(Set(PrefixEntry("950600", "Acme")), IsOk());
  ASSERT_THAT(Set(Entry("9506000134352", "", "", {Link("gs1:pip", "https://a.example/p")},
                        "Runner")),
              IsOk());  // a GTIN-13 is stored as its GTIN-14
  ASSERT_THAT(Set(Entry(kGtin, "L1", "", {Link("gs1:instructions", "https://a.example/l1")})),
              IsOk());
  ASSERT_THAT(Set(Entry(kGtin, "", "S1", {Link("gs1:pip", "https://a.example/s1")}, "Mine")),
              IsOk());

  absl::StatusOr<LinksEngine::Resolved> unit = Resolve("L1", "S1", /*unit_levels=*/true);
  ASSERT_THAT(unit, IsOk());
  EXPECT_EQ(unit->presentation.product_name(), "Mine");  // the unit's own
  EXPECT_EQ(unit->presentation.brand_name(), "Acme");    // from the company prefix
  ASSERT_EQ(unit->links.size(), 2u);
  EXPECT_EQ(unit->links[0].href(), "https://a.example/s1");  // the unit's pip, not the GTIN's
  EXPECT_EQ(unit->links[1].href(), "https://a.example/l1");
  // Without the unit's levels (a code not proven genuine): the product's only.
  absl::StatusOr<LinksEngine::Resolved> product = Resolve("L1", "S1", /*unit_levels=*/false);
  ASSERT_THAT(product, IsOk());
  EXPECT_EQ(product->presentation.product_name(), "Runner");
  ASSERT_EQ(product->links.size(), 1u);
  EXPECT_EQ(product->links[0].href(), "https://a.example/p");

  // The GTIN's three entries, one page at a time.
  std::vector<std::string> seen;
  v1::ListLinksRequest list;
  list.mutable_scope()->set_gtin(kGtin);
  list.set_page_size(1);
  for (int page = 0; page < 10; ++page) {
    absl::StatusOr<v1::ListLinksResponse> r = List(list);
    ASSERT_THAT(r, IsOk());
    for (const v1::LinkEntry& e : r->entries()) {
      seen.push_back(e.scope().lot() + "|" + e.scope().serial());
      EXPECT_EQ(e.updated_by(), "acme");
      EXPECT_EQ(e.updated_at().seconds(), absl::ToUnixSeconds(now_));
    }
    if (r->next_page_token().empty()) break;
    list.set_page_token(r->next_page_token());
  }
  EXPECT_THAT(seen, ::testing::UnorderedElementsAre("|", "L1|", "|S1"));
  v1::ListLinksRequest by_prefix;
  by_prefix.mutable_scope()->set_company_prefix("950600");
  absl::StatusOr<v1::ListLinksResponse> prefixes = List(by_prefix);
  ASSERT_THAT(prefixes, IsOk());
  ASSERT_EQ(prefixes->entries_size(), 1);
  EXPECT_EQ(prefixes->entries(0).presentation().brand_name(), "Acme");

  // Deleting twice is harmless; the walk-up then finds the GTIN's pip.
  for (bool want : {true, false}) {
    v1::DeleteLinksRequest del;
    del.mutable_scope()->set_gtin(kGtin);
    del.mutable_scope()->set_serial("S1");
    v1::DeleteLinksResponse out;
    ASSERT_THAT(testing::Await<bool>([&](auto done) {
                  engine_->Delete(Issuer("acme", "950600"), del, absl::Now() + absl::Seconds(5),
                                  &out, [done = std::move(done)](absl::Status s) mutable {
                                    if (s.ok()) return done(true);
                                    done(s);
                                  });
                }),
                IsOk());
    EXPECT_EQ(out.deleted(), want);
  }
  unit = Resolve("L1", "S1", true);
  ASSERT_THAT(unit, IsOk());
  ASSERT_EQ(unit->links.size(), 2u);
  EXPECT_EQ(unit->links[0].href(), "https://a.example/l1");  // the lot's, then the GTIN's
  EXPECT_EQ(unit->links[1].href(), "https://a.example/p");
}

TEST_F(LinksTest, BadEntriesAndForeignScopesAreRefusedAndChangeNothing) {
  using C = absl::StatusCode;
  struct Case {
    v1::SetLinksRequest request;
    C code;
    std::string message;
  };
  std::vector<Case> cases = {
      {Entry(kGtin, "", "", {Link("pip", "https://a.example/")}), C::kInvalidArgument,
       "links[0].link_type"},
      {Entry(kGtin, "", "", {Link("gs1:verificationService", "https://a.example/")}),
       C::kInvalidArgument, "this service's own"},
      {Entry(kGtin, "", "", {Link("gs1:pip", "http://a.example/")}), C::kInvalidArgument,
       "links[0].href: must start with https://"},
      {Entry(kGtin, "", "", {Link("gs1:pip", "https://a.example/\"><script>")}),
       C::kInvalidArgument, "percent-encoded"},
      {Entry(kGtin, "", "", {Link("gs1:pip", "https://a b.example/")}), C::kInvalidArgument,
       "links[0].href"},
      {Entry(kGtin, "", "", {Link("gs1:pip", "https://a.example/", "en US")}),
       C::kInvalidArgument, "links[0].language"},
      {Entry(kGtin, "L1", "S1", {}), C::kInvalidArgument, "scope"},
      {Entry("", "", "", {}), C::kInvalidArgument, "scope"},
      {Entry("4006381333931", "", "", {}), C::kPermissionDenied, "outside"},
      {Entry(kGtin, "bad lot", "", {}), C::kInvalidArgument, "scope.lot"},
      {PrefixEntry("400638", "Globex"), C::kPermissionDenied, "not one of"},
      {PrefixEntry("9506001", "a longer prefix"), C::kPermissionDenied, "not one of"},
      {PrefixEntry("95a", "x"), C::kInvalidArgument, "scope.company_prefix"},
  };
  v1::SetLinksRequest too_many = Entry(kGtin, "", "", {});
  for (int i = 0; i < 33; ++i) *too_many.mutable_entry()->add_links() = Link("gs1:pip", "https://a.example/");
  cases.push_back({too_many, C::kInvalidArgument, "links: at most 32"});
  v1::SetLinksRequest script_image = Entry(kGtin, "", "", {});
  script_image.mutable_entry()->mutable_presentation()->set_image_url("javascript:alert(1)");
  cases.push_back({script_image, C::kInvalidArgument, "presentation.image_url"});
  for (const Case& c : cases) {
    EXPECT_THAT(Set(c.request), StatusIs(c.code, HasSubstr(c.message)))
        << c.request.ShortDebugString();
  }
  v1::ListLinksRequest list;
  list.mutable_scope()->set_gtin(kGtin);
  absl::StatusOr<v1::ListLinksResponse> r = List(list);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->entries_size(), 0);
  // Another issuer cannot touch acme's GTIN, nor list it.
  EXPECT_THAT(Set(Entry(kGtin, "", "", {}), nullptr, Issuer("globex", "400638")),
              StatusIs(C::kPermissionDenied));
}

TEST_F(LinksTest, AGtinHoldsAtMostItsCapOfEntries) {
  std::unique_ptr<LinksEngine> capped = NewEngine(/*max_per_gtin=*/2);
  ASSERT_THAT(Set(Entry(kGtin, "", "", {}), capped.get()), IsOk());
  ASSERT_THAT(Set(Entry(kGtin, "L1", "", {}), capped.get()), IsOk());
  EXPECT_THAT(Set(Entry(kGtin, "L2", "", {}), capped.get()),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("at most 2")));
  EXPECT_THAT(Set(Entry(kGtin, "L1", "", {}, "again"), capped.get()), IsOk());  // a replacement
}

// Company prefix entries are cached per server: this server sees its own change at once,
// another within the cache's lifetime.
TEST_F(LinksTest, PrefixEntriesAreCachedForTheirLifetime) {
  std::unique_ptr<LinksEngine> other = NewEngine();
  ASSERT_THAT(Set(PrefixEntry("950600", "Old")), IsOk());
  ASSERT_EQ(Resolve("", "", false, other.get())->presentation.brand_name(), "Old");
  ASSERT_THAT(Set(PrefixEntry("950600", "New")), IsOk());
  EXPECT_EQ(Resolve("", "", false)->presentation.brand_name(), "New");
  EXPECT_EQ(Resolve("", "", false, other.get())->presentation.brand_name(), "Old");
  now_ += absl::Seconds(11);
  EXPECT_EQ(Resolve("", "", false, other.get())->presentation.brand_name(), "New");
}

TEST_F(LinksTest, RedisDownIsUnavailable) {
  redis_.reset();
  EXPECT_THAT(Set(Entry(kGtin, "", "", {})), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(Resolve("", "", false), StatusIs(absl::StatusCode::kUnavailable));
}

TEST(LinkRulesTest, UrlsAndLinkTypes) {
  EXPECT_TRUE(IsGs1LinkType("gs1:pip"));
  EXPECT_TRUE(IsGs1LinkType("gs1:whatsInTheBox"));
  EXPECT_FALSE(IsGs1LinkType("gs1:PIP"));
  EXPECT_FALSE(IsGs1LinkType("schema:pip"));
  EXPECT_THAT(ValidateHttpsUrl("https://id.acme.example:8443/a/b?c=d&e=%20", "f"), IsOk());
  EXPECT_THAT(ValidateHttpsUrl("https://-x.example/", "f"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateHttpsUrl("https://x.example/a'b", "f"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateHttpsUrl("https://x.example/\r\nSet-Cookie:", "f"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateHttpsUrl("https://x.example;script-src *", "f"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(UrlOrigin("https://img.acme.example:8443/x.png?s=1"), "https://img.acme.example:8443");
  EXPECT_EQ(UrlOrigin("https://img.acme.example"), "https://img.acme.example");
}

}  // namespace
}  // namespace hallmark::links
