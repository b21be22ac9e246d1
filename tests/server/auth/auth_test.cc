// The access rules, without a server.
#include "server/auth/access.h"

#include <cmath>
#include <limits>

#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"
#include "server/auth/principals.h"
#include "tests/common/status_matchers.h"

namespace hallmark::auth {
namespace {

using ::hallmark::testing::IsOk;
using ::hallmark::testing::StatusIs;
using ::testing::HasSubstr;

Principal Make(const std::string& name, Role role, const std::string& token,
               std::vector<std::string> prefixes = {}) {
  Principal p;
  p.set_name(name);
  p.set_role(role);
  p.set_token_sha256(TokenHash(token));
  for (auto& x : prefixes) p.add_gs1_company_prefixes(x);
  return p;
}

std::unique_ptr<PrincipalStore> Store() {
  admin::Principals ps;
  *ps.add_principal() = Make("acme", admin::ROLE_ISSUER, "tok-acme", {"950600", "0614141"});
  *ps.add_principal() = Make("app", admin::ROLE_VERIFIER, "tok-app");
  Principal off = Make("old", admin::ROLE_RETAILER, "tok-old");
  off.set_disabled(true);
  *ps.add_principal() = off;
  return *PrincipalStore::FromProto(ps);
}

TEST(AuthTest, BearerTokenFindsItsPrincipal) {
  auto store = Store();
  auto who = Authenticate(*store, "Bearer tok-acme");
  ASSERT_THAT(who, IsOk());
  EXPECT_EQ((*who)->name(), "acme");
  EXPECT_EQ((*Authenticate(*store, "bearer  tok-app"))->name(), "app");
}

TEST(AuthTest, MissingUnknownAndDisabledTokensAreUnauthenticated) {
  auto store = Store();
  for (const char* header : {"", "Bearer", "Bearer ", "Basic tok-acme", "tok-acme"}) {
    EXPECT_THAT(Authenticate(*store, header),
                StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("missing"))) << header;
  }
  // Unknown and disabled look the same to the caller.
  EXPECT_THAT(Authenticate(*store, "Bearer nope"),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("invalid bearer token")));
  EXPECT_THAT(Authenticate(*store, "Bearer tok-old"),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("invalid bearer token")));
}

TEST(AuthTest, StoreRejectsBadFiles) {
  const auto load = [](std::vector<Principal> v) {
    admin::Principals ps;
    for (auto& p : v) *ps.add_principal() = p;
    return PrincipalStore::FromProto(ps).status();
  };
  EXPECT_THAT(load({Make("a", admin::ROLE_VERIFIER, "t"), Make("a", admin::ROLE_VERIFIER, "u")}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("name appears twice")));
  EXPECT_THAT(load({Make("a", admin::ROLE_VERIFIER, "t"), Make("b", admin::ROLE_VERIFIER, "t")}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("token hash")));
  EXPECT_THAT(load({Make("i", admin::ROLE_ISSUER, "t")}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at least one")));
  EXPECT_THAT(load({Make("i", admin::ROLE_ISSUER, "t", {"95x"})}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("digits")));
  Principal bad_hash = Make("h", admin::ROLE_VERIFIER, "t");
  bad_hash.set_token_sha256("ABC");
  EXPECT_THAT(load({bad_hash}), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("64")));
  EXPECT_THAT(load({Make("r", admin::ROLE_UNSPECIFIED, "t")}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("role")));
  // Names and organisations end up in "\n"-separated records and comma lists.
  EXPECT_THAT(load({Make("shop\nsold", admin::ROLE_VERIFIER, "t")}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("name: at most 64")));
  EXPECT_THAT(load({Make("shop,2", admin::ROLE_VERIFIER, "t")}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no control characters")));
  EXPECT_THAT(load({Make(std::string(65, 'n'), admin::ROLE_VERIFIER, "t")}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("name")));
  Principal bad_org = Make("o", admin::ROLE_VERIFIER, "t");
  bad_org.set_organisation("ACME\nRetail");
  EXPECT_THAT(load({bad_org}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("organisation")));
  // A NaN or infinite rate would refill the bucket on every call.
  for (double rate : {std::nan(""), std::numeric_limits<double>::infinity(), 0.0}) {
    Principal p = Make("rate", admin::ROLE_VERIFIER, "t");
    p.mutable_rate_limit()->set_per_second(rate);
    p.mutable_rate_limit()->set_burst(10);
    EXPECT_THAT(load({p}), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("finite")))
        << rate;
  }
  Principal good = Make("acme-issuer@eu", admin::ROLE_VERIFIER, "t");
  good.set_organisation("ACME Retail GmbH & Co. KG");
  EXPECT_THAT(load({good}), IsOk());
}

TEST(AuthTest, RolesAndGtinOwnership) {
  auto store = Store();
  const Principal& acme = **Authenticate(*store, "Bearer tok-acme");
  const Principal& app = **Authenticate(*store, "Bearer tok-app");
  EXPECT_THAT(RequireRole(acme, {admin::ROLE_ISSUER}, "Issuance.IssueSerials"), IsOk());
  EXPECT_THAT(RequireRole(app, {admin::ROLE_ISSUER}, "Issuance.IssueSerials"),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("role verifier may not call Issuance.IssueSerials")));
  EXPECT_TRUE(OwnsGtin(acme, "09506000134352"));   // 950600... after the indicator digit
  EXPECT_TRUE(OwnsGtin(acme, "19506000134359"));   // another packaging level of the same item
  EXPECT_TRUE(OwnsGtin(acme, "00614141000036"));   // UPC-A 614141000036 under 0614141
  EXPECT_FALSE(OwnsGtin(acme, "04006381333931"));
  EXPECT_THAT(CheckGtinAccess(acme, "04006381333931"),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("04006381333931")));
  EXPECT_THAT(CheckGtinAccess(app, "04006381333931"), IsOk());  // not an issuer
}

