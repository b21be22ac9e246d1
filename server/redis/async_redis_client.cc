#include "server/redis/async_redis_client.h"

#include <event2/event.h>
#include <event2/thread.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <csignal>
#include <mutex>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "server/redis/hiredis_reply.h"

namespace hallmark::redis {

struct AsyncRedisClient::Pending {
  Pending(AsyncRedisClient* c, std::string cmd, absl::Time d, ReplyCallback callback)
      : client(c), command(std::move(cmd)), deadline(d), done(std::move(callback)) {}

  AsyncRedisClient* client;
  std::string command;     // RESP-encoded, formatted by the calling thread
  absl::Time deadline;
  ReplyCallback done;
  EventPtr timer;          // its deadline (freed with it, or once it finishes)
  absl::Time sent{};       // when it went to hiredis
  bool finished = false;   // `done` has run
  bool asking = false;     // send ASKING right before it (Redis Cluster ASK redirection)
  bool ack = false;        // write connection: held until a WAIT confirms it
  RedisReply reply;        // the held reply
};

namespace {

// The RESP encoding of a command: an array of bulk strings. (hiredis's own formatter builds it
// with a printf-style sdscatfmt per argument, several times the cost, on the loop thread.)
std::string FormatCommand(const std::vector<std::string>& argv) {
  size_t size = 16;
  for (const std::string& a : argv) size += a.size() + 24;
  std::string out;
  out.reserve(size);
  absl::StrAppend(&out, "*", argv.size(), "\r\n");
  for (const std::string& a : argv) absl::StrAppend(&out, "$", a.size(), "\r\n", a, "\r\n");
  return out;
}

timeval TimevalIn(absl::Duration d) {
  if (d < absl::ZeroDuration()) d = absl::ZeroDuration();
  return absl::ToTimeval(d);
}

}  // namespace

AsyncRedisClient::AsyncRedisClient(Options options, RedisAddress address)
    : options_(std::move(options)), address_(std::move(address)),
      backoff_(options_.reconnect_min) {}

absl::StatusOr<std::unique_ptr<AsyncRedisClient>> AsyncRedisClient::Start(Options options) {
  absl::StatusOr<RedisAddress> address = ParseRedisAddress(options.address);
  if (!address.ok()) return address.status();
  static std::once_flag once;
  std::call_once(once, [] {
    evthread_use_pthreads();
    std::signal(SIGPIPE, SIG_IGN);  // a dead Redis must not kill us on write
  });
  if (options.replication.replicas > 0) {
    options.init_commands.push_back({"INFO", "replication"});
  }
  std::unique_ptr<AsyncRedisClient> client(
      new AsyncRedisClient(std::move(options), *std::move(address)));
  client->wait_for_ = client->options_.replication.replicas;
  // The changelist folds hiredis's add-write/delete-write pair of a flushed batch into no
  // epoll_ctl at all (DrainQueue writes each batch itself).
  std::unique_ptr<event_config, void (*)(event_config*)> config(event_config_new(),
                                                                &event_config_free);
  if (config == nullptr) return absl::InternalError("redis: event_config_new failed");
  event_config_set_flag(config.get(), EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
  client->base_.reset(event_base_new_with_config(config.get()));
  if (client->base_ == nullptr) return absl::InternalError("redis: event_base_new failed");
  event_base* base = client->base_.get();
  client->wakeup_.reset(event_new(base, -1, 0, &OnWakeup, client.get()));
  client->reconnect_timer_.reset(evtimer_new(base, &OnReconnectTimer, client.get()));
  client->handshake_timer_.reset(evtimer_new(base, &OnHandshakeTimeout, client.get()));
  client->probe_timer_.reset(event_new(base, -1, EV_PERSIST, &OnProbeTimer, client.get()));
  if (client->wakeup_ == nullptr || client->reconnect_timer_ == nullptr ||
      client->handshake_timer_ == nullptr || client->probe_timer_ == nullptr) {
    return absl::InternalError("redis: event_new failed");
  }
  if (client->options_.probe_interval > absl::ZeroDuration()) {
    const timeval tv = TimevalIn(client->options_.probe_interval);
    evtimer_add(client->probe_timer_.get(), &tv);
  }
  client->thread_ = std::thread([c = client.get()] { c->Loop(); });
  event_active(client->reconnect_timer_.get(), EV_TIMEOUT, 0);  // first connect, on the loop
  return client;
}

// The events, then the base, are freed by their owners after Stop() joined the loop thread.
AsyncRedisClient::~AsyncRedisClient() { Stop(); }

void AsyncRedisClient::EventBaseFree::operator()(event_base* b) const { event_base_free(b); }
void AsyncRedisClient::EventFree::operator()(event* e) const { event_free(e); }

void AsyncRedisClient::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) {
    Wake();
    thread_.join();
  }
  {
    absl::MutexLock lock(&mu_);
    stopped_ = true;
  }
  // Commands queued while the loop was finishing.
  std::vector<PendingPtr> late;
  {
    absl::MutexLock lock(&mu_);
    late.swap(queue_);
  }
  for (PendingPtr& p : late) Finish(*p, NotSentError("redis: client stopped"));
}

