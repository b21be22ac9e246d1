#include "server/issuance/batch_writer.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace hallmark::issuance {
namespace {

// 80-bit serials collide with probability ~N/2^80 each; needing 4 attempts means a bug.
constexpr uint32_t kMaxAttempts = 4;

}  // namespace

struct BatchWriter::Job {
  std::shared_ptr<const SerialSource> source;
  std::string gtin;
  uint64_t batch;
  uint64_t first;
  absl::Time deadline;
  registry::Callback<std::vector<std::string>> done;
  std::vector<std::string> serials;
  std::vector<uint32_t> attempts;
};

void BatchWriter::WriteRange(std::shared_ptr<const SerialSource> source, std::string gtin,
                             uint64_t batch, uint64_t first, size_t n, absl::Time deadline,
                             registry::Callback<std::vector<std::string>> done) const {
  auto job = std::make_shared<Job>(Job{std::move(source), std::move(gtin), batch, first, deadline,
                                       std::move(done), std::vector<std::string>(n),
                                       std::vector<uint32_t>(n, 0)});
  pool_->Post([this, job]() mutable {
    for (size_t i = 0; i < job->serials.size(); ++i) {
      absl::StatusOr<std::string> s = job->source->Serial(job->first + i, 0);
      if (!s.ok()) return job->done(s.status());
      job->serials[i] = *std::move(s);
    }
    Submit(std::move(job));
  });
}

void BatchWriter::Submit(std::shared_ptr<Job> job) const {
  std::vector<std::string> serials = job->serials;
  registry_->Register(job->gtin, job->batch, std::move(serials), /*all_or_nothing=*/true,
                      job->deadline,
                      [this, job](absl::StatusOr<registry::RegisterResult> r) mutable {
                        OnRegistered(std::move(job), std::move(r));
                      });
}

void BatchWriter::OnRegistered(std::shared_ptr<Job> job,
                               absl::StatusOr<registry::RegisterResult> r) const {
  if (!r.ok()) return job->done(r.status());
  if (r->written) return job->done(std::move(job->serials));
  for (size_t i = 0; i < r->outcomes.size(); ++i) {
    if (r->outcomes[i] != registry::RegisterOutcome::kConflict) continue;
    if (job->source->format() != crypto::SerialFormat::kRandom) {
      return job->done(absl::FailedPreconditionError(absl::StrCat(
          "serial ", job->serials[i], " of GTIN ", job->gtin,
          " is already registered by another request (an import?); use another prefix or plant")));
    }
    if (++job->attempts[i] >= kMaxAttempts) {
      return job->done(absl::InternalError("issuance: repeated serial collisions"));
    }
    absl::StatusOr<std::string> s = job->source->Serial(job->first + i, job->attempts[i]);
    if (!s.ok()) return job->done(s.status());
    job->serials[i] = *std::move(s);
  }
  Submit(std::move(job));
}

}  // namespace hallmark::issuance