// Observed: ownership was the organisation name, or "principal:<name>" without one, so a
// principal whose organisation was literally "principal:lonecop" owned lonecop's cases.
TEST(CaseOwnershipTest, OwnersAreTypedAndCaseIdsScoped) {
  Principal lonecop = Make("lonecop", admin::ROLE_LAW_ENFORCEMENT, "t1");
  Principal spoof = Make("spoof", admin::ROLE_LAW_ENFORCEMENT, "t2");
  spoof.set_organisation("principal:lonecop");
  Principal spoof2 = Make("spoof2", admin::ROLE_LAW_ENFORCEMENT, "t3");
  spoof2.set_organisation("p:lonecop");
  EXPECT_EQ(OwnerId(lonecop), "p:lonecop");
  EXPECT_NE(OwnerId(spoof), OwnerId(lonecop));
  EXPECT_NE(OwnerId(spoof2), OwnerId(lonecop));
  const std::string scoped = ScopedCaseId(lonecop, "LE-1/2");
  EXPECT_TRUE(OwnsCase(lonecop, scoped));
  EXPECT_FALSE(OwnsCase(spoof, scoped));
  EXPECT_FALSE(OwnsCase(spoof2, scoped));
  EXPECT_EQ(PublicCaseId(scoped), "LE-1/2");
  Principal org_with_bar = Make("x", admin::ROLE_ISSUER, "t4");
  org_with_bar.set_organisation("A|B");  // the id is split at the last '|'
  EXPECT_EQ(PublicCaseId(ScopedCaseId(org_with_bar, "C")), "C");
  EXPECT_TRUE(OwnsCase(org_with_bar, ScopedCaseId(org_with_bar, "C")));
}