void AsyncRedisClient::Loop() { event_base_loop(base_.get(), EVLOOP_NO_EXIT_ON_EMPTY); }

void AsyncRedisClient::Wake() { event_active(wakeup_.get(), EV_READ, 0); }

void AsyncRedisClient::Execute(std::vector<std::string> argv, absl::Time deadline,
                               ReplyCallback done) {
  auto p = std::make_unique<Pending>(this, FormatCommand(argv), deadline, std::move(done));
  p->ack = options_.replication.replicas > 0;
  Enqueue(std::move(p));
}

void AsyncRedisClient::ExecuteAsking(std::vector<std::string> argv, absl::Time deadline,
                                     ReplyCallback done) {
  auto p = std::make_unique<Pending>(this, FormatCommand(argv), deadline, std::move(done));
  p->asking = true;  // Dispatch writes ASKING and the command together
  p->ack = options_.replication.replicas > 0;
  Enqueue(std::move(p));
}

void AsyncRedisClient::Enqueue(PendingPtr p) {
  {
    absl::MutexLock lock(&mu_);
    if (!stopped_) {
      // Only the first command of a batch wakes the loop; it drains the whole queue.
      const bool wake = queue_.empty();
      queue_.push_back(std::move(p));
      if (wake) Wake();
      return;
    }
  }
  Finish(*p, NotSentError("redis: client stopped"));
}

absl::Status AsyncRedisClient::WaitUntilReady(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  // A failed init check (e.g. a non-durable Redis) will not fix itself: no point waiting.
  mu_.AwaitWithTimeout(absl::Condition(
                           +[](AsyncRedisClient* c) ABSL_EXCLUSIVE_LOCKS_REQUIRED(c->mu_) {
                             return c->ready_mirror_ ||
                                    absl::IsFailedPrecondition(c->last_error_);
                           },
                           this),
                       timeout);
  return ready_mirror_ ? absl::OkStatus() : last_error_;
}

void AsyncRedisClient::SetReady(bool ready, const absl::Status& why) {
  const bool was = ready_.exchange(ready, std::memory_order_acq_rel);
  {
    absl::MutexLock lock(&mu_);
    ready_mirror_ = ready;
    last_error_ = ready ? absl::UnavailableError("redis: connection lost") : why;
  }
  if (was != ready && options_.on_state_change) options_.on_state_change(ready, why);
}

void AsyncRedisClient::OnWakeup(int, short, void* self) {
  static_cast<AsyncRedisClient*>(self)->DrainQueue();
}

