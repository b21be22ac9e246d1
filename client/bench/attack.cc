#include "client/bench/attack.h"

#include <memory>
#include <vector>

#include "absl/time/clock.h"
#include "client/bench/raw_http2.h"

namespace hallmark::bench {

HalfOpenResult HalfOpenAttack(const std::string& address, int connections, int streams,
                              int64_t bytes, absl::Duration hold) {
  HalfOpenResult r;
  std::vector<std::unique_ptr<RawHttp2>> conns;
  for (int i = 0; i < connections; ++i) {
    auto c = RawHttp2::Connect(address);
    if (c.ok()) conns.push_back(*std::move(c));
  }
  r.connections = static_cast<int>(conns.size());
  if (conns.empty()) return r;
  // The announced message, of which only what flow control admits is ever sent.
  const std::string header = RawHttp2::GrpcMessageHeader(static_cast<uint32_t>(bytes));
  const std::string chunk(64 << 10, 'x');
  const RawHttp2::Headers request =
      RawHttp2::GrpcRequest("/hallmark.v1.Verification/Verify", {{"grpc-timeout", "1000S"}});
  const absl::Time stop = absl::Now() + hold;
  for (int s = 0; s < streams && absl::Now() < stop; ++s) {
    RawHttp2& c = *conns[static_cast<size_t>(s) % conns.size()];
    if (c.closed()) continue;
    auto id = c.OpenStream(request);
    if (!id.ok()) continue;
    ++r.streams;
    if (bytes == 0) continue;
    int64_t left = bytes;
    size_t sent = c.SendData(*id, header, false, absl::Milliseconds(100));
    r.bytes_sent += static_cast<int64_t>(sent);
    while (left > 1 && absl::Now() < stop) {  // one byte short of the message, forever
      const size_t want = static_cast<size_t>(std::min<int64_t>(left - 1, chunk.size()));
      const size_t n = c.SendData(*id, absl::string_view(chunk).substr(0, want), false,
                                  absl::Milliseconds(100));
      r.bytes_sent += static_cast<int64_t>(n);
      left -= static_cast<int64_t>(n);
      if (n < want) break;  // the server's window stays shut: on to the next stream
    }
  }
  while (absl::Now() < stop) {  // hold everything open, answering pings
    for (auto& c : conns) c->Pump(absl::Milliseconds(50));
  }
  for (auto& c : conns) {
    c->Pump(absl::Milliseconds(1));
    r.resets += c->ended();
    r.goaways += c->goaway() ? 1 : 0;
    r.closed += c->closed() ? 1 : 0;
  }
  return r;
}

}  // namespace hallmark::bench
