#include "client/bench/raw_http2.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace hallmark::bench {
namespace {

constexpr uint8_t kData = 0, kHeaders = 1, kRstStream = 3, kSettings = 4, kPing = 6,
                  kGoaway = 7, kWindowUpdate = 8;
constexpr uint8_t kEndStream = 0x1, kAck = 0x1, kEndHeaders = 0x4;
constexpr absl::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

// HPACK integer with a 7-bit prefix (RFC 7541 §5.1), H bit clear: a string's length.
void AppendLength(size_t n, std::string* out) {
  if (n < 127) {
    out->push_back(static_cast<char>(n));
    return;
  }
  out->push_back(static_cast<char>(127));
  n -= 127;
  while (n >= 128) {
    out->push_back(static_cast<char>((n % 128) | 0x80));
    n /= 128;
  }
  out->push_back(static_cast<char>(n));
}

// Literal header field without indexing, new name (RFC 7541 §6.2.2): any bytes in the value.
std::string EncodeHeaders(const RawHttp2::Headers& headers) {
  std::string out;
  for (const auto& [name, value] : headers) {
    out.push_back(0);
    AppendLength(name.size(), &out);
    out += name;
    AppendLength(value.size(), &out);
    out += value;
  }
  return out;
}

uint32_t Be32(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

absl::StatusOr<int> Dial(const std::string& address) {
  if (absl::StartsWith(address, "unix:")) {
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    const std::string path = address.substr(5);
    if (path.size() >= sizeof(sa.sun_path)) return absl::InvalidArgumentError("path too long");
    std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return absl::InternalError("socket");
    if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
      close(fd);
      return absl::UnavailableError(absl::StrCat("cannot connect to ", address));
    }
    return fd;
  }
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos) return absl::InvalidArgumentError("expected host:port");
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(address.substr(0, colon).c_str(), address.substr(colon + 1).c_str(), &hints,
                  &found) != 0) {
    return absl::UnavailableError(absl::StrCat("cannot resolve ", address));
  }
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const bool ok = fd >= 0 && connect(fd, found->ai_addr, found->ai_addrlen) == 0;
  freeaddrinfo(found);
  if (!ok) {
    if (fd >= 0) close(fd);
    return absl::UnavailableError(absl::StrCat("cannot connect to ", address));
  }
  return fd;
}

}  // namespace

absl::StatusOr<std::unique_ptr<RawHttp2>> RawHttp2::Connect(const std::string& address) {
  absl::StatusOr<int> fd = Dial(address);
  if (!fd.ok()) return fd.status();
  const timeval send_timeout{5, 0};  // a peer that stops reading must not block us forever
  setsockopt(*fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof(send_timeout));
  std::unique_ptr<RawHttp2> c(new RawHttp2(*fd));
  if (send(c->fd_, kPreface.data(), kPreface.size(), MSG_NOSIGNAL) !=
          static_cast<ssize_t>(kPreface.size()) ||
      !c->WriteFrame(kSettings, 0, 0, "")) {
    return absl::UnavailableError("cannot send the HTTP/2 preface");
  }
  c->Pump(absl::Milliseconds(200));  // the server's SETTINGS, acknowledged
  if (c->closed()) return absl::UnavailableError("the server closed the connection");
  return c;
}

RawHttp2::~RawHttp2() { Close(); }

void RawHttp2::Close() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

RawHttp2::Headers RawHttp2::GrpcRequest(absl::string_view path, Headers extra) {
  Headers h = {{":method", "POST"},
               {":scheme", "http"},
               {":path", std::string(path)},
               {":authority", "localhost"},
               {"content-type", "application/grpc"},
               {"te", "trailers"}};
  for (auto& e : extra) h.push_back(std::move(e));
  return h;
}

std::string RawHttp2::GrpcMessageHeader(uint32_t length) {
  std::string h(5, '\0');
  for (int i = 0; i < 4; ++i) h[1 + i] = static_cast<char>((length >> (24 - 8 * i)) & 0xff);
  return h;
}

bool RawHttp2::WriteFrame(uint8_t type, uint8_t flags, uint32_t stream,
                          absl::string_view payload) {
  if (fd_ < 0) return false;
  std::string frame(9, '\0');
  const size_t n = payload.size();
  frame[0] = static_cast<char>((n >> 16) & 0xff);
  frame[1] = static_cast<char>((n >> 8) & 0xff);
  frame[2] = static_cast<char>(n & 0xff);
  frame[3] = static_cast<char>(type);
  frame[4] = static_cast<char>(flags);
  for (int i = 0; i < 4; ++i) frame[5 + i] = static_cast<char>((stream >> (24 - 8 * i)) & 0xff);
  frame.append(payload.data(), payload.size());
  size_t sent = 0;
  while (sent < frame.size()) {
    const ssize_t w = send(fd_, frame.data() + sent, frame.size() - sent, MSG_NOSIGNAL);
    if (w <= 0) {
      Close();
      return false;
    }
    sent += static_cast<size_t>(w);
  }
  return true;
}

