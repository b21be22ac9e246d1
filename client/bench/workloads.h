// File: client/bench/workloads.h
//
// The hallmark-bench workloads, each a StartCall for the closed loop:
//   health         grpc.health.v1 Check: the empty-RPC baseline
//   verify-unique  Verify, each code once (every call pays a signature check)
//   verify-repeat  Verify over a small set of codes (the signature cache answers)
//   verify-batch   VerifyBatch of --batch unique codes
//   check-stolen   CheckStolen of 1,000 units
//   issue          IssueSerials of 1,000 units, a new request id each call
// (issue-stream, one StreamIssueSerials of --stream_units, is run on its own by main).
#ifndef HALLMARK_CLIENT_BENCH_WORKLOADS_H_
#define HALLMARK_CLIENT_BENCH_WORKLOADS_H_

#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "client/bench/closed_loop.h"
#include "client/bench/cq_threads.h"
#include "hallmark/v1/issuance.pb.h"

namespace hallmark::bench {

struct Target {
  std::vector<std::shared_ptr<grpc::Channel>> channels;  // calls are spread over them
  std::string token;
  std::string gtin;
  std::vector<v1::IssuedUnit> units;  // prepared codes for the verify/check workloads
  int batch = 100;
  int repeat_set = 100;
  CqThreads* queues = nullptr;  // the threads the calls run on
};

// Separate connections (no shared subchannel) to `address`.
std::vector<std::shared_ptr<grpc::Channel>> OpenChannels(const std::string& address, int n);

// Issues `count` units (one streamed request) for the verify workloads.
absl::StatusOr<std::vector<v1::IssuedUnit>> PrepareUnits(const Target& target, int64_t count,
                                                         const std::string& request_id);

// The units of a CSV written by `hallmarkctl issue` (gtin,serial,lot,key_id,digsig,link,...).
absl::StatusOr<std::vector<v1::IssuedUnit>> ReadUnitsCsv(const std::string& path);

// The StartCall of a workload; nullptr for an unknown name.
StartCall MakeWorkload(const std::string& name, const Target& target);

// Units (or codes) each call of the workload carries: 1, --batch, or 1,000.
int ItemsPerCall(const std::string& name, const Target& target);

}  // namespace hallmark::bench

#endif  // HALLMARK_CLIENT_BENCH_WORKLOADS_H_
