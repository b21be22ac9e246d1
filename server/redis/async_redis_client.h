// File: server/redis/async_redis_client.h
//
// AsyncRedisClient: RedisClient on hiredis's async API and a libevent loop in one dedicated
// thread. Callers on any thread queue commands; the loop writes them (pipelined) and finishes
// each from its reply, so no gRPC thread ever blocks on Redis.
//
// hiredis 0.14 has no command timeouts, so every command arms its own timer: at its deadline
// the callback gets UNAVAILABLE and a late reply is dropped. Connection loss fails everything
// in flight with UNAVAILABLE; the client reconnects by itself with exponential backoff and,
// after every connect, runs the init commands (e.g. FUNCTION LOAD REPLACE, CONFIG GET) and
// their check before it reports ready. While not ready, commands fail fast with UNAVAILABLE.
//
// A write connection (Options.replication.replicas > 0) acknowledges only what enough replicas
// have: a command's reply is held until a WAIT sent behind it on the same connection confirms
// the replicas (group commit: one WAIT covers every reply that came before it, so a pipeline of
// writes costs one replication round trip, not one per write). WAIT blocks the connection
// while it waits, so reads belong on another one (WriteConnectionOptions). Error replies are
// passed on at once: they acknowledge nothing. A WAIT that comes back short, times out or is
// refused fails the held commands with UNAVAILABLE: they ran, and may or may not survive a
// failover, so the caller retries them (idempotently). The connection also checks its
// master's replicas (INFO replication) at every connect and about once a second after; too
// few online makes durability() UNAVAILABLE, so writes are refused before they are sent.
//
// Example:
//   AsyncRedisClient::Options o;
//   o.address = "unix:///var/run/redis.sock";
//   auto client = AsyncRedisClient::Start(std::move(o));
//   (*client)->WaitUntilReady(absl::Seconds(5));
#ifndef HALLMARK_SERVER_REDIS_ASYNC_REDIS_CLIENT_H_
#define HALLMARK_SERVER_REDIS_ASYNC_REDIS_CLIENT_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/redis/redis_address.h"
#include "server/redis/redis_client.h"
#include "server/redis/replication.h"

struct event;
struct event_base;
struct redisAsyncContext;

namespace hallmark::redis {


class AsyncRedisClient final : public RedisConnection {
 public:
  struct Options {
    std::string address;
    // Sent, pipelined, after every connect; `check_init` judges their replies. A failing
    // check (e.g. a non-durable Redis) keeps the client not ready and retries later.
    std::vector<std::vector<std::string>> init_commands;
    std::function<absl::Status(const std::vector<RedisReply>&)> check_init;
    // Further commands, chosen from the init replies (e.g. FUNCTION LOAD only when the
    // library is missing or of another version); their replies are appended before the check.
    std::function<std::vector<std::vector<std::string>>(const std::vector<RedisReply>&)>
        init_followup;
    // Judges durability from the init replies once check_init passed. A failure does not
    // make the client not ready (reads go on); durability() returns it so that writes which
    // promise durability can be refused.
    std::function<absl::Status(const std::vector<RedisReply>&)> check_durable;
    // Told about every durability change. Runs on the loop thread.
    std::function<void(const absl::Status& durability)> on_durability_change;
    // Liveness: a PING every probe_interval must be answered within probe_timeout, else the
    // client is not ready until one is (a stalled, e.g. SIGSTOPped, Redis keeps its
    // connections open). Zero interval: no probing.
    absl::Duration probe_interval = absl::Seconds(1);
    absl::Duration probe_timeout = absl::Seconds(1);
    // The init commands and checks run again this often on a live connection: durability is
    // re-checked and a flushed function library reloaded.
    absl::Duration recheck_interval = absl::Seconds(10);
    absl::Duration handshake_timeout = absl::Seconds(5);  // connect + init
    absl::Duration reconnect_min = absl::Milliseconds(50);
    absl::Duration reconnect_max = absl::Seconds(1);
    // Told about every readiness change (logging, health). Runs on the loop thread.
    std::function<void(bool ready, const absl::Status& why)> on_state_change;
    // Told about every completed command (metrics): its round trip and whether it got a reply.
    std::function<void(absl::Duration latency, bool ok)> on_command_done;
    // replicas > 0: a write connection (see above). INFO replication is added to the init
    // commands, and the replica check to the durability check.
    ReplicationOptions replication;
  };

  static absl::StatusOr<std::unique_ptr<AsyncRedisClient>> Start(Options options);
  // Calls Stop().
  ~AsyncRedisClient() override;

  // Fails everything pending with UNAVAILABLE and joins the loop thread. Afterwards Execute()
  // fails at once, on the caller's thread. Idempotent.
  void Stop() override;

  void Execute(std::vector<std::string> argv, absl::Time deadline, ReplyCallback done) override;
  // Sends ASKING and then `argv` back to back on the connection (nothing in between), as a
  // Redis Cluster ASK redirection requires; `done` gets the reply to `argv`.
  void ExecuteAsking(std::vector<std::string> argv, absl::Time deadline, ReplyCallback done);
  bool ready() const override { return ready_.load(std::memory_order_acquire); }

