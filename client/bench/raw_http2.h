// File: client/bench/raw_http2.h
//
// RawHttp2: a bare HTTP/2 client connection that sends what a well-behaved gRPC client never
// would — header values holding newlines, requests announced but never finished (half-open
// streams), thousands of idle streams — for hallmark-bench's attack workload and the tests
// that replay those attacks against the server. It speaks just enough HTTP/2: the preface,
// SETTINGS (acknowledged), HPACK literal headers without Huffman coding, DATA within the
// peer's flow-control windows (WINDOW_UPDATE applied), PING acknowledged; RST_STREAM and
// GOAWAY are counted. Not thread-safe; one connection per object.
//
// Example:
//   auto h2 = RawHttp2::Connect("unix:/tmp/x/grpc.sock");
//   auto id = (*h2)->OpenStream(RawHttp2::GrpcRequest("/hallmark.v1.Verification/Verify"));
//   (*h2)->SendData(*id, RawHttp2::GrpcMessageHeader(4 << 20) + std::string(1 << 20, 'x'),
//                   /*end_stream=*/false, absl::Seconds(1));  // 1 MiB of a 4 MiB request
#ifndef HALLMARK_CLIENT_BENCH_RAW_HTTP2_H_
#define HALLMARK_CLIENT_BENCH_RAW_HTTP2_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace hallmark::bench {

class RawHttp2 {
 public:
  using Headers = std::vector<std::pair<std::string, std::string>>;

  // "unix:/path" or "host:port" (IPv4 or a name resolving to one).
  static absl::StatusOr<std::unique_ptr<RawHttp2>> Connect(const std::string& address);
  ~RawHttp2();
  RawHttp2(const RawHttp2&) = delete;
  RawHttp2& operator=(const RawHttp2&) = delete;

  // The pseudo-headers and headers of a gRPC call to `path`, then `extra`.
  static Headers GrpcRequest(absl::string_view path, Headers extra = {});
  // The 5-byte gRPC length prefix of a message of `length` bytes.
  static std::string GrpcMessageHeader(uint32_t length);

  // Opens the next stream with `headers` (one HEADERS frame). Its id.
  absl::StatusOr<uint32_t> OpenStream(const Headers& headers, bool end_stream = false);
  // Sends `data` on `stream` as far as the flow-control windows allow, waiting up to `wait`
  // in all for the peer to open them. The number of bytes sent.
  size_t SendData(uint32_t stream, absl::string_view data, bool end_stream, absl::Duration wait);
  // Reads and handles the peer's frames for up to `wait`.
  void Pump(absl::Duration wait);

  bool closed() const { return fd_ < 0; }  // the peer closed the connection
  bool goaway() const { return goaway_; }
  int resets() const { return resets_; }  // RST_STREAMs received
  // Streams the server ended: reset, or answered with trailers (END_STREAM on HEADERS).
  int ended() const { return resets_ + answered_; }

 private:
  explicit RawHttp2(int fd) : fd_(fd) {}
  bool WriteFrame(uint8_t type, uint8_t flags, uint32_t stream, absl::string_view payload);
  // Reads one frame if one arrives within `wait`; false on timeout or a closed connection.
  bool ReadFrame(absl::Duration wait);
  bool ReadExactly(char* out, size_t n, absl::Time deadline);
  void Close();

  int fd_;
  uint32_t next_stream_ = 1;
  int64_t conn_window_ = 65535;
  int64_t initial_stream_window_ = 65535;
  std::map<uint32_t, int64_t> stream_window_;
  uint32_t max_frame_ = 16384;
  bool goaway_ = false;
  int resets_ = 0;
  int answered_ = 0;
};

}  // namespace hallmark::bench

#endif  // HALLMARK_CLIENT_BENCH_RAW_HTTP2_H_
