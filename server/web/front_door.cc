#include "server/web/front_door.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <mutex>
#include <thread>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "server/common/log.h"
#include "server/web/documents.h"
#include "server/web/page.h"

namespace hallmark::web {
namespace {

// Anonymous web clients share at most this many rate-limit buckets.
constexpr size_t kClientBuckets = 4096;

struct EventBaseFree {
  void operator()(event_base* b) const { event_base_free(b); }
};
struct EvhttpFree {
  void operator()(evhttp* h) const { evhttp_free(h); }
};
struct EvbufferFree {
  void operator()(evbuffer* b) const { evbuffer_free(b); }
};

// The web's principal: an anonymous verifier (the weakest clone-evidence weight), one
// organisation for every web scan.
const auth::Principal& WebPrincipal() {
  static const auth::Principal* const p = [] {
    auto* principal = new auth::Principal();
    principal->set_name("web");
    principal->set_role(admin::ROLE_VERIFIER);
    principal->set_organisation("anonymous web scans");
    return principal;
  }();
  return *p;
}

// "host:port", "[v6]:port", ":port" -> a listening TCP socket (non-blocking), or an error.
absl::StatusOr<int> ListenOn(const std::string& address, int* port_out) {
  const size_t colon = address.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(address.substr(colon + 1), &port) ||
      port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("http_listen: want host:port, got \"", address, "\""));
  }
  std::string host = address.substr(0, colon);
  if (absl::StartsWith(host, "[") && absl::EndsWith(host, "]")) {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) host = "0.0.0.0";
  sockaddr_storage addr{};
  socklen_t len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    len = sizeof(*v4);
  } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    len = sizeof(*v6);
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("http_listen: \"", host, "\" is not an IP address"));
  }
  const int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("http_listen: socket: ", strerror(errno)));
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 || listen(fd, 1024) != 0) {
    const std::string why = strerror(errno);
    close(fd);
    return absl::UnavailableError(absl::StrCat("http_listen ", address, ": ", why));
  }
  sockaddr_storage bound{};
  socklen_t bound_len = sizeof(bound);
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &bound_len);
  *port_out = ntohs(bound.ss_family == AF_INET6
                        ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                        : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  return fd;
}

enum class Format { kHtml, kJson, kLinkset };

// Content negotiation: ?linkType=linkset or an Accept naming the linkset type first; JSON for
// an Accept that prefers application/json to text/html; the page otherwise (browsers).
Format Negotiate(absl::string_view accept, absl::string_view link_type) {
  if (link_type == "linkset" || link_type == "all") return Format::kLinkset;
  const size_t linkset = accept.find("application/linkset+json");
  const size_t json = accept.find("application/json");
  const size_t html = accept.find("text/html");
  if (linkset != absl::string_view::npos && (html == absl::string_view::npos || linkset < html)) {
    return Format::kLinkset;
  }
  if (json != absl::string_view::npos && (html == absl::string_view::npos || json < html)) {
    return Format::kJson;
  }
  return Format::kHtml;
}

// The value of query parameter `name` (not decoded; "" when absent).
std::string QueryParam(absl::string_view query, absl::string_view name) {
  for (absl::string_view kv : absl::StrSplit(query, '&')) {
    if (absl::ConsumePrefix(&kv, name) && absl::ConsumePrefix(&kv, "=")) return std::string(kv);
  }
  return "";
}

}  // namespace

struct FrontDoor::Worker {
  FrontDoorOptions* options;
  FrontDoorDeps* deps;
  const Messages* messages;
  std::unique_ptr<event_base, EventBaseFree> base;
  std::unique_ptr<evhttp, EvhttpFree> http;
  std::thread thread;

  static void OnRequest(evhttp_request* req, void* self) {
    static_cast<Worker*>(self)->Handle(req);
  }

  void Handle(evhttp_request* req);
  void DigitalLink(evhttp_request* req, absl::string_view uri);
  void Reply(evhttp_request* req, int code, absl::string_view type, absl::string_view body,
             const char* reason = nullptr);
  std::string Client(evhttp_request* req) const;
  bool FromTrustedProxy(evhttp_request* req) const;
};

namespace {
const char* Header(evhttp_request* req, const char* name) {
  return evhttp_find_header(evhttp_request_get_input_headers(req), name);
}
void AddHeader(evhttp_request* req, const char* name, const std::string& value) {
  evhttp_add_header(evhttp_request_get_output_headers(req), name, value.c_str());
}
std::string PeerAddress(evhttp_request* req) {
  char* address = nullptr;
  ev_uint16_t port = 0;
  evhttp_connection_get_peer(evhttp_request_get_connection(req), &address, &port);
  return address != nullptr ? address : "";
}
}  // namespace

bool FrontDoor::Worker::FromTrustedProxy(evhttp_request* req) const {
  return auth::InAny(options->trusted_proxies, PeerAddress(req));
}

std::string FrontDoor::Worker::Client(evhttp_request* req) const {
  const char* xff = Header(req, "X-Forwarded-For");
  return auth::ClientAddress(PeerAddress(req), xff != nullptr ? xff : "",
                             options->trusted_proxies);
}

