// File: server/issuance/issuance_engine.h
//
// IssuanceEngine: the issuance use cases, free of gRPC. Each call validates at the edge,
// finds or creates the request's batch (idempotency), registers the units in Redis and only
// then signs them and hands them out: a unit is never returned before Redis acknowledged it.
//
//   Issue   1..10,000 units, registered all-or-nothing in one atomic call.
//   Import  supplier serials: invalid, repeated and already-registered ones are rejected one
//           by one; the rest registered; a retry returns the original outcome.
//   Stream  up to 10,000,000 units, chunk by chunk (see issue_stream.h).
//
// Callbacks run on a Redis or work-pool thread. Thread-safe.
#ifndef HALLMARK_SERVER_ISSUANCE_ISSUANCE_ENGINE_H_
#define HALLMARK_SERVER_ISSUANCE_ISSUANCE_ENGINE_H_

#include <memory>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "crypto/key_ring.h"
#include "hallmark/v1/issuance.pb.h"
#include "server/auth/principals.h"
#include "server/common/async_gate.h"
#include "server/common/snapshot.h"
#include "server/common/timer.h"
#include "server/common/work_pool.h"
#include "server/issuance/batch_writer.h"
#include "server/issuance/issue_plan.h"
#include "server/issuance/unit_maker.h"
#include "server/registry/registry.h"

namespace hallmark::issuance {

class IssueStream;

struct EngineOptions {
  std::string resolver_host = "id.example.com";
  absl::Duration redis_timeout = absl::Seconds(5);  // per registry call
  // Units per registry call when streaming. Redis runs one call at a time: at ~8 us a unit, a
  // chunk of 250 holds it ~2 ms, so a Verify queued behind a chunk waits at most that.
  size_t stream_chunk = 250;
  size_t stream_chunks_ahead = 8;                   // produced ahead of a slow reader, at most
  // Bulk registry writes (a unary issue, an import, one stream chunk) hold a place of this gate
  // until Redis answers, so bulk work cannot crowd verification out of Redis (signing runs on
  // the engine's pool, which the server runs at a lower CPU priority). nullptr: unbounded.
  AsyncGate* bulk = nullptr;
  // Wakes streams paced by their issuer's budget. nullptr: streams are not paced.
  Timer* timer = nullptr;
};

// What a stream asks of its caller's admission while it runs (minutes or hours).
class StreamPolicy {
 public:
  virtual ~StreamPolicy() = default;
  // OK while the caller may still issue `gtin14` (not disabled, changed or stripped of the
  // GTIN's company prefix since the stream began).
  virtual absl::Status StillAllowed(absl::string_view gtin14) = 0;
  // Takes `units` from the caller's issuance budget: zero when taken, else how long to wait
  // (InfiniteDuration: never, the chunk is larger than the budget can hold).
  virtual absl::Duration Charge(uint64_t units) = 0;
};

class IssuanceEngine {
 public:
  IssuanceEngine(registry::Registry* registry, WorkPool* pool,
                 const Snapshot<crypto::KeyRing>* keys, EngineOptions options);

  void Issue(const auth::Principal& issuer, const v1::IssueSerialsRequest& request,
             absl::Time call_deadline, v1::IssueSerialsResponse* out,
             absl::AnyInvocable<void(absl::Status)> done);

  void Import(const auth::Principal& issuer, const v1::ImportSerialsRequest& request,
              absl::Time call_deadline, v1::ImportSerialsResponse* out,
              absl::AnyInvocable<void(absl::Status)> done);

  // Starts a streaming issuance; `on_progress` is called whenever units become available or
  // the stream ends. Validation errors surface through the stream's first Pop().
  // `policy` (may be null) is asked before every chunk.
  std::shared_ptr<IssueStream> Stream(const auth::Principal& issuer,
                                      const v1::IssueSerialsRequest& request,
                                      absl::Time call_deadline,
                                      std::shared_ptr<StreamPolicy> policy,
                                      absl::AnyInvocable<void()> on_progress);

  const EngineOptions& options() const { return options_; }

 private:
  friend class IssueStream;
  using Done = absl::AnyInvocable<void(absl::Status)>;
  absl::Time RedisDeadline(absl::Time call_deadline) const;
  // Runs `work` once the bulk gate has a place; `work` calls `leave` once its registry write
  // is answered.
  void InBulkGate(absl::AnyInvocable<void(absl::AnyInvocable<void()> leave)> work) const;
  std::string ActiveKeyId() const;
  // Begins (or finds) the batch and checks a repeat against the first attempt.
  void BeginBatch(registry::BatchSpec spec, absl::Time call_deadline,
                  registry::Callback<registry::Batch> done);

  registry::Registry* const registry_;
  WorkPool* const pool_;
  const Snapshot<crypto::KeyRing>* const keys_;
  const EngineOptions options_;
  const BatchWriter writer_;
  const UnitMaker maker_;
};

}  // namespace hallmark::issuance

#endif  // HALLMARK_SERVER_ISSUANCE_ISSUANCE_ENGINE_H_
