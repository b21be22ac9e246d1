#include "server/web/front_door.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <event2/thread.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "common/status_macros.h"
#include "absl/container/flat_hash_set.h"
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

struct EventBaseFree {
  void operator()(event_base* b) const { event_base_free(b); }
};
struct EvhttpFree {
  void operator()(evhttp* h) const { evhttp_free(h); }
};
struct EvbufferFree {
  void operator()(evbuffer* b) const { evbuffer_free(b); }
};

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

}  // namespace

// Requests waiting for the engine: the front door is destroyed only once none is left.
struct FrontDoor::InFlight {
  absl::Mutex mu;
  int count ABSL_GUARDED_BY(mu) = 0;
  bool stopping ABSL_GUARDED_BY(mu) = false;
};

namespace {
struct EventFree {
  void operator()(event* e) const { event_free(e); }
};
}  // namespace

struct FrontDoor::Worker {
  // An answer the engine finished on another thread, on its way back to this loop.
  struct Posted {
    evhttp_request* req;
    HttpAnswer answer;
    bool hsts;
  };

  FrontDoorOptions* options;
  FrontDoorDeps* deps;
  const Messages* messages;
  const UnitRoute* route;
  const VerificationService* verification_service = nullptr;
  InFlight* in_flight;
  TlsContext* tls;  // null: plaintext
  int max_connections = 0;  // this loop's share of the cap
  int connections = 0;      // open ones that sent a request (this loop's thread only)
  absl::flat_hash_set<evhttp_connection*> known;
  evconnlistener* listener = nullptr;
  bool paused = false;
  std::unique_ptr<event_base, EventBaseFree> base;
  std::unique_ptr<evhttp, EvhttpFree> http;
  // Answers from other threads queue here and wake the loop (event_active is thread-safe):
  // nothing is allocated per answer, so posting cannot fail.
  std::unique_ptr<event, EventFree> wake;
  absl::Mutex posted_mu;
  std::vector<Posted> posted ABSL_GUARDED_BY(posted_mu);
  std::thread thread;

  static void OnWake(evutil_socket_t, short, void* self) {
    auto* w = static_cast<Worker*>(self);
    std::vector<Posted> ready;
    {
      absl::MutexLock lock(&w->posted_mu);
      ready.swap(w->posted);
    }
    for (Posted& p : ready) w->Send(p.req, p.answer, p.hsts);
    absl::MutexLock lock(&w->in_flight->mu);
    w->in_flight->count -= static_cast<int>(ready.size());
  }

  static void OnRequest(evhttp_request* req, void* self) {
    auto* w = static_cast<Worker*>(self);
    w->Count(evhttp_request_get_connection(req));
    w->Handle(req);
  }
  static void OnClose(evhttp_connection* evcon, void* self) {
    auto* w = static_cast<Worker*>(self);
    if (w->known.erase(evcon) == 0) return;
    --w->connections;
    // No listener while the loop shuts down (evhttp_free frees it before the connections).
    if (w->paused && w->listener != nullptr &&
        w->connections <= w->max_connections - std::max(1, w->max_connections / 10)) {
      evconnlistener_enable(w->listener);
      w->paused = false;
    }
  }
  // A connection's first request counts it; at the cap, this loop stops accepting.
  void Count(evhttp_connection* evcon) {
    if (evcon == nullptr || !known.insert(evcon).second) return;
    evhttp_connection_set_closecb(evcon, &Worker::OnClose, this);
    if (++connections >= max_connections && !paused && listener != nullptr) {
      evconnlistener_disable(listener);
      paused = true;
      log::Warn("http: connection cap reached; not accepting for now",
                {{"connections", absl::StrCat(connections)}});
    }
  }
  // A new connection's bufferevent: TLS, accepting (evhttp gives it its socket).
  static bufferevent* OnConnection(event_base* base, void* self) {
    SSL* ssl = static_cast<Worker*>(self)->tls->NewSsl();
    if (ssl == nullptr) return nullptr;
    return bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                          BEV_OPT_CLOSE_ON_FREE);
  }

  void Handle(evhttp_request* req);
  void DigitalLink(evhttp_request* req, absl::string_view uri, bool hsts);
  void VerificationMessage(evhttp_request* req, absl::string_view uri, bool hsts);
  // Counts a request in flight; false (and answered 503) when the door is closing.
  bool BeginAsync(evhttp_request* req);
  // The callback that posts an answer, from any thread, back to this loop.
  absl::AnyInvocable<void(HttpAnswer)> PostTo(evhttp_request* req, bool hsts);
  void Reply(evhttp_request* req, int code, absl::string_view type, absl::string_view body);
  // Sends `answer`; uses nothing of the request's connection, which may be gone.
  void Send(evhttp_request* req, const HttpAnswer& answer, bool hsts);
  std::string Client(evhttp_request* req) const;
  bool FromTrustedProxy(evhttp_request* req) const;
  bool Hsts(evhttp_request* req) const;
};

