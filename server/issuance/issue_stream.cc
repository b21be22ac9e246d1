#include "server/issuance/issue_stream.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "server/common/log.h"
#include "server/issuance/issuance_engine.h"

namespace hallmark::issuance {

IssueStream::IssueStream(IssuanceEngine* engine, absl::Time call_deadline,
                         std::shared_ptr<StreamPolicy> policy,
                         absl::AnyInvocable<void()> on_progress)
    : engine_(engine), call_deadline_(call_deadline), policy_(std::move(policy)),
      on_progress_(std::move(on_progress)) {}

std::shared_ptr<IssueStream> IssueStream::Start(IssuanceEngine* engine,
                                                const auth::Principal& issuer,
                                                const v1::IssueSerialsRequest& request,
                                                absl::Time call_deadline,
                                                std::shared_ptr<StreamPolicy> policy,
                                                absl::AnyInvocable<void()> on_progress) {
  std::shared_ptr<IssueStream> stream(
      new IssueStream(engine, call_deadline, std::move(policy), std::move(on_progress)));
  std::shared_ptr<const crypto::KeyRing> ring = engine->keys_->Get();
  if (ring->active() == nullptr) {
    stream->Fail(absl::FailedPreconditionError("no ACTIVE signing key loaded"));
    return stream;
  }
  absl::StatusOr<IssuePlan> plan =
      PlanIssue(request, issuer, kMaxStreamCount, absl::Now(), engine->ActiveKeyId());
  if (!plan.ok()) {
    stream->Fail(plan.status());
    return stream;
  }
  {
    absl::MutexLock lock(&stream->mu_);
    stream->ring_ = std::move(ring);
    stream->gtin_ = plan->spec.gtin;
  }
  engine->BeginBatch(std::move(plan->spec), call_deadline,
                     [stream](absl::StatusOr<registry::Batch> batch) {
                       stream->OnBatch(std::move(batch));
                     });
  return stream;
}

void IssueStream::OnBatch(absl::StatusOr<registry::Batch> batch) {
  if (!batch.ok()) return Fail(batch.status());
  absl::StatusOr<SerialSource> source = SerialSource::ForBatch(*batch);
  if (!source.ok()) return Fail(source.status());
  {
    absl::MutexLock lock(&mu_);
    source_ = std::make_shared<const SerialSource>(*std::move(source));
    lot_ = {batch->stored.lot, batch->stored.expiry, batch->stored.production};
    batch_id_ = batch->id;
    total_ = batch->stored.count;
    const uint64_t chunk = engine_->options_.stream_chunk;
    chunks_total_ = (total_ + chunk - 1) / chunk;
    started_ = true;
  }
  Pump();
}

void IssueStream::Pump() {
  std::vector<uint64_t> to_start;
  absl::Status stop;
  absl::Duration wait;
  {
    absl::MutexLock lock(&mu_);
    while (started_ && !cancelled_ && !paused_ && error_.ok() && next_chunk_ < chunks_total_ &&
           next_chunk_ - head_chunk_ < engine_->options_.stream_chunks_ahead) {
      stop = MayStart(ChunkSize(next_chunk_), &wait);
      if (!stop.ok() || wait > absl::ZeroDuration()) break;
      chunks_[next_chunk_];  // reserve its slot, not ready yet
      ++in_flight_;
      to_start.push_back(next_chunk_++);
    }
    if (stop.ok() && wait > absl::ZeroDuration()) paused_ = true;
  }
  // Pump may run inside Pop, under the reader's lock: Fail notifies the reader, so it must run
  // elsewhere.
  if (!stop.ok()) {
    engine_->pool_->Post([self = shared_from_this(), stop] { self->Fail(stop); });
  }
  if (stop.ok() && wait > absl::ZeroDuration()) ResumeAfter(wait);
  for (uint64_t index : to_start) StartChunk(index);
}

absl::Status IssueStream::MayStart(uint64_t n, absl::Duration* wait) {
  *wait = absl::ZeroDuration();
  if (policy_ == nullptr) return absl::OkStatus();
  HALLMARK_RETURN_IF_ERROR(policy_->StillAllowed(gtin_));
  if (engine_->options_.timer == nullptr) return absl::OkStatus();
  *wait = policy_->Charge(n);
  if (*wait == absl::InfiniteDuration()) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "a stream chunk of ", n, " units is larger than this issuer's issue_rate burst allows"));
  }
  return absl::OkStatus();
}