TEST(RateLimiterTest, BucketRefillsAndLimitsPerPrincipal) {
  RateLimiter limiter;
  auto store = Store();
  const Principal& app = **Authenticate(*store, "Bearer tok-app");      // verifier: 20/s, 40
  const Principal& acme = **Authenticate(*store, "Bearer tok-acme");    // issuer: 1000/s
  const RateLimitSpec app_limit = store->RateLimitFor(app);
  EXPECT_EQ(app_limit.per_second, 20);
  EXPECT_EQ(app_limit.burst, 40);
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  for (int i = 0; i < 40; ++i) ASSERT_THAT(limiter.Acquire("app", app_limit, 1, t0), IsOk()) << i;
  EXPECT_THAT(limiter.Acquire("app", app_limit, 1, t0),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("retry after 50 ms")));
  EXPECT_THAT(limiter.Acquire("acme", store->RateLimitFor(acme), 1, t0), IsOk());  // others unaffected
  EXPECT_THAT(limiter.Acquire("app", app_limit, 1, t0 + absl::Milliseconds(50)), IsOk());
  EXPECT_THAT(limiter.Acquire("app", app_limit, 1, t0 + absl::Milliseconds(50)),
              StatusIs(absl::StatusCode::kResourceExhausted));
}

TEST(RateLimiterTest, PrincipalAndFileRoleLimitsOverrideTheDefaults) {
  admin::Principals ps;
  *ps.add_principal() = Make("app", admin::ROLE_VERIFIER, "t1");
  Principal custom = Make("custom", admin::ROLE_VERIFIER, "t2");
  custom.mutable_rate_limit()->set_per_second(1);
  custom.mutable_rate_limit()->set_burst(1);
  *ps.add_principal() = custom;
  admin::RoleLimit* r = ps.add_role_limits();
  r->set_role(admin::ROLE_VERIFIER);
  r->mutable_rate_limit()->set_per_second(5);
  r->mutable_rate_limit()->set_burst(7);
  auto store = *PrincipalStore::FromProto(ps);
  EXPECT_EQ(store->RateLimitFor(*store->FindByName("app")).burst, 7);
  EXPECT_EQ(store->RateLimitFor(*store->FindByName("custom")).burst, 1);
  admin::RoleLimit* bad = ps.add_role_limits();
  bad->set_role(admin::ROLE_ISSUER);
  EXPECT_THAT(PrincipalStore::FromProto(ps), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(RateLimiterTest, BatchesPayPerItemAndCannotBeatTheRate) {
  RateLimiter limiter;
  const RateLimitSpec verifier{20, 40};
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  EXPECT_THAT(limiter.Acquire("app", verifier, 80, t0), IsOk());  // a full bucket lets it in
  // ... and leaves a debt of 40 codes (never more than the burst): 2.05 s at 20 codes/s
  // before the next call.
  EXPECT_THAT(limiter.Acquire("app", verifier, 1, t0 + absl::Seconds(2)),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("retry after 50 ms")));
  EXPECT_THAT(limiter.Acquire("app", verifier, 1, t0 + absl::Milliseconds(2050)), IsOk());
}

TEST(RateLimiterTest, NoCallPutsAPrincipalIntoDebtBeyondItsBurst) {
  RateLimiter limiter;
  const RateLimitSpec verifier{20, 40};
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  // 1,000 codes on a burst of 40 would leave 48 s of debt: refused outright, nothing taken.
  absl::Status big = limiter.Acquire("app", verifier, 1000, t0);
  EXPECT_THAT(big, StatusIs(absl::StatusCode::kResourceExhausted,
                            HasSubstr("split it into smaller calls")));
  EXPECT_FALSE(big.GetPayload(kRetryInfoPayload).has_value());  // waiting would not help
  for (int i = 0; i < 40; ++i) ASSERT_THAT(limiter.Acquire("app", verifier, 1, t0), IsOk()) << i;
  // A refused (invalid) request costs one token when there is one, and never a debt.
  RateLimiter other;
  for (int i = 0; i < 100; ++i) other.ChargeRefusal("app", verifier, t0);
  EXPECT_THAT(other.Acquire("app", verifier, 1, t0), StatusIs(absl::StatusCode::kResourceExhausted,
                                                               HasSubstr("retry after 50 ms")));
}

TEST(RateLimiterTest, SeveralBucketsAreChargedAllOrNothing) {
  RateLimiter limiter;
  const RateLimitSpec requests{10, 10}, units{100, 1000};
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  EXPECT_THAT(limiter.Acquire({{"acme", requests, 1}, {"units:acme", units, 1500}}, t0), IsOk());
  // The units bucket is 500 in debt: refused, and the request bucket keeps its token.
  absl::Status s = limiter.Acquire({{"acme", requests, 1}, {"units:acme", units, 1}}, t0);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("retry after 5.1 s")));
  for (int i = 0; i < 9; ++i) ASSERT_THAT(limiter.Acquire("acme", requests, 1, t0), IsOk()) << i;
  EXPECT_NEAR(absl::ToDoubleMilliseconds(limiter.Take({{"units:acme", units, 10}}, t0)), 5100,
              0.01);
  EXPECT_EQ(limiter.Take({{"units:acme", units, 3000}}, t0), absl::InfiniteDuration());
}

