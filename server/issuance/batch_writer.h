// File: server/issuance/batch_writer.h
//
// BatchWriter: registers a range of a batch's units and returns their serials. It derives the
// serials (SerialSource), registers them all-or-nothing, and when a RANDOM serial collides with
// another batch's unit, moves just that index to its next attempt and tries again; the same
// rule on a retry finds the same serials. A collision of a counter-based serial (an imported
// serial that looks like one) is FAILED_PRECONDITION naming the serial.
#ifndef HALLMARK_SERVER_ISSUANCE_BATCH_WRITER_H_
#define HALLMARK_SERVER_ISSUANCE_BATCH_WRITER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "server/common/work_pool.h"
#include "server/issuance/serial_source.h"
#include "server/registry/registry.h"

namespace hallmark::issuance {

class BatchWriter {
 public:
  BatchWriter(registry::Registry* registry, WorkPool* pool) : registry_(registry), pool_(pool) {}

  // Registers units [first, first + n) of `batch` for `gtin`. `done` gets the serials in index
  // order once Redis has acknowledged them all.
  void WriteRange(std::shared_ptr<const SerialSource> source, std::string gtin, uint64_t batch,
                  uint64_t first, size_t n, absl::Time deadline,
                  registry::Callback<std::vector<std::string>> done) const;

 private:
  struct Job;
  void Submit(std::shared_ptr<Job> job) const;
  void OnRegistered(std::shared_ptr<Job> job, absl::StatusOr<registry::RegisterResult> r) const;

  registry::Registry* const registry_;
  WorkPool* const pool_;
};

}  // namespace hallmark::issuance

#endif  // HALLMARK_SERVER_ISSUANCE_BATCH_WRITER_H_
