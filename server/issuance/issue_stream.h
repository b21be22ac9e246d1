// File: server/issuance/issue_stream.h
//
// IssueStream: one StreamIssueSerials call's units, produced in order, chunk by chunk. Each
// chunk is derived, registered in one atomic Redis call, then signed on the work pool; its
// units become available only after Redis acknowledged it. At most `stream_chunks_ahead`
// chunks are produced ahead of the reader, so a slow reader holds the server to a few MB, not
// millions of units (gRPC flow control holds the rest).
//
// Before each chunk the stream asks its StreamPolicy: a caller disabled meanwhile ends it with
// PERMISSION_DENIED; an exhausted units budget pauses it (on the engine's timer) until the
// budget refills. Each chunk holds a place of the engine's bulk gate while it is written and
// signed.
//
// A broken stream is resumed by repeating the request with the same request_id: the batch is
// found, its serials re-derived and re-registered as its own, and returned again first.
//
// The consumer (a gRPC reactor) calls Pop() until it returns kWait (on_progress will be called
// when more is available) or kEnd. Thread-safe.
#ifndef HALLMARK_SERVER_ISSUANCE_ISSUE_STREAM_H_
#define HALLMARK_SERVER_ISSUANCE_ISSUE_STREAM_H_

#include <deque>
#include <map>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "crypto/key_ring.h"
#include "hallmark/v1/issuance.pb.h"
#include "server/issuance/issuance_engine.h"
#include "server/auth/principals.h"
#include "server/issuance/serial_source.h"

namespace hallmark::issuance {

class IssueStream : public std::enable_shared_from_this<IssueStream> {
 public:
  enum class Next { kUnit, kWait, kEnd };

  static std::shared_ptr<IssueStream> Start(IssuanceEngine* engine, const auth::Principal& issuer,
                                            const v1::IssueSerialsRequest& request,
                                            absl::Time call_deadline,
                                            std::shared_ptr<StreamPolicy> policy,
                                            absl::AnyInvocable<void()> on_progress);

  // kUnit: *unit is the next unit. kEnd: *status is how the stream ended (OK when complete).
  Next Pop(v1::IssuedUnit* unit, absl::Status* status);

  // Stops producing (the client went away) and detaches on_progress: once Cancel() returns,
  // on_progress is never called again. Safe to call more than once.
  void Cancel();

  // Units handed out so far.
  uint64_t popped() const;

 private:
  struct Chunk {
    bool ready = false;
    std::vector<v1::IssuedUnit> units;
    size_t next = 0;
  };

  IssueStream(IssuanceEngine* engine, absl::Time call_deadline,
              std::shared_ptr<StreamPolicy> policy, absl::AnyInvocable<void()> on_progress);
  void OnBatch(absl::StatusOr<registry::Batch> batch);
  void Pump();
  // OK while the key the stream signs with is still in the server's key ring and not revoked.
  absl::Status KeyStillUsable() const;
  // Asks the policy whether chunk `index` of `n` units may start: OK, or a wait (*wait > 0),
  // or the error that ends the stream.
  absl::Status MayStart(uint64_t n, absl::Duration* wait) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ResumeAfter(absl::Duration wait);
  uint64_t ChunkSize(uint64_t index) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void StartChunk(uint64_t index);
  void WriteChunk(uint64_t index);
  void ChunkDone(uint64_t index, absl::StatusOr<std::vector<v1::IssuedUnit>> units);
  // Ends the stream with `s`. `at`: the chunk that failed; every chunk after it will never be
  // handed out, so what they registered is removed again (see Unregister).
  void Fail(const absl::Status& s, uint64_t at = kNoChunk);
  // Removes units registered by this stream that will never be handed out (best effort).
  void Unregister(std::vector<std::string> serials);
  static constexpr uint64_t kNoChunk = ~uint64_t{0};
  void Notify();

  IssuanceEngine* const engine_;
  const absl::Time call_deadline_;
  const std::shared_ptr<StreamPolicy> policy_;
  absl::AnyInvocable<void()> on_progress_;
  absl::Mutex notify_mu_;  // serialises on_progress_ calls

  mutable absl::Mutex mu_;
  std::shared_ptr<const SerialSource> source_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const crypto::KeyRing> ring_ ABSL_GUARDED_BY(mu_);
  std::string gtin_ ABSL_GUARDED_BY(mu_);
  PrintedLot lot_ ABSL_GUARDED_BY(mu_);
  uint64_t batch_id_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t total_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t chunks_total_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t next_chunk_ ABSL_GUARDED_BY(mu_) = 0;   // next chunk to start
  uint64_t head_chunk_ ABSL_GUARDED_BY(mu_) = 0;   // chunk being read
  std::map<uint64_t, Chunk> chunks_ ABSL_GUARDED_BY(mu_);
  uint64_t popped_ ABSL_GUARDED_BY(mu_) = 0;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool paused_ ABSL_GUARDED_BY(mu_) = false;  // waiting for the issuer's budget to refill
  absl::Status error_ ABSL_GUARDED_BY(mu_);
  uint64_t failed_at_ ABSL_GUARDED_BY(mu_) = kNoChunk;  // the first chunk that failed
  // Chunks started and not done, and removals under way: a failed stream ends only once they
  // are settled, so when the call fails what is registered is exactly what it handed out.
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  int unregistering_ ABSL_GUARDED_BY(mu_) = 0;
  bool Settled() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return in_flight_ == 0 && unregistering_ == 0;
  }
};

}  // namespace hallmark::issuance

#endif  // HALLMARK_SERVER_ISSUANCE_ISSUE_STREAM_H_
