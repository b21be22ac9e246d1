// hallmarkctl's batching: calls the server says cost more than the caller's rate limit can ever
// admit at once are sent again in halves (docs/security.md §3).
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "client/ctl/ctl_common.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hallmark::ctl {
namespace {

using Calls = std::vector<std::pair<size_t, size_t>>;

TEST(InBatchesTest, HalvesWhenTheServerSaysSplitAndKeepsTheSizeThatWorked) {
  Calls calls;
  absl::Status s = InBatches(10, 8, [&](size_t first, size_t count) {
    calls.emplace_back(first, count);
    if (count > 3) {
      return absl::ResourceExhaustedError("this call costs 8 ...; split it into smaller calls");
    }
    return absl::OkStatus();
  });
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(calls, (Calls{{0, 8}, {0, 4}, {0, 2}, {2, 2}, {4, 2}, {6, 2}, {8, 2}}));
}

TEST(InBatchesTest, OtherErrorsStopAtOnce) {
  Calls calls;
  absl::Status s = InBatches(10, 4, [&](size_t first, size_t count) {
    calls.emplace_back(first, count);
    return first == 4 ? absl::ResourceExhaustedError("rate limit of 20/s exceeded; retry after 1 s")
                      : absl::OkStatus();
  });
  EXPECT_TRUE(absl::IsResourceExhausted(s));
  EXPECT_EQ(calls, (Calls{{0, 4}, {4, 4}}));
  // A single item that is still too costly is an error, not an endless loop.
  EXPECT_TRUE(absl::IsResourceExhausted(InBatches(1, 8, [](size_t, size_t) {
    return absl::ResourceExhaustedError("split it into smaller calls");
  })));
}

}  // namespace
}  // namespace hallmark::ctl
