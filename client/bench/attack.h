// File: client/bench/attack.h
//
// hallmark-bench's attack workloads, for measuring what a hostile caller without a token can
// make the server hold (bench/attack.sh). Bounded in count and time; loopback or unix sockets
// only in our use.
//
//   half-open  `streams` requests over `connections` connections, each announcing a message of
//              `bytes` and sending as much of it as the server's flow control lets through,
//              never finishing it; held for `hold`, then closed. With bytes = 0 the streams
//              send headers only (empty half-open streams).
#ifndef HALLMARK_CLIENT_BENCH_ATTACK_H_
#define HALLMARK_CLIENT_BENCH_ATTACK_H_

#include <cstdint>
#include <string>

#include "absl/time/time.h"

namespace hallmark::bench {

struct HalfOpenResult {
  int connections = 0;       // connections opened
  int streams = 0;           // streams opened
  int64_t bytes_sent = 0;    // request bytes the server's windows let through
  int resets = 0;            // streams the server ended (reset, or answered with an error)
  int goaways = 0;           // connections the server sent GOAWAY on
  int closed = 0;            // connections the server closed
};

HalfOpenResult HalfOpenAttack(const std::string& address, int connections, int streams,
                              int64_t bytes, absl::Duration hold);

}  // namespace hallmark::bench

#endif  // HALLMARK_CLIENT_BENCH_ATTACK_H_