void IssueStream::ResumeAfter(absl::Duration wait) {
  std::weak_ptr<IssueStream> weak = weak_from_this();
  engine_->options_.timer->After(wait, [weak] {
    std::shared_ptr<IssueStream> self = weak.lock();
    if (self == nullptr) return;
    {
      absl::MutexLock lock(&self->mu_);
      self->paused_ = false;
    }
    // Not on the timer's thread: Pump starts registry writes.
    self->engine_->pool_->Post([self] { self->Pump(); });
  });
}

uint64_t IssueStream::ChunkSize(uint64_t index) const {
  const uint64_t first = index * engine_->options_.stream_chunk;
  return std::min<uint64_t>(engine_->options_.stream_chunk, total_ - first);
}

absl::Status IssueStream::KeyStillUsable() const {
  crypto::KeyId id;
  {
    absl::MutexLock lock(&mu_);
    id = ring_->active()->info.id;
  }
  // A stream runs for minutes or hours; the keys may be reloaded meanwhile. A key revoked (or
  // removed) since the stream began must not sign one more unit: every code it signs fails.
  const std::shared_ptr<const crypto::KeyRing> now = engine_->keys_->Get();
  const crypto::KeyRing::Key* key = now != nullptr ? now->Find(id) : nullptr;
  if (key == nullptr || key->info.state == crypto::KeyState::kRevoked) {
    return absl::FailedPreconditionError(absl::StrCat(
        "signing key ", crypto::FormatKeyId(id),
        " was revoked during the stream; repeat the request (same request_id) for the units "
        "signed with the current key"));
  }
  return absl::OkStatus();
}

void IssueStream::StartChunk(uint64_t index) {
  AsyncGate* gate = engine_->options_.bulk;
  if (gate == nullptr) return WriteChunk(index);
  std::shared_ptr<IssueStream> self = shared_from_this();
  gate->Enter([self, index] { self->WriteChunk(index); });
}

void IssueStream::WriteChunk(uint64_t index) {
  std::shared_ptr<const SerialSource> source;
  std::string gtin;
  uint64_t batch, first, n;
  bool ended;
  {
    absl::MutexLock lock(&mu_);
    ended = cancelled_ || !error_.ok();  // while the chunk waited for the gate
    source = source_;
    gtin = gtin_;
    batch = batch_id_;
    first = index * engine_->options_.stream_chunk;
    n = ChunkSize(index);
  }
  AsyncGate* gate = engine_->options_.bulk;
  if (ended) {  // not here, where Pump (inside Pop) may have called us
    if (gate != nullptr) gate->Leave();
    engine_->pool_->Post([self = shared_from_this(), index] {
      self->ChunkDone(index, absl::CancelledError("stream ended"));
    });
    return;
  }
  auto self = shared_from_this();
  engine_->writer_.WriteRange(
      std::move(source), gtin, batch, first, n, engine_->RedisDeadline(call_deadline_),
      [self, index, gate, gtin](absl::StatusOr<std::vector<std::string>> serials) {
        if (gate != nullptr) gate->Leave();  // Redis has answered: the next chunk may write
        if (!serials.ok()) return self->ChunkDone(index, serials.status());
        // On the writer's thread, never inside Pop (WriteRange always completes later).
        absl::Status usable = self->KeyStillUsable();
        if (usable.ok() && self->policy_ != nullptr) usable = self->policy_->StillAllowed(gtin);
        if (!usable.ok()) {  // registered, but never to be signed or handed out
          self->Unregister(*std::move(serials));
          return self->ChunkDone(index, usable);
        }
        auto units = std::make_shared<std::vector<v1::IssuedUnit>>();
        std::shared_ptr<const crypto::KeyRing> ring;
        {
          absl::MutexLock lock(&self->mu_);
          ring = self->ring_;
          units->reserve(serials->size());
          for (std::string& s : *serials) {
            units->push_back(BlankUnit(self->gtin_, std::move(s), self->lot_));
          }
        }
        self->engine_->maker_.Make(ring, units.get(), [self, index, units](absl::Status s) {
          if (!s.ok()) return self->ChunkDone(index, s);
          self->ChunkDone(index, std::move(*units));
        });
      });
}