absl::StatusOr<uint32_t> RawHttp2::OpenStream(const Headers& headers, bool end_stream) {
  const uint32_t id = next_stream_;
  next_stream_ += 2;
  if (!WriteFrame(kHeaders, kEndHeaders | (end_stream ? kEndStream : 0), id,
                  EncodeHeaders(headers))) {
    return absl::UnavailableError("connection closed");
  }
  stream_window_[id] = initial_stream_window_;
  return id;
}

size_t RawHttp2::SendData(uint32_t stream, absl::string_view data, bool end_stream,
                          absl::Duration wait) {
  const absl::Time deadline = absl::Now() + wait;
  size_t sent = 0;
  while (sent < data.size() && fd_ >= 0) {
    auto it = stream_window_.find(stream);
    if (it == stream_window_.end()) break;  // reset by the peer
    const int64_t room = std::min<int64_t>({conn_window_, it->second, max_frame_,
                                            static_cast<int64_t>(data.size() - sent)});
    if (room <= 0) {
      const absl::Time now = absl::Now();
      if (now >= deadline) break;
      ReadFrame(deadline - now);
      continue;
    }
    const bool last = end_stream && sent + static_cast<size_t>(room) == data.size();
    if (!WriteFrame(kData, last ? kEndStream : 0, stream, data.substr(sent, room))) break;
    sent += static_cast<size_t>(room);
    conn_window_ -= room;
    it->second -= room;
  }
  if (end_stream && data.empty()) WriteFrame(kData, kEndStream, stream, "");
  return sent;
}

void RawHttp2::Pump(absl::Duration wait) {
  const absl::Time deadline = absl::Now() + wait;
  while (fd_ >= 0) {
    const absl::Time now = absl::Now();
    if (now >= deadline || !ReadFrame(deadline - now)) return;
  }
}

bool RawHttp2::ReadExactly(char* out, size_t n, absl::Time deadline) {
  size_t got = 0;
  while (got < n) {
    const int ms = static_cast<int>(
        std::max<int64_t>(0, absl::ToInt64Milliseconds(deadline - absl::Now())));
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, ms) <= 0) return false;
    const ssize_t r = recv(fd_, out + got, n - got, 0);
    if (r <= 0) {
      Close();
      return false;
    }
    got += static_cast<size_t>(r);
  }
  return true;
}

bool RawHttp2::ReadFrame(absl::Duration wait) {
  if (fd_ < 0) return false;
  const absl::Time deadline = absl::Now() + wait;
  unsigned char h[9];
  if (!ReadExactly(reinterpret_cast<char*>(h), 9, deadline)) return false;
  const size_t length = (size_t{h[0]} << 16) | (size_t{h[1]} << 8) | h[2];
  const uint8_t type = h[3], flags = h[4];
  const uint32_t stream = Be32(h + 5) & 0x7fffffff;
  std::string payload(length, '\0');
  // The rest of a frame that has begun arrives promptly.
  if (!ReadExactly(payload.data(), length, deadline + absl::Seconds(5))) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(payload.data());
  switch (type) {
    case kSettings:
      if (flags & kAck) break;
      for (size_t i = 0; i + 6 <= length; i += 6) {
        const uint16_t id = static_cast<uint16_t>((p[i] << 8) | p[i + 1]);
        const uint32_t value = Be32(p + i + 2);
        if (id == 4) {  // SETTINGS_INITIAL_WINDOW_SIZE applies to every open stream
          for (auto& [s, w] : stream_window_) w += int64_t{value} - initial_stream_window_;
          initial_stream_window_ = value;
        } else if (id == 5) {
          max_frame_ = value;
        }
      }
      WriteFrame(kSettings, kAck, 0, "");
      break;
    case kPing:
      if (!(flags & kAck)) WriteFrame(kPing, kAck, 0, payload);
      break;
    case kWindowUpdate:
      if (length >= 4) {
        const int64_t increment = Be32(p) & 0x7fffffff;
        if (stream == 0) {
          conn_window_ += increment;
        } else if (auto it = stream_window_.find(stream); it != stream_window_.end()) {
          it->second += increment;
        }
      }
      break;
    case kRstStream:
      ++resets_;
      stream_window_.erase(stream);
      break;
    case kHeaders:
      if (flags & kEndStream) {  // the call's status: the server is done with this stream
        ++answered_;
        stream_window_.erase(stream);
      }
      break;
    case kGoaway:
      goaway_ = true;
      break;
    default:
      break;
  }
  return true;
}

}  // namespace hallmark::bench