void FrontDoor::Worker::Reply(evhttp_request* req, int code, absl::string_view type,
                              absl::string_view body, const char* reason) {
  AddHeader(req, "Content-Type", std::string(type));
  AddHeader(req, "X-Content-Type-Options", "nosniff");
  AddHeader(req, "Referrer-Policy", "no-referrer");
  AddHeader(req, "X-Frame-Options", "DENY");
  AddHeader(req, "Content-Security-Policy", PageCsp());
  const char* proto = Header(req, "X-Forwarded-Proto");
  if (proto != nullptr && absl::EqualsIgnoreCase(proto, "https") && FromTrustedProxy(req)) {
    AddHeader(req, "Strict-Transport-Security", "max-age=31536000");
  }
  std::unique_ptr<evbuffer, EvbufferFree> buf(evbuffer_new());
  evbuffer_add(buf.get(), body.data(), body.size());
  evhttp_send_reply(req, code, reason, buf.get());  // HEAD: evhttp sends no body
  if (deps->metrics != nullptr) deps->metrics->WebRequest(code);
}

void FrontDoor::Worker::Handle(evhttp_request* req) {
  const evhttp_cmd_type method = evhttp_request_get_command(req);
  if (method != EVHTTP_REQ_GET && method != EVHTTP_REQ_HEAD) {
    AddHeader(req, "Allow", "GET, HEAD");
    return Reply(req, 405, "text/plain; charset=utf-8", "only GET and HEAD\n",
                 "Method Not Allowed");
  }
  const char* raw = evhttp_request_get_uri(req);
  const absl::string_view uri = raw != nullptr ? raw : "";
  if (uri.size() > options->max_uri_bytes) {
    return Reply(req, 414, "text/plain; charset=utf-8", "URI too long\n", "URI Too Long");
  }
  if (!absl::StartsWith(uri, "/")) {
    return Reply(req, 400, "text/plain; charset=utf-8", "bad request target\n");
  }
  const absl::string_view path = uri.substr(0, uri.find('?'));
  if (path == "/healthz") {
    const bool up = deps->serving && deps->serving();
    AddHeader(req, "Cache-Control", "no-store");
    return Reply(req, up ? 200 : 503, "text/plain; charset=utf-8",
                 up ? "SERVING\n" : "NOT_SERVING\n");
  }
  if (path == "/.well-known/jwks.json") {
    absl::StatusOr<std::string> jwks = Jwks(*deps->keys->Get());
    if (!jwks.ok()) return Reply(req, 500, "text/plain; charset=utf-8", "keys unavailable\n");
    AddHeader(req, "Cache-Control", "public, max-age=300");
    AddHeader(req, "Access-Control-Allow-Origin", "*");
    return Reply(req, 200, "application/jwk-set+json", *jwks);
  }
  if (path == "/.well-known/gs1resolver") {
    AddHeader(req, "Cache-Control", "public, max-age=3600");
    return Reply(req, 200, "application/json", ResolverDescription(options->public_base));
  }
  if (absl::StrContains(path, "/01/")) return DigitalLink(req, uri);
  Reply(req, 404, "text/plain; charset=utf-8", "not found\n");
}

