// File: common/net.h
//
// Address helpers shared by the server and the client.
#ifndef HALLMARK_COMMON_NET_H_
#define HALLMARK_COMMON_NET_H_

#include "absl/strings/string_view.h"

namespace hallmark {

// Whether a gRPC target or listen address ("host:port", "[v6]:port", "unix:...", with an
// optional "dns:///", "ipv4:" or "ipv6:" scheme) names this machine only: a unix socket,
// "localhost", 127.x.y.z or [::1]. The host is compared whole, so "localhost.example.com" or
// "127.0.0.1.example.com" are not loopback.
bool IsLoopbackAddress(absl::string_view address);

}  // namespace hallmark

#endif  // HALLMARK_COMMON_NET_H_