void AsyncRedisClient::DrainQueue() {
  std::vector<PendingPtr> batch;
  bool stopping;
  {
    absl::MutexLock lock(&mu_);
    batch.swap(queue_);
    stopping = stopping_;
  }
  bool dispatched = false;
  for (PendingPtr& p : batch) {
    if (stopping || !ready()) {
      Finish(*p, NotSentError(stopping ? "redis: client shutting down" : "redis: not connected"));
    } else {
      Dispatch(std::move(p));
      dispatched = true;
    }
  }
  // Write the batch now rather than on the next loop turn: one write() per batch, and no
  // epoll round trip to learn that an idle socket is writable.
  if (dispatched && ctx_ != nullptr && (ctx_->c.flags & REDIS_CONNECTED) != 0) {
    redisAsyncHandleWrite(ctx_);
  }
  if (stopping) {
    DropConnection(absl::UnavailableError("redis: client shutting down"));
    event_del(reconnect_timer_.get());
    event_del(handshake_timer_.get());
    event_del(probe_timer_.get());
    event_base_loopbreak(base_.get());
  }
}

void AsyncRedisClient::Dispatch(PendingPtr p) {
  const absl::Duration left = p->deadline - absl::Now();
  if (left <= absl::ZeroDuration() || ctx_ == nullptr) {
    Finish(*p, NotSentError(ctx_ == nullptr ? "redis: not connected"
                                            : "redis: deadline passed before sending"));
    return;
  }
  // ASKING and its command go out back to back (nothing can come between them on the loop
  // thread); ASKING's own reply is discarded.
  if (p->asking && redisAsyncCommand(ctx_, nullptr, nullptr, "ASKING") != REDIS_OK) {
    Finish(*p, NotSentError("redis: could not queue command"));
    return;
  }
  p->sent = absl::Now();
  p->timer.reset(evtimer_new(base_.get(), &OnCommandTimeout, p.get()));
  if (redisAsyncFormattedCommand(ctx_, &OnReply, p.get(), p->command.data(),
                                 p->command.size()) != REDIS_OK) {
    Finish(*p, NotSentError("redis: could not queue command"));
    return;
  }
  const timeval tv = TimevalIn(left);
  evtimer_add(p->timer.get(), &tv);
  (void)p.release();  // hiredis holds it until OnReply
}

void AsyncRedisClient::Finish(Pending& p, absl::StatusOr<RedisReply> result) {
  if (p.finished) return;  // its deadline passed earlier
  p.finished = true;
  p.timer.reset();
  ReplyCallback done = std::move(p.done);
  const auto& observe = p.client->options_.on_command_done;  // the client outlives `p`
  const absl::Time sent = p.sent;
  // `p` is not touched after this point: `done` may drop the connection, and then hiredis
  // hands `p`, if it is in flight, back through OnReply(nullptr), which frees it.
  if (observe && sent != absl::Time()) observe(absl::Now() - sent, result.ok());
  done(std::move(result));
}

// In flight (hiredis owns it) or held (held_ owns it): finished now, freed by its owner.
void AsyncRedisClient::OnCommandTimeout(int, short, void* pending) {
  Finish(*static_cast<Pending*>(pending),
         absl::UnavailableError("redis: no reply within the deadline"));
}

void AsyncRedisClient::OnReply(redisAsyncContext*, void* reply, void* pending) {
  PendingPtr p(static_cast<Pending*>(pending));  // back from hiredis
  if (reply == nullptr) {
    // hiredis fails the pending callbacks before it calls OnDisconnect: mark the client not
    // ready first, so a caller that sees this failure never sees ready() == true after it.
    // (A deliberate drop has marked it not ready already, with its own reason.)
    AsyncRedisClient* self = p->client;
    if (self->ready()) {
      self->SetReady(false, self->ConnectionLost());
    }
    Finish(*p, absl::UnavailableError("redis: connection lost"));
  } else {
    RedisReply r = FromHiredis(static_cast<redisReply*>(reply));
    if (p->ack && !p->finished && !r.is_error()) {
      AsyncRedisClient* self = p->client;
      return self->Hold(std::move(p), std::move(r));
    }
    Finish(*p, std::move(r));
  }
}

void AsyncRedisClient::Hold(PendingPtr p, RedisReply reply) {
  if (wait_for_ <= 0) return Finish(*p, std::move(reply));  // allow_fewer, no replica online
  p->reply = std::move(reply);
  held_.push_back(std::move(p));
  if (!wait_in_flight_) SendWait();
}