void FrontDoor::Worker::DigitalLink(evhttp_request* req, absl::string_view uri) {
  const absl::string_view path = uri.substr(0, uri.find('?'));
  const absl::string_view query =
      uri.find('?') == absl::string_view::npos ? "" : uri.substr(uri.find('?') + 1);
  const char* accept_header = Header(req, "Accept");
  const Format format =
      Negotiate(accept_header != nullptr ? accept_header : "", QueryParam(query, "linkType"));
  const char* al = Header(req, "Accept-Language");
  const std::string lang = messages->Choose(al != nullptr ? al : "");
  AddHeader(req, "Link", LinksetHeader(options->public_base, path));
  AddHeader(req, "Vary", "Accept, Accept-Language");
  AddHeader(req, "Cache-Control", "no-store");  // a verdict is of this moment
  AddHeader(req, "Content-Language", lang);
  if (format == Format::kLinkset) {
    return Reply(req, 200, "application/linkset+json", Linkset(options->public_base, path));
  }
  v1::VerifyResponse response;
  // Limits first: the client's bucket, then everyone's.
  const absl::Time now = absl::Now();
  const std::string client_key =
      auth::AddressBucketKey(Client(req), "web:", kClientBuckets);
  absl::Status admitted = deps->limiter->Acquire(
      {{client_key, options->per_client, 1}, {"web:all", options->global, 1}}, now);
  if (!admitted.ok()) {
    AddHeader(req, "Retry-After", "2");
    if (format == Format::kJson) {
      return Reply(req, 429, "application/json",
                   "{\"error\":\"too many requests from your network; retry later\"}");
    }
    return Reply(req, 429, "text/html; charset=utf-8",
                 RenderPage(PageVerdict::kBusy, response, *messages, lang));
  }
  v1::VerifyRequest request;
  request.set_code(absl::StrCat(options->public_base, uri));
  request.mutable_context()->set_channel("web");
  if (!options->country_header.empty() && FromTrustedProxy(req)) {
    const char* country = Header(req, options->country_header.c_str());
    if (country != nullptr && strlen(country) == 2 && absl::ascii_isalpha(country[0]) &&
        absl::ascii_isalpha(country[1])) {
      request.mutable_context()->set_country(absl::AsciiStrToUpper(country));
    }
  }
  absl::Notification done;
  absl::Status status;
  deps->engine->Verify(WebPrincipal(), request, now + options->verify_timeout, &response,
                       [&](absl::Status s) {
                         status = std::move(s);
                         done.Notify();
                       });
  done.WaitForNotification();
  if (!status.ok()) {
    const bool invalid = absl::IsInvalidArgument(status);
    const int code = invalid ? 400 : 503;
    if (format == Format::kJson) {
      return Reply(req, code, "application/json",
                   invalid ? "{\"error\":\"not a Digital Link of a unit\"}"
                           : "{\"error\":\"verification unavailable; retry later\"}");
    }
    return Reply(req, code, "text/html; charset=utf-8",
                 RenderPage(invalid ? PageVerdict::kNotGenuine : PageVerdict::kUnavailable,
                            v1::VerifyResponse(), *messages, lang));
  }
  // Nothing about other people's scans, nor any case id, to an anonymous caller.
  response.clear_scan_count();
  response.clear_stolen_case_id();
  if (format == Format::kJson) {
    return Reply(req, 200, "application/json", VerdictJson(response));
  }
  const PageVerdict verdict = ToPageVerdict(response);
  Reply(req, 200, "text/html; charset=utf-8", RenderPage(verdict, response, *messages, lang));
}

absl::StatusOr<std::unique_ptr<FrontDoor>> FrontDoor::Start(FrontDoorOptions options,
                                                            FrontDoorDeps deps) {
  static std::once_flag once;
  std::call_once(once, [] { evthread_use_pthreads(); });
  absl::StatusOr<std::unique_ptr<Messages>> messages = Messages::Load();
  if (!messages.ok()) return messages.status();
  std::unique_ptr<FrontDoor> door(new FrontDoor());
  door->options_ = std::make_unique<FrontDoorOptions>(std::move(options));
  door->deps_ = std::make_unique<FrontDoorDeps>(std::move(deps));
  door->messages_ = *std::move(messages);
  absl::StatusOr<int> fd = ListenOn(door->options_->listen, &door->port_);
  if (!fd.ok()) return fd.status();
  const int threads = std::max(1, door->options_->threads);
  absl::Status failure;
  for (int i = 0; i < threads && failure.ok(); ++i) {
    auto w = std::make_unique<Worker>();
    w->options = door->options_.get();
    w->deps = door->deps_.get();
    w->messages = door->messages_.get();
    w->base.reset(event_base_new());
    if (w->base != nullptr) w->http.reset(evhttp_new(w->base.get()));
    // Each loop listens on its own copy of the socket (evhttp closes what it accepted on).
    const int mine = w->http != nullptr ? dup(*fd) : -1;
    if (mine < 0 || evhttp_accept_socket(w->http.get(), mine) != 0) {
      if (mine >= 0) close(mine);
      failure = absl::InternalError("http: cannot start an event loop");
      break;
    }
    // Every method reaches the handler, which answers all but GET and HEAD with 405 (evhttp's
    // own refusal would be 501, "not implemented").
    evhttp_set_allowed_methods(w->http.get(),
                               EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
                                   EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
                                   EVHTTP_REQ_PATCH | EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT);
    evhttp_set_max_headers_size(w->http.get(),
                                static_cast<ev_ssize_t>(door->options_->max_header_bytes));
    evhttp_set_max_body_size(w->http.get(), 0);
    const timeval tv = absl::ToTimeval(door->options_->request_timeout);
    evhttp_set_timeout_tv(w->http.get(), &tv);
    evhttp_set_gencb(w->http.get(), &Worker::OnRequest, w.get());
    door->workers_.push_back(std::move(w));
  }
  close(*fd);
  if (!failure.ok()) return failure;
  for (auto& w : door->workers_) {
    Worker* worker = w.get();
    worker->thread = std::thread([worker] {
      event_base_loop(worker->base.get(), EVLOOP_NO_EXIT_ON_EMPTY);
    });
  }
  log::Info("serving HTTP", {{"listen", door->options_->listen},
                             {"port", absl::StrCat(door->port_)},
                             {"threads", absl::StrCat(threads)}});
  return door;
}

FrontDoor::~FrontDoor() {
  for (auto& w : workers_) {
    if (w->base != nullptr) event_base_loopbreak(w->base.get());
  }
  for (auto& w : workers_) {
    if (w->thread.joinable()) w->thread.join();
    w->http.reset();  // before its base
  }
}

}  // namespace hallmark::web