void IssueStream::ChunkDone(uint64_t index, absl::StatusOr<std::vector<v1::IssuedUnit>> units) {
  {
    absl::MutexLock lock(&mu_);
    --in_flight_;
  }
  if (!units.ok()) return Fail(units.status(), index);
  bool head = false, settled = false;
  std::vector<std::string> abandoned;
  {
    absl::MutexLock lock(&mu_);
    settled = !error_.ok() && Settled();
    if (index > failed_at_) {  // behind a failed chunk: never handed out
      for (const v1::IssuedUnit& u : *units) abandoned.push_back(u.unit().serial());
    } else if (cancelled_) {
      return;  // the client went away: a retry with the same request_id hands them out
    } else {
      Chunk& c = chunks_[index];
      c.units = *std::move(units);
      c.ready = true;
      head = index == head_chunk_;
    }
  }
  if (!abandoned.empty()) return Unregister(std::move(abandoned));
  if (head || settled) Notify();  // settled: a failed stream may now end
}

void IssueStream::Fail(const absl::Status& s, uint64_t at) {
  std::vector<std::string> abandoned;
  {
    absl::MutexLock lock(&mu_);
    if (error_.ok()) error_ = s;
    if (at < failed_at_) {
      failed_at_ = at;
      // Ready chunks behind the failed one: Pop stops at the failed chunk, so they are never
      // handed out. (Chunks before it are, in order, before Pop reports the error.)
      for (auto it = chunks_.upper_bound(at); it != chunks_.end();) {
        if (it->second.ready) {
          for (const v1::IssuedUnit& u : it->second.units) abandoned.push_back(u.unit().serial());
        }
        it = chunks_.erase(it);
      }
    }
  }
  if (!abandoned.empty()) Unregister(std::move(abandoned));
  Notify();
}

void IssueStream::Unregister(std::vector<std::string> serials) {
  std::string gtin;
  uint64_t batch;
  {
    absl::MutexLock lock(&mu_);
    gtin = gtin_;
    batch = batch_id_;
    ++unregistering_;
  }
  const size_t n = serials.size();
  engine_->registry_->Unregister(
      gtin, batch, std::move(serials), engine_->RedisDeadline(absl::InfiniteFuture()),
      [self = shared_from_this(), gtin, batch, n](absl::StatusOr<uint64_t> removed) {
        if (!removed.ok()) {
          log::Warn("stream: could not remove units registered behind its failure",
                    {{"gtin", gtin}, {"batch", absl::StrCat(batch)}, {"units", absl::StrCat(n)},
                     {"why", std::string(removed.status().message())}});
        }
        bool settled;
        {
          absl::MutexLock lock(&self->mu_);
          --self->unregistering_;
          settled = self->Settled();
        }
        if (settled) self->Notify();  // a failed stream may now end
      });
}

void IssueStream::Notify() {
  absl::MutexLock lock(&notify_mu_);
  if (on_progress_) on_progress_();
}

IssueStream::Next IssueStream::Pop(v1::IssuedUnit* unit, absl::Status* status) {
  bool pump = false;
  Next next;
  {
    absl::MutexLock lock(&mu_);
    auto it = chunks_.find(head_chunk_);
    if (cancelled_) {
      *status = absl::CancelledError("stream cancelled");
      next = Next::kEnd;
    } else if (it != chunks_.end() && it->second.ready) {
      Chunk& c = it->second;
      unit->Swap(&c.units[c.next++]);
      ++popped_;
      if (c.next == c.units.size()) {
        chunks_.erase(it);
        ++head_chunk_;
        pump = true;
      }
      next = Next::kUnit;
    } else if (!error_.ok() && Settled()) {
      // Every chunk started has come back and what was registered behind the failure has
      // been removed: what the stream registered is exactly what it handed out.
      *status = error_;
      next = Next::kEnd;
    } else if (!error_.ok()) {
      next = Next::kWait;  // chunks still in flight, or removals under way
    } else if (started_ && head_chunk_ == chunks_total_) {
      *status = absl::OkStatus();
      next = Next::kEnd;
    } else {
      next = Next::kWait;
    }
  }
  if (pump) Pump();
  return next;
}

void IssueStream::Cancel() {
  {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
    chunks_.clear();
  }
  // After this returns, on_progress_ is never called again (it may point into a reactor that
  // is about to be deleted); a call in progress finishes first.
  absl::MutexLock lock(&notify_mu_);
  on_progress_ = nullptr;
}

uint64_t IssueStream::popped() const {
  absl::MutexLock lock(&mu_);
  return popped_;
}

}  // namespace hallmark::issuance