namespace {
const char* Header(evhttp_request* req, const char* name) {
  return evhttp_find_header(evhttp_request_get_input_headers(req), name);
}
// Every line of a header that may be repeated, joined with ", " as RFC 9110 allows (a proxy
// that adds a line rather than appending to the client's must not leave the client's line to
// be read alone); "" when absent.
std::string AllHeaders(evhttp_request* req, const char* name) {
  std::string out;
  const evkeyvalq* headers = evhttp_request_get_input_headers(req);
  for (const evkeyval* h = headers->tqh_first; h != nullptr; h = h->next.tqe_next) {
    if (absl::EqualsIgnoreCase(h->key, name)) {
      absl::StrAppend(&out, out.empty() ? "" : ", ", h->value);
    }
  }
  return out;
}
// The last element of a comma-separated header: the one our proxy added.
std::string LastElement(const std::string& value) {
  const size_t comma = value.rfind(',');
  return std::string(
      absl::StripAsciiWhitespace(comma == std::string::npos ? value : value.substr(comma + 1)));
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
  // X-Forwarded-For when present, else RFC 7239 Forwarded (believed only from trusted
  // proxies; a proxy that writes only Forwarded must drop a client's X-Forwarded-For).
  std::string hops = AllHeaders(req, "X-Forwarded-For");
  if (hops.empty()) hops = auth::ForwardedForList(AllHeaders(req, "Forwarded"));
  return auth::ClientAddress(PeerAddress(req), hops, options->trusted_proxies);
}

bool FrontDoor::Worker::Hsts(evhttp_request* req) const {
  if (tls != nullptr) return true;
  const std::string xfp = AllHeaders(req, "X-Forwarded-Proto");
  const std::string proto =
      !xfp.empty() ? LastElement(xfp) : auth::ForwardedProto(AllHeaders(req, "Forwarded"));
  return absl::EqualsIgnoreCase(proto, "https") && FromTrustedProxy(req);
}

void FrontDoor::Worker::Send(evhttp_request* req, const HttpAnswer& a, bool hsts) {
  for (const auto& [name, value] : a.headers) AddHeader(req, name.c_str(), value);
  AddHeader(req, "Content-Type", a.content_type);
  AddHeader(req, "X-Content-Type-Options", "nosniff");
  AddHeader(req, "Referrer-Policy", "no-referrer");
  AddHeader(req, "X-Frame-Options", "DENY");
  AddHeader(req, "Content-Security-Policy", PageCsp(a.image_origin));
  if (hsts) AddHeader(req, "Strict-Transport-Security", "max-age=31536000");
  std::unique_ptr<evbuffer, EvbufferFree> buf(evbuffer_new());
  evbuffer_add(buf.get(), a.body.data(), a.body.size());
  evhttp_send_reply(req, a.code, nullptr, buf.get());  // HEAD: evhttp sends no body
  if (deps->metrics != nullptr) deps->metrics->WebRequest(a.code);
}

void FrontDoor::Worker::Reply(evhttp_request* req, int code, absl::string_view type,
                              absl::string_view body) {
  HttpAnswer a;
  a.code = code;
  a.content_type = std::string(type);
  a.body = std::string(body);
  Send(req, a, Hsts(req));
}

void FrontDoor::Worker::Handle(evhttp_request* req) {
  const evhttp_cmd_type method = evhttp_request_get_command(req);
  if (method != EVHTTP_REQ_GET && method != EVHTTP_REQ_HEAD) {
    AddHeader(req, "Allow", "GET, HEAD");
    return Reply(req, 405, "text/plain; charset=utf-8", "only GET and HEAD\n");
  }
  const char* raw = evhttp_request_get_uri(req);
  const absl::string_view uri = raw != nullptr ? raw : "";
  if (uri.size() > options->max_uri_bytes) {
    return Reply(req, 414, "text/plain; charset=utf-8", "URI too long\n");
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
  if (path == "/.well-known/hallmark-trust-list.jws") {
    std::shared_ptr<const crypto::SignedTrustList> list =
        deps->trust_list != nullptr ? deps->trust_list->Get() : nullptr;
    if (list == nullptr) return Reply(req, 404, "text/plain; charset=utf-8", "no trust list\n");
    AddHeader(req, "Cache-Control", "public, max-age=300");
    AddHeader(req, "Access-Control-Allow-Origin", "*");
    return Reply(req, 200, "application/jose", list->jws);
  }
  if (path == "/.well-known/gs1resolver") {
    AddHeader(req, "Cache-Control", "public, max-age=3600");
    return Reply(req, 200, "application/json", ResolverDescription(options->public_base));
  }
  if (verification_service != nullptr && IsVerificationServiceRequest(uri)) {
    return VerificationMessage(req, uri, Hsts(req));
  }
  if (absl::StrContains(path, "/01/")) return DigitalLink(req, uri, Hsts(req));
  Reply(req, 404, "text/plain; charset=utf-8", "not found\n");
}

bool FrontDoor::Worker::BeginAsync(evhttp_request* req) {
  {
    absl::MutexLock lock(&in_flight->mu);
    if (!in_flight->stopping) {
      ++in_flight->count;
      return true;
    }
  }
  Reply(req, 503, "text/plain; charset=utf-8", "shutting down\n");
  return false;
}

absl::AnyInvocable<void(HttpAnswer)> FrontDoor::Worker::PostTo(evhttp_request* req, bool hsts) {
  // The answer comes on an engine thread; evhttp is driven from this loop only, so it is
  // posted back. A request whose client went away meanwhile is freed by evhttp_send_reply.
  return [this, req, hsts](HttpAnswer answer) {
    {
      absl::MutexLock lock(&posted_mu);
      posted.push_back(Posted{req, std::move(answer), hsts});
    }
    event_active(wake.get(), EV_READ, 0);
  };
}

void FrontDoor::Worker::VerificationMessage(evhttp_request* req, absl::string_view uri,
                                            bool hsts) {
  if (!BeginAsync(req)) return;
  VerificationRequest r;
  r.uri = std::string(uri);
  r.authorization = AllHeaders(req, "Authorization");
  r.client = Client(req);
  verification_service->Answer(std::move(r), PostTo(req, hsts));
}

void FrontDoor::Worker::DigitalLink(evhttp_request* req, absl::string_view uri, bool hsts) {
  if (!BeginAsync(req)) return;
  UnitRequest r;
  r.uri = std::string(uri);
  const char* accept = Header(req, "Accept");
  r.accept = accept != nullptr ? accept : "";
  const char* language = Header(req, "Accept-Language");
  r.accept_language = language != nullptr ? language : "";
  r.client = Client(req);
  if (!options->country_header.empty() && FromTrustedProxy(req)) {
    const char* country = Header(req, options->country_header.c_str());
    if (country != nullptr && strlen(country) == 2 && absl::ascii_isalpha(country[0]) &&
        absl::ascii_isalpha(country[1])) {
      r.country = absl::AsciiStrToUpper(country);
    }
  }
  route->Answer(std::move(r), PostTo(req, hsts));
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
  door->in_flight_ = std::make_unique<InFlight>();
  if (!door->options_->tls_cert.empty()) {
    absl::StatusOr<std::unique_ptr<TlsContext>> tls = TlsContext::Load(
        door->options_->tls_cert, door->options_->tls_key, door->options_->tls_refresh);
    if (!tls.ok()) return tls.status();
    door->tls_ = *std::move(tls);
  }
  UnitRouteConfig rc;
  rc.public_base = door->options_->public_base;
  rc.per_client = door->options_->per_client;
  rc.global = door->options_->global;
  rc.verify_timeout = door->options_->verify_timeout;
  door->route_ = std::make_unique<UnitRoute>(std::move(rc), door->deps_->engine,
                                             door->deps_->links, door->deps_->lifecycle,
                                             door->deps_->limiter, door->messages_.get());
  if (!door->options_->responder_gln.empty()) {
    HALLMARK_RETURN_IF_ERROR(
        VerificationService::ValidateGln(door->options_->responder_gln, "responder_gln"));
    if (door->deps_->principals == nullptr) {
      return absl::InvalidArgumentError("responder_gln: the verification service needs principals");
    }
    door->verification_service_ = std::make_unique<VerificationService>(
        door->options_->responder_gln, door->deps_->engine, door->deps_->principals,
        door->deps_->limiter, door->options_->per_client, door->options_->verify_timeout);
  }
  absl::StatusOr<int> fd = ListenOn(door->options_->listen, &door->port_);
  if (!fd.ok()) return fd.status();
  const int threads = std::max(1, door->options_->threads);
  absl::Status failure;
  for (int i = 0; i < threads && failure.ok(); ++i) {
    auto w = std::make_unique<Worker>();
    w->options = door->options_.get();
    w->deps = door->deps_.get();
    w->messages = door->messages_.get();
    w->route = door->route_.get();
    w->verification_service = door->verification_service_.get();
    w->in_flight = door->in_flight_.get();
    w->tls = door->tls_.get();
    w->base.reset(event_base_new());
    if (w->base != nullptr) {
      w->http.reset(evhttp_new(w->base.get()));
      w->wake.reset(event_new(w->base.get(), -1, 0, &Worker::OnWake, w.get()));
    }
    if (w->wake == nullptr) {
      failure = absl::InternalError("http: cannot start an event loop");
      break;
    }
    // Each loop listens on its own copy of the socket (evhttp closes what it accepted on).
    const int mine = w->http != nullptr ? dup(*fd) : -1;
    evhttp_bound_socket* bound =
        mine >= 0 ? evhttp_accept_socket_with_handle(w->http.get(), mine) : nullptr;
    if (bound == nullptr) {
      if (mine >= 0) close(mine);
      failure = absl::InternalError("http: cannot start an event loop");
      break;
    }
    w->listener = evhttp_bound_socket_get_listener(bound);
    w->max_connections = std::max(1, door->options_->max_connections / threads);
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
    if (w->tls != nullptr) evhttp_set_bevcb(w->http.get(), &Worker::OnConnection, w.get());
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
                             {"threads", absl::StrCat(threads)},
                             {"tls", door->tls_ != nullptr ? "yes" : "no"}});
  return door;
}

FrontDoor::~FrontDoor() {
  // New Digital Link requests get 503; those the engine still holds finish (within the
  // verification timeout) while the loops run, so no answer is posted to a freed loop.
  if (in_flight_ != nullptr) {
    absl::MutexLock lock(&in_flight_->mu);
    in_flight_->stopping = true;
    auto drained = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(in_flight_->mu) {
      return in_flight_->count == 0;
    };
    in_flight_->mu.Await(absl::Condition(&drained));
  }
  for (auto& w : workers_) {
    if (w->base != nullptr) event_base_loopbreak(w->base.get());
  }
  for (auto& w : workers_) {
    if (w->thread.joinable()) w->thread.join();
    w->listener = nullptr;  // evhttp_free frees it first, then closes each connection
    w->paused = false;
    w->http.reset();  // before its base
    w->wake.reset();
  }
}

}  // namespace hallmark::web