// One WAIT for everything held: replies arrive in order, so every held reply came from a
// command Redis ran before this WAIT, and the WAIT covers it (WAIT waits for the offset of the
// connection's last write). Replies arriving while it is out are held for the next one.
void AsyncRedisClient::SendWait() {
  wait_in_flight_ = true;
  const int wanted = wait_for_;
  const absl::Duration timeout = options_.replication.timeout;
  const absl::Time sent = absl::Now();
  Dispatch(std::make_unique<Pending>(
      this,
      FormatCommand({"WAIT", absl::StrCat(wanted),
                     absl::StrCat(std::max<int64_t>(1, absl::ToInt64Milliseconds(timeout)))}),
      sent + timeout + absl::Seconds(1), [this, sent, wanted](absl::StatusOr<RedisReply> r) {
        FinishWait(std::move(r), sent, wanted);
      }));
}

void AsyncRedisClient::FinishWait(absl::StatusOr<RedisReply> wait, absl::Time sent, int wanted) {
  wait_in_flight_ = false;
  int confirmed = -1;
  absl::Status failure;
  if (!wait.ok()) {
    failure = wait.status();
  } else if (wait->type != RedisReply::Type::kInteger) {
    failure = absl::UnavailableError(absl::StrCat("redis: WAIT refused: ", wait->str));
  } else {
    confirmed = static_cast<int>(wait->integer);
    if (confirmed < wanted) {
      failure = absl::UnavailableError(absl::StrCat(
          "redis: the write reached ", confirmed, " of ", wanted, " replica(s) within ",
          absl::FormatDuration(options_.replication.timeout), " on ", address_.ToString(),
          "; it may exist: retry with the same request_id"));
    }
  }
  if (options_.replication.on_wait && confirmed >= 0) {
    options_.replication.on_wait(absl::Now() - sent, wanted, confirmed);
  }
  if (!failure.ok() && !absl::IsUnavailable(failure)) {
    failure = absl::UnavailableError(failure.message());
  }
  std::vector<PendingPtr> held;
  held.swap(held_);
  for (PendingPtr& p : held) {  // those whose deadline passed while they waited are finished
    if (failure.ok()) {
      Finish(*p, std::move(p->reply));
    } else {
      Finish(*p, failure);
    }
  }
}

void AsyncRedisClient::OnReconnectTimer(int, short, void* self) {
  static_cast<AsyncRedisClient*>(self)->Connect();
}

void AsyncRedisClient::Connect() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
  }
  redisAsyncContext* c = address_.unix_path.empty()
                             ? redisAsyncConnect(address_.host.c_str(), address_.port)
                             : redisAsyncConnectUnix(address_.unix_path.c_str());
  if (c == nullptr || c->err != 0) {
    SetReady(false, absl::UnavailableError(absl::StrCat(
                        "redis: cannot connect to ", address_.ToString(), ": ",
                        c != nullptr ? c->errstr : "out of memory")));
    if (c != nullptr) redisAsyncFree(c);
    ScheduleReconnect();
    return;
  }
  c->data = this;
  redisLibeventAttach(c, base_.get());
  redisAsyncSetConnectCallback(c, &OnConnect);
  redisAsyncSetDisconnectCallback(c, &OnDisconnect);
  ctx_ = c;
  const timeval tv = TimevalIn(options_.handshake_timeout);
  evtimer_add(handshake_timer_.get(), &tv);
}

void AsyncRedisClient::OnConnect(const redisAsyncContext* c, int status) {
  auto* self = static_cast<AsyncRedisClient*>(c->data);
  if (c != self->ctx_) return;
  if (status != REDIS_OK) {
    // hiredis frees the context after this callback.
    self->ctx_ = nullptr;
    event_del(self->handshake_timer_.get());
    self->SetReady(false, absl::UnavailableError(absl::StrCat(
                              "redis: cannot connect to ", self->address_.ToString(), ": ",
                              c->errstr)));
    self->ScheduleReconnect();
    return;
  }
  self->RunInit(/*recheck=*/false);
}