  absl::Status WaitUntilReady(absl::Duration timeout) override;
  absl::Status durability() const override;

 private:
  // A command and its callback. Owned by a std::unique_ptr (PendingPtr) wherever it is, except
  // while hiredis holds it as the privdata of a command in flight: Dispatch releases it there,
  // OnReply takes it back. Its deadline timer may finish it meanwhile; the reply, when it comes,
  // then only frees it.
  struct Pending;
  using PendingPtr = std::unique_ptr<Pending>;
  struct Handshake;

  AsyncRedisClient(Options options, RedisAddress address);
  void Loop();
  void Wake();
  void Enqueue(PendingPtr p);  // hands a command to the loop thread (or fails it when stopped)
  void SetReady(bool ready, const absl::Status& why);
  absl::Status ConnectionLost() const;  // UNAVAILABLE naming the address

  // Loop-thread only:
  void DrainQueue();
  void Dispatch(PendingPtr p);
  void Connect();
  // Sends the init commands (and their follow-up) and applies the checks: at connect
  // (`recheck` false: a failure drops the connection) or periodically on a live connection.
  void RunInit(bool recheck);
  void FinishInit(bool recheck, redisAsyncContext* ctx, absl::Status failure,
                  std::vector<RedisReply> replies);
  // Dispatches `commands` pipelined; `done` gets the first failure (if any) and the replies.
  void SendAll(const std::vector<std::vector<std::string>>& commands, absl::Time deadline,
               absl::AnyInvocable<void(absl::Status, std::vector<RedisReply>)> done);
  void Probe();
  void SetDurability(const absl::Status& durability);
  void DropConnection(const absl::Status& why);
  void ScheduleReconnect();

  static void OnWakeup(int, short, void* self);
  static void OnReconnectTimer(int, short, void* self);
  static void OnHandshakeTimeout(int, short, void* self);
  static void OnProbeTimer(int, short, void* self);
  static void OnCommandTimeout(int, short, void* pending);
  static void OnReply(redisAsyncContext* c, void* reply, void* pending);
  static void OnConnect(const redisAsyncContext* c, int status);
  static void OnDisconnect(const redisAsyncContext* c, int status);
  // Runs p's callback once (later calls do nothing); does not free it.
  static void Finish(Pending& p, absl::StatusOr<RedisReply> result);
  // Write connections: holds a reply until a WAIT confirms it, sending one if none is out.
  void Hold(PendingPtr p, RedisReply reply);
  void SendWait();
  void FinishWait(absl::StatusOr<RedisReply> wait, absl::Time sent, int wanted);
  absl::Status JudgeReplicas(const std::vector<RedisReply>& replies);

  const Options options_;
  const RedisAddress address_;
  // libevent handles, owned (declared before the events: the base is freed last).
  struct EventBaseFree {
    void operator()(event_base* b) const;
  };
  struct EventFree {
    void operator()(event* e) const;
  };
  using EventPtr = std::unique_ptr<event, EventFree>;
  std::unique_ptr<event_base, EventBaseFree> base_;
  EventPtr wakeup_;
  EventPtr reconnect_timer_;
  EventPtr handshake_timer_;
  EventPtr probe_timer_;
  // Loop-thread only: the current connection passed its init checks; a probe or a recheck is
  // in flight; the last probe went unanswered; when the next recheck is due.
  bool init_ok_ = false;
  bool probe_in_flight_ = false;
  bool recheck_in_flight_ = false;
  bool stalled_ = false;
  // Write connections, loop-thread only: replies waiting for their WAIT, whether one is out,
  // and how many replicas a WAIT asks for (less than configured only with allow_fewer).
  std::vector<PendingPtr> held_;
  bool wait_in_flight_ = false;
  int wait_for_ = 0;
  absl::Time next_recheck_;
  redisAsyncContext* ctx_ = nullptr;
  absl::Duration backoff_;
  std::atomic<bool> ready_{false};
  std::thread thread_;

  mutable absl::Mutex mu_;
  std::vector<PendingPtr> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;  // loop joined: Execute fails inline
  bool ready_mirror_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status last_error_ ABSL_GUARDED_BY(mu_) = absl::UnavailableError("redis: connecting");
  absl::Status durability_ ABSL_GUARDED_BY(mu_) = absl::UnavailableError("redis: connecting");
};

// The options of a write connection to the node of `reads` (a read connection's options):
// same address and timeouts; no init of its own but the replica check (the read connection
// loads the functions and checks the AOF); its probe allows for a WAIT ahead of it.
AsyncRedisClient::Options WriteConnectionOptions(const AsyncRedisClient::Options& reads,
                                                 ReplicationOptions replication);

}  // namespace hallmark::redis

#endif  // HALLMARK_SERVER_REDIS_ASYNC_REDIS_CLIENT_H_
