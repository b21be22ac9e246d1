#include "server/registry/redis_stolen_store.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "server/registry/redis_registry.h"
#include "server/registry/reply_util.h"

namespace hallmark::registry {
namespace {

using internal::Call;
using internal::ParseFlag;
using internal::ToInt;
using internal::ToUint;
using redis::RedisReply;

absl::Status Unexpected(absl::string_view function) {
  return absl::InternalError(absl::StrCat("registry: unexpected reply to ", function));
}

absl::StatusOr<std::vector<FlagOutcome>> ParseOutcomes(const std::string& s, size_t n) {
  if (s.size() != n) return Unexpected("a stolen-registry function");
  std::vector<FlagOutcome> out;
  out.reserve(n);
  for (char c : s) out.push_back(static_cast<FlagOutcome>(c));
  return out;
}

AuditRecord ParseAudit(const RedisReply& entry) {
  AuditRecord a;
  if (entry.elements.size() != 2) return a;
  a.id = entry.elements[0].str;
  const std::vector<RedisReply>& kv = entry.elements[1].elements;
  for (size_t i = 0; i + 1 < kv.size(); i += 2) {
    const std::string& k = kv[i].str;
    const std::string& v = kv[i + 1].str;
    if (k == "action") a.action = v;
    if (k == "serial") a.serial = v;
    if (k == "principal") a.principal = v;
    if (k == "note") a.note = v;
    if (k == "at") a.at = ToInt(kv[i + 1]);
  }
  return a;
}

std::vector<std::string> Argv(std::initializer_list<std::string> head,
                              std::vector<std::string> tail) {
  std::vector<std::string> argv(head);
  argv.reserve(argv.size() + tail.size());
  for (std::string& t : tail) argv.push_back(std::move(t));
  return argv;
}

}  // namespace

std::string CaseKey(absl::string_view case_id) { return absl::StrCat("hc:{", case_id, "}"); }

void RedisStolenStore::OpenCase(std::string case_id, std::string agency, std::string owner,
                                int64_t now, std::vector<std::string> gtins, absl::Time deadline,
                                absl::AnyInvocable<void(absl::Status)> done) {
  Call<bool>(client_,
             Argv({"FCALL", "hm_case_open", "1", CaseKey(case_id), agency, owner,
                   absl::StrCat(now)},
                  std::move(gtins)),
             deadline,
             [done = std::move(done)](absl::StatusOr<bool> r) mutable { done(r.status()); },
             [](const RedisReply&) -> absl::StatusOr<bool> { return true; });
}

void RedisStolenStore::ReportStolen(std::string gtin, CaseChange c,
                                    std::vector<std::string> serials, absl::Time deadline,
                                    Callback<std::vector<FlagOutcome>> done) {
  const size_t n = serials.size();
  Call<std::vector<FlagOutcome>>(
      client_,
      Argv({"FCALL", "hm_report_stolen", "1", MetaKey(gtin), c.case_id, c.agency, c.principal,
            c.note, absl::StrCat(c.now)},
           std::move(serials)),
      deadline, std::move(done), [n](const RedisReply& r) { return ParseOutcomes(r.str, n); });
}

void RedisStolenStore::ClearStolen(std::string gtin, CaseChange c, bool all,
                                   std::vector<std::string> serials, absl::Time deadline,
                                   Callback<ClearResult> done) {
  Call<ClearResult>(
      client_,
      Argv({"FCALL", "hm_clear_stolen", "1", MetaKey(gtin), c.case_id, c.principal, c.note,
            absl::StrCat(c.now), all ? "1" : "0"},
           std::move(serials)),
      deadline, std::move(done), [](const RedisReply& r) -> absl::StatusOr<ClearResult> {
        if (!r.is_array() || r.elements.size() != 2) return Unexpected("hm_clear_stolen");
        ClearResult result;
        for (const RedisReply& s : r.elements[1].elements) result.serials.push_back(s.str);
        absl::StatusOr<std::vector<FlagOutcome>> outcomes =
            ParseOutcomes(r.elements[0].str, result.serials.size());
        if (!outcomes.ok()) return outcomes.status();
        result.outcomes = *std::move(outcomes);
        return result;
      });
}

void RedisStolenStore::CheckStolen(std::string gtin, std::vector<std::string> serials,
                                   absl::Time deadline, Callback<std::vector<StolenCheck>> done) {
  const size_t n = serials.size();
  Call<std::vector<StolenCheck>>(
      client_, Argv({"FCALL_RO", "hm_check_stolen", "1", MetaKey(gtin)}, std::move(serials)),
      deadline, std::move(done),
      [n](const RedisReply& r) -> absl::StatusOr<std::vector<StolenCheck>> {
        if (!r.is_array() || r.elements.size() != n) return Unexpected("hm_check_stolen");
        std::vector<StolenCheck> out;
        for (const RedisReply& e : r.elements) {
          if (e.elements.size() != 2) return Unexpected("hm_check_stolen");
          out.push_back({ToUint(e.elements[0]) == 1, ParseFlag(e.elements[1].str)});
        }
        return out;
      });
}

void RedisStolenStore::GetCaseIndex(std::string case_id, absl::Time deadline,
                                    Callback<CaseIndex> done) {
  Call<CaseIndex>(client_, {"FCALL_RO", "hm_case", "1", CaseKey(case_id)}, deadline,
                  std::move(done), [](const RedisReply& r) -> absl::StatusOr<CaseIndex> {
                    if (!r.is_array() || r.elements.size() != 3) return Unexpected("hm_case");
                    CaseIndex index;
                    index.agency = r.elements[0].str;
                    index.owner = r.elements[2].str;
                    for (const RedisReply& g : r.elements[1].elements) {
                      index.gtins.push_back(g.str);
                    }
                    return index;
                  });
}

void RedisStolenStore::GetCaseGtin(std::string gtin, std::string case_id, absl::Time deadline,
                                   Callback<CaseGtin> done) {
  Call<CaseGtin>(client_, {"FCALL_RO", "hm_case_gtin", "1", MetaKey(gtin), std::move(case_id)},
                 deadline, std::move(done), [](const RedisReply& r) -> absl::StatusOr<CaseGtin> {
                   if (!r.is_array() || r.elements.size() != 2) return Unexpected("hm_case_gtin");
                   CaseGtin out;
                   for (const RedisReply& u : r.elements[0].elements) {
                     if (u.elements.size() != 2) continue;
                     std::optional<StolenFlag> flag = ParseFlag(u.elements[1].str);
                     if (flag) out.units.emplace_back(u.elements[0].str, *flag);
                   }
                   for (const RedisReply& e : r.elements[1].elements) {
                     out.events.push_back(ParseAudit(e));
                   }
                   return out;
                 });
}

}  // namespace hallmark::registry
