// AsyncGate and Timer: the two small primitives that pace bulk work without blocking threads.
#include <algorithm>
#include <atomic>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "server/common/async_gate.h"
#include "server/common/timer.h"

namespace hallmark {
namespace {

TEST(AsyncGateTest, HoldsAtMostItsPlacesAndHandsThemOnInOrder) {
  AsyncGate gate(2);
  std::vector<int> ran;
  for (int i = 0; i < 5; ++i) gate.Enter([&ran, i] { ran.push_back(i); });
  EXPECT_EQ(ran, (std::vector<int>{0, 1}));  // two places
  EXPECT_EQ(gate.waiting(), 3u);
  gate.Leave();
  EXPECT_EQ(ran, (std::vector<int>{0, 1, 2}));  // FIFO
  gate.Leave();
  gate.Leave();
  EXPECT_EQ(ran, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(gate.waiting(), 0u);
  gate.Leave();
  gate.Leave();
  // Both places free again: two more run at once, a third waits.
  for (int i = 5; i < 8; ++i) gate.Enter([&ran, i] { ran.push_back(i); });
  EXPECT_EQ(ran.size(), 7u);
  EXPECT_EQ(gate.waiting(), 1u);
}

// Holders that leave at once (their work failed on the spot) must not start the next one from
// inside the previous one: a long queue would otherwise run as one deep recursion.
TEST(AsyncGateTest, ALongQueueOfHoldersThatLeaveAtOnceRunsWithoutRecursion) {
  AsyncGate gate(1);
  int depth = 0, deepest = 0, ran = 0;
  gate.Enter([] {});  // holds the only place
  for (int i = 0; i < 200'000; ++i) {
    gate.Enter([&] {
      ++depth;
      deepest = std::max(deepest, depth);
      ++ran;
      gate.Leave();  // fails on the spot
      --depth;
    });
  }
  gate.Leave();
  EXPECT_EQ(ran, 200'000);
  EXPECT_EQ(deepest, 1);
  EXPECT_EQ(gate.waiting(), 0u);
}

TEST(TimerTest, RunsTasksInDueOrderAndDropsPendingOnesWhenDestroyed) {
  std::vector<int> order;
  absl::Mutex mu;
  absl::Notification both;
  auto dropped = std::make_shared<int>(0);
  {
    Timer timer;
    timer.After(absl::Milliseconds(40), [&] {
      absl::MutexLock lock(&mu);
      order.push_back(2);
      both.Notify();
    });
    timer.After(absl::Milliseconds(1), [&] {
      absl::MutexLock lock(&mu);
      order.push_back(1);
    });
    timer.After(absl::Hours(1), [dropped] { ++*dropped; });
    ASSERT_TRUE(both.WaitForNotificationWithTimeout(absl::Seconds(30)));
  }
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
  EXPECT_EQ(*dropped, 0);
  EXPECT_EQ(dropped.use_count(), 1);  // the pending task was destroyed with the timer
}

}  // namespace
}  // namespace hallmark