void AsyncRedisClient::SendAll(const std::vector<std::vector<std::string>>& commands,
                               absl::Time deadline,
                               absl::AnyInvocable<void(absl::Status, std::vector<RedisReply>)> done) {
  struct Collect {
    std::vector<RedisReply> replies;
    size_t outstanding;
    absl::Status failure;
    absl::AnyInvocable<void(absl::Status, std::vector<RedisReply>)> done;
  };
  auto c = std::make_shared<Collect>(
      Collect{std::vector<RedisReply>(commands.size()), commands.size(), absl::OkStatus(),
              std::move(done)});
  if (commands.empty()) return c->done(absl::OkStatus(), {});
  for (size_t i = 0; i < commands.size(); ++i) {
    Dispatch(std::make_unique<Pending>(
        this, FormatCommand(commands[i]), deadline, [c, i](absl::StatusOr<RedisReply> r) {
          if (r.ok()) {
            c->replies[i] = *std::move(r);
          } else if (c->failure.ok()) {
            c->failure = r.status();
          }
          if (--c->outstanding == 0) c->done(c->failure, std::move(c->replies));
        }));
  }
}

void AsyncRedisClient::RunInit(bool recheck) {
  const absl::Time deadline = absl::Now() + options_.handshake_timeout;
  redisAsyncContext* ctx = ctx_;
  SendAll(options_.init_commands, deadline,
          [this, recheck, ctx, deadline](absl::Status failure, std::vector<RedisReply> replies) {
            if (ctx != ctx_) return;  // that connection is gone already
            std::vector<std::vector<std::string>> more;
            if (failure.ok() && options_.init_followup) more = options_.init_followup(replies);
            if (more.empty()) return FinishInit(recheck, ctx, failure, std::move(replies));
            SendAll(more, deadline,
                    [this, recheck, ctx, first = std::move(replies)](
                        absl::Status failure, std::vector<RedisReply> replies) mutable {
                      for (RedisReply& r : replies) first.push_back(std::move(r));
                      FinishInit(recheck, ctx, failure, std::move(first));
                    });
          });
}

void AsyncRedisClient::FinishInit(bool recheck, redisAsyncContext* ctx, absl::Status failure,
                                  std::vector<RedisReply> replies) {
  if (ctx != ctx_) return;
  recheck_in_flight_ = false;
  next_recheck_ = absl::Now() + options_.recheck_interval;
  absl::Status s = failure;
  if (s.ok() && options_.check_init) s = options_.check_init(replies);
  if (!s.ok()) {
    // A recheck that timed out is the probe's business (a stalled Redis). Any other failure
    // (the functions could not be loaded) drops the connection: reconnecting runs the whole
    // handshake again, with backoff, until it passes.
    if (!recheck || !absl::IsUnavailable(failure)) return DropConnection(s);
    return;
  }
  absl::Status durable =
      options_.check_durable ? options_.check_durable(replies) : absl::OkStatus();
  if (durable.ok() && options_.replication.replicas > 0) durable = JudgeReplicas(replies);
  SetDurability(durable);
  if (!recheck) {
    event_del(handshake_timer_.get());
    backoff_ = options_.reconnect_min;
    stalled_ = false;
  }
  init_ok_ = true;
  if (!stalled_) SetReady(true, absl::OkStatus());
}

// The reply to INFO replication, the last init command of a write connection.
absl::Status AsyncRedisClient::JudgeReplicas(const std::vector<RedisReply>& replies) {
  const size_t at = options_.init_commands.size() - 1;
  if (at >= replies.size() || replies[at].is_error()) {
    return absl::UnavailableError("redis: INFO replication failed");
  }
  const ReplicationInfo info = ParseReplicationInfo(replies[at].str);
  const ReplicationOptions& r = options_.replication;
  const std::string address = address_.unix_path.empty()
                                  ? absl::StrCat(address_.host, ":", address_.port)
                                  : address_.unix_path;
  if (r.on_check) r.on_check(address, info);
  wait_for_ = r.allow_fewer ? std::min(r.replicas, info.replicas_online) : r.replicas;
  return r.allow_fewer && info.master ? absl::OkStatus()
                                      : CheckReplicas(info, r.replicas, address);
}

void AsyncRedisClient::OnProbeTimer(int, short, void* self) {
  static_cast<AsyncRedisClient*>(self)->Probe();
}

