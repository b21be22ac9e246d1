// AsyncGate and Timer: the two small primitives that pace bulk work without blocking threads.
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
