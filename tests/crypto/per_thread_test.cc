// PerThread: one object per thread and owner, all freed with the owner — so a signer dropped
// at a key-ring reload leaves no context (and no private key reference) in any thread.
#include "crypto/internal/per_thread.h"

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace hallmark::crypto::internal {
namespace {

struct Probe {
  explicit Probe(std::atomic<int>* counter) : alive(counter) { ++*alive; }
  ~Probe() { --*alive; }
  std::atomic<int>* alive;
};

TEST(PerThreadTest, EachThreadHasItsOwnAndTheOwnerFreesThemAllWhileThreadsRun) {
  std::atomic<int> alive{0};
  auto owner = std::make_unique<PerThread<Probe>>();
  auto make = [&] { return std::make_unique<Probe>(&alive); };
  std::atomic<int> ready{0};
  absl::Notification release;
  std::vector<std::thread> threads;
  std::vector<Probe*> seen(3, nullptr);
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&, i] {
      Probe* first = owner->Get(make);
      EXPECT_EQ(owner->Get(make), first);  // the same one on the next call
      seen[i] = first;
      ++ready;
      release.WaitForNotification();
    });
  }
  while (ready.load() < 3) absl::SleepFor(absl::Milliseconds(1));
  EXPECT_EQ(alive.load(), 3);
  EXPECT_EQ(owner->size(), 3u);
  EXPECT_NE(seen[0], seen[1]);
  EXPECT_NE(seen[1], seen[2]);
  owner.reset();            // the threads are all still alive...
  EXPECT_EQ(alive.load(), 0);  // ...and hold nothing of the owner any more
  release.Notify();
  for (std::thread& t : threads) t.join();
  // A new owner on this thread starts afresh.
  PerThread<Probe> next;
  Probe* p = next.Get(make);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(alive.load(), 1);
}

// A thread that exits takes its T along: a long-lived owner does not grow with thread churn.
TEST(PerThreadTest, AnExitingThreadFreesItsOwn) {
  std::atomic<int> alive{0};
  PerThread<Probe> owner;
  for (int i = 0; i < 20; ++i) {
    std::thread([&] { ASSERT_NE(owner.Get([&] { return std::make_unique<Probe>(&alive); }), nullptr); })
        .join();
  }
  EXPECT_EQ(alive.load(), 0);
  EXPECT_EQ(owner.size(), 0u);
  EXPECT_NE(owner.Get([&] { return std::make_unique<Probe>(&alive); }), nullptr);
  EXPECT_EQ(owner.size(), 1u);
}

TEST(PerThreadTest, AFailedMakeIsRetried) {
  std::atomic<int> alive{0};
  PerThread<Probe> owner;
  EXPECT_EQ(owner.Get([] { return std::unique_ptr<Probe>(); }), nullptr);
  EXPECT_NE(owner.Get([&] { return std::make_unique<Probe>(&alive); }), nullptr);
  EXPECT_EQ(owner.size(), 1u);
}

}  // namespace
}  // namespace hallmark::crypto::internal