TEST(RateLimiterTest, AShareScalesRateBurstAndHeldTokens) {
  RateLimiter limiter;
  const RateLimitSpec spec{3, 30};
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  ASSERT_THAT(limiter.Acquire("app", spec, 3, t0), IsOk());  // 27 left at the whole share
  EXPECT_EQ(limiter.TakeActive(), std::vector<std::string>{"app"});
  EXPECT_TRUE(limiter.TakeActive().empty());
  limiter.SetShare("app", 1.0 / 3);  // three replicas serve it: 9 tokens here, 1/s
  for (int i = 0; i < 9; ++i) ASSERT_THAT(limiter.Acquire("app", spec, 1, t0), IsOk()) << i;
  EXPECT_THAT(limiter.Acquire("app", spec, 1, t0),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("retry after 1 s")));
  // What one call may cost is judged on this replica's share too: more than twice its share
  // of the burst is refused outright (the client splits it), so N replicas cannot each take a
  // 2 x burst batch at once.
  EXPECT_THAT(limiter.Acquire("app", spec, 21, t0 + absl::Seconds(10)),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("split it")));
  EXPECT_THAT(limiter.Acquire("app", spec, 20, t0 + absl::Seconds(10)), IsOk());
  limiter.SetShare("app", 1);  // served here alone again
  EXPECT_THAT(limiter.Acquire("other", spec, 30, t0), IsOk());
}

TEST(RateLimiterTest, RetryHintsAreReadableAndCarryRetryInfo) {
  EXPECT_EQ(FormatWait(absl::Microseconds(10)), "1 ms");
  EXPECT_EQ(FormatWait(absl::Milliseconds(50)), "50 ms");
  EXPECT_EQ(FormatWait(absl::Milliseconds(1500)), "1.5 s");
  EXPECT_EQ(FormatWait(absl::Seconds(2)), "2 s");
  EXPECT_EQ(FormatWait(absl::Seconds(125)), "2 min 5 s");
  EXPECT_EQ(FormatWait(absl::Seconds(9'997'960)), "2777 h 13 min");
  absl::Status s = RetryLater("rate limit of 20/s exceeded", absl::Milliseconds(1500));
  EXPECT_EQ(s.message(), "rate limit of 20/s exceeded; retry after 1.5 s");
  auto payload = s.GetPayload(kRetryInfoPayload);
  ASSERT_TRUE(payload.has_value());
  google::rpc::RetryInfo info;
  ASSERT_TRUE(info.ParseFromString(std::string(*payload)));
  EXPECT_EQ(info.retry_delay().seconds(), 1);
  EXPECT_EQ(info.retry_delay().nanos(), 500'000'000);
}

TEST(ConcurrencyLimiterTest, PlacesAreHeldUntilReleased) {
  ConcurrencyLimiter limiter;
  auto a = limiter.Take("acme", 2, "streams");
  auto b = limiter.Take("acme", 2, "streams");
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  EXPECT_THAT(limiter.Take("acme", 2, "streams"),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("already runs 2 streams")));
  EXPECT_THAT(limiter.Take("globex", 2, "streams"), IsOk());  // per key
  a->reset();
  EXPECT_THAT(limiter.Take("acme", 2, "streams"), IsOk());
}

TEST(TokenTest, NewTokensAreLongRandomAndHashed) {
  const std::string a = *NewToken(), b = *NewToken();
  EXPECT_NE(a, b);
  EXPECT_EQ(a.size(), 46u);  // "hm_" + 43 base64url characters (256 bits)
  EXPECT_EQ(TokenHash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace hallmark::auth