void AsyncRedisClient::Probe() {
  if (ctx_ == nullptr || !init_ok_) return;  // connecting: the handshake has its own timeout
  redisAsyncContext* ctx = ctx_;
  if (!probe_in_flight_) {
    probe_in_flight_ = true;
    Dispatch(std::make_unique<Pending>(this, FormatCommand({"PING"}), absl::Now() + options_.probe_timeout,
                         [this, ctx](absl::StatusOr<RedisReply> r) {
                           probe_in_flight_ = false;
                           if (ctx != ctx_) return;
                           stalled_ = !r.ok();
                           if (r.ok() && init_ok_ && !ready()) {
                             SetReady(true, absl::OkStatus());
                           } else if (!r.ok() && ready()) {
                             SetReady(false, absl::UnavailableError(absl::StrCat(
                                                 "redis: ", address_.ToString(),
                                                 " did not answer PING within ",
                                                 absl::FormatDuration(options_.probe_timeout))));
                           }
                         }));
  }
  if (!recheck_in_flight_ && absl::Now() >= next_recheck_) {
    recheck_in_flight_ = true;
    RunInit(/*recheck=*/true);
  }
}

void AsyncRedisClient::SetDurability(const absl::Status& durability) {
  bool changed;
  {
    absl::MutexLock lock(&mu_);
    changed = durability_.ok() != durability.ok() ||
              durability_.message() != durability.message();
    durability_ = durability;
  }
  if (changed && options_.on_durability_change) options_.on_durability_change(durability);
}

absl::Status AsyncRedisClient::durability() const {
  absl::MutexLock lock(&mu_);
  return durability_;
}

void AsyncRedisClient::OnHandshakeTimeout(int, short, void* self) {
  static_cast<AsyncRedisClient*>(self)->DropConnection(
      absl::UnavailableError("redis: connect/init did not finish in time"));
}

void AsyncRedisClient::DropConnection(const absl::Status& why) {
  event_del(handshake_timer_.get());
  init_ok_ = false;
  recheck_in_flight_ = false;
  SetReady(false, why);
  if (ctx_ != nullptr) {
    redisAsyncContext* c = ctx_;
    ctx_ = nullptr;      // OnDisconnect ignores contexts that are no longer current
    redisAsyncFree(c);   // in-flight commands get OnReply(nullptr) -> UNAVAILABLE
  }
  bool stopping;
  {
    absl::MutexLock lock(&mu_);
    stopping = stopping_;
  }
  if (!stopping) ScheduleReconnect();
}

void AsyncRedisClient::OnDisconnect(const redisAsyncContext* c, int status) {
  auto* self = static_cast<AsyncRedisClient*>(c->data);
  if (c != self->ctx_) return;
  self->ctx_ = nullptr;  // hiredis frees it after this callback
  self->DropConnection(self->ConnectionLost());
}

absl::Status AsyncRedisClient::ConnectionLost() const {
  return absl::UnavailableError(absl::StrCat("redis: connection to ", address_.ToString(), " lost"));
}

void AsyncRedisClient::ScheduleReconnect() {
  if (evtimer_pending(reconnect_timer_.get(), nullptr)) return;
  const timeval tv = TimevalIn(backoff_);
  evtimer_add(reconnect_timer_.get(), &tv);
  backoff_ = std::min(backoff_ * 2, options_.reconnect_max);
}

AsyncRedisClient::Options WriteConnectionOptions(const AsyncRedisClient::Options& reads,
                                                 ReplicationOptions replication) {
  AsyncRedisClient::Options o;
  o.address = reads.address;
  o.probe_interval = reads.probe_interval;
  o.probe_timeout = reads.probe_timeout + replication.timeout;  // a PING may queue behind a WAIT
  o.recheck_interval = std::min(reads.recheck_interval, absl::Seconds(1));
  o.handshake_timeout = reads.handshake_timeout;
  o.reconnect_min = reads.reconnect_min;
  o.reconnect_max = reads.reconnect_max;
  o.on_command_done = reads.on_command_done;
  o.replication = std::move(replication);
  return o;
}

}  // namespace hallmark::redis
