#include "server/webhooks/webhook_client.h"

#include <sys/socket.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <limits>
#include <map>
#include <mutex>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include "server/http/tls_context.h"

namespace vtpmd::webhooks {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using Strand = asio::strand<asio::io_context::executor_type>;
using TlsStream = asio::ssl::stream<tcp::socket>;
using ErrorCode = boost::system::error_code;

namespace {

// Servers close idle keep-alive connections after seconds to a minute, with a
// FIN that IdleAndOpen sees. One idle for longer was more likely dropped silently
// (by a NAT or firewall) and would cost a delivery its whole timeout.
constexpr std::chrono::seconds kMaxIdle{60};

// Lookups of different hosts that may run at once; see host_resolver.h.
constexpr std::size_t kResolverThreads = 4;

// The framing is ours: a caller's value could contradict it (request smuggling).
constexpr std::string_view kClientOwnedHeaders[] = {"host", "content-type", "content-length", "transfer-encoding",
                                                    "connection"};

bool IsTokenChar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool IsFieldValueChar(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return c == '\t' || (byte >= 0x20 && byte != 0x7f);
}

Result<std::string> SerializeRequest(const CallbackUrl& url, const http::HeaderList& headers, std::string_view body) {
  std::size_t size = 160 + url.text().size() + body.size();
  for (const auto& header : headers) size += header.first.size() + header.second.size() + 4;
  std::string wire;
  wire.reserve(size);
  wire.append("POST ").append(url.target()).append(" HTTP/1.1\r\nHost: ").append(url.authority());
  wire.append("\r\nContent-Type: application/json\r\nContent-Length: ").append(std::to_string(body.size()));
  wire.append("\r\n");
  bool has_user_agent = false;
  for (const auto& [name, value] : headers) {
    if (name.empty() || !std::all_of(name.begin(), name.end(), IsTokenChar)) {
      return InvalidArgument("webhook header name \"" + name + "\" is not an HTTP token");
    }
    if (!std::all_of(value.begin(), value.end(), IsFieldValueChar)) {
      return InvalidArgument("webhook header " + name + " has a control character in its value");
    }
    for (const std::string_view owned : kClientOwnedHeaders) {
      if (http::EqualsIgnoreCase(name, owned)) return InvalidArgument("webhook header " + name + " is set by the client");
    }
    has_user_agent = has_user_agent || http::EqualsIgnoreCase(name, "user-agent");
    wire.append(name).append(": ").append(value).append("\r\n");
  }
  if (!has_user_agent) wire.append("User-Agent: vtpmd-webhooks/" VTPMD_VERSION "\r\n");
  wire.append("\r\n").append(body);
  return wire;
}

asio::ip::address ToAsio(const IpAddress& address) {
  if (address.is_v4()) {
    const auto& bytes = address.bytes();
    return asio::ip::address_v4(asio::ip::address_v4::bytes_type{bytes[0], bytes[1], bytes[2], bytes[3]});
  }
  return asio::ip::address_v6(address.bytes());
}

// One TCP or TLS connection to an origin. Used by one delivery at a time, on its
// strand; the strand stays with the connection so that a reused connection's
// handlers stay serialized with the delivery's deadline timer.
class Connection {
 public:
  Connection(const Strand& strand, asio::ssl::context* tls) : strand_(strand), stream_(MakeStream(strand, tls)) {}

  const Strand& strand() const { return strand_; }
  tcp::socket& socket() {
    if (TlsStream* tls = std::get_if<TlsStream>(&stream_)) return tls->next_layer();
    return std::get<tcp::socket>(stream_);
  }
  TlsStream* tls() { return std::get_if<TlsStream>(&stream_); }
  bool is_tls() const { return std::holds_alternative<TlsStream>(stream_); }
  beast::flat_buffer& buffer() { return buffer_; }

  // Calls `operation` with the plain or TLS stream.
  template <typename Operation>
  void WithStream(Operation&& operation) {
    std::visit(std::forward<Operation>(operation), stream_);
  }

  bool reused() const { return completed_requests_ > 0; }
  void CountCompletedRequest() {
    ++completed_requests_;
    last_used_ = Clock::now();
  }

  void Close() {
    ErrorCode ignored;
    static_cast<void>(socket().close(ignored));
  }

  // An idle keep-alive connection the peer has closed (or written to, which a
  // server has no reason to do between requests) is not worth a retry.
  // Called only by the thread that took it from the pool.
  bool IdleAndOpen() {
    if (Clock::now() - last_used_ > kMaxIdle) return false;
    char byte = 0;
    const ssize_t peeked = ::recv(socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return peeked < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }

 private:
  static std::variant<tcp::socket, TlsStream> MakeStream(const Strand& strand, asio::ssl::context* tls) {
    if (tls != nullptr) return std::variant<tcp::socket, TlsStream>(std::in_place_type<TlsStream>, strand, *tls);
    return std::variant<tcp::socket, TlsStream>(std::in_place_type<tcp::socket>, strand);
  }

  Strand strand_;
  std::variant<tcp::socket, TlsStream> stream_;
  beast::flat_buffer buffer_;
  std::uint64_t completed_requests_ = 0;
  Clock::time_point last_used_;
};

// What deliveries share: options, TLS context, I/O context, idle connections.
class ClientCore {
 public:
  explicit ClientCore(WebhookClientOptions options)
      : options_(std::move(options)),
        tls_(asio::ssl::context::tls_client),
        io_(static_cast<int>(options_.threads)) {}

  Status Start() {
    VTPMD_RETURN_IF_ERROR(http::ConfigureSystemTrustClientTls(tls_.native_handle(), options_.extra_ca_pem));
    VTPMD_ASSIGN_OR_RETURN(resolver_, HostResolver::Start(kResolverThreads, options_.lookup));
    return Ok();
  }

  const WebhookClientOptions& options() const { return options_; }
  asio::io_context& io() { return io_; }
  HostResolver& resolver() { return *resolver_; }

  // An idle connection to the URL's origin, or a new, unconnected one.
  std::unique_ptr<Connection> Acquire(const CallbackUrl& url) {
    while (std::unique_ptr<Connection> idle = TakeIdle(url.origin())) {
      if (idle->IdleAndOpen()) return idle;
    }
    return std::make_unique<Connection>(asio::make_strand(io_), url.is_tls() ? &tls_ : nullptr);
  }

  std::unique_ptr<Connection> Reopen(const Connection& stale) {
    return std::make_unique<Connection>(stale.strand(), stale.is_tls() ? &tls_ : nullptr);
  }

  void Release(std::string_view origin, std::unique_ptr<Connection> connection) {
    std::unique_ptr<Connection> surplus;  // closed after the lock is released
    std::lock_guard lock(mutex_);
    auto idle = idle_.find(origin);
    if (idle == idle_.end()) idle = idle_.emplace(std::string(origin), std::vector<std::unique_ptr<Connection>>()).first;
    if (idle->second.size() < options_.max_connections_per_origin) {
      idle->second.push_back(std::move(connection));
    } else {
      surplus = std::move(connection);
    }
  }

 private:
  std::unique_ptr<Connection> TakeIdle(std::string_view origin) {
    std::lock_guard lock(mutex_);
    const auto idle = idle_.find(origin);
    if (idle == idle_.end() || idle->second.empty()) return nullptr;
    std::unique_ptr<Connection> connection = std::move(idle->second.back());
    idle->second.pop_back();
    return connection;
  }

  const WebhookClientOptions options_;
  asio::ssl::context tls_;
  asio::io_context io_;  // after tls_: pending deliveries hold TLS streams
  // After io_: its last answers post to the I/O context, stopped by then, whose
  // destruction then completes their deliveries.
  std::unique_ptr<HostResolver> resolver_;
  std::mutex mutex_;
  // After io_: idle sockets must close before their I/O context goes.
  std::map<std::string, std::vector<std::unique_ptr<Connection>>, std::less<>> idle_;
};

// One POST, from connection to outcome. Every handler runs on the connection's
// strand; a pending handler keeps the delivery alive.
class Delivery : public std::enable_shared_from_this<Delivery> {
 public:
  Delivery(ClientCore& core, const CallbackUrl& url, std::string wire, WebhookClient::Done done,
           std::unique_ptr<Connection> connection, Clock::time_point start)
      : core_(core),
        url_(url),
        wire_(std::move(wire)),
        done_(std::move(done)),
        connection_(std::move(connection)),
        deadline_(connection_->strand()),
        start_(start) {}

  // Reached without an outcome only when the I/O context is destroyed with this
  // delivery pending, i.e. the client is being destroyed.
  // Touches no I/O object: their services are shutting down.
  ~Delivery() {
    if (!done_) return;
    DeliveryOutcome outcome;
    outcome.error = "client stopped";
    Report(std::move(outcome));
  }

  Delivery(const Delivery&) = delete;
  Delivery& operator=(const Delivery&) = delete;

  void Start() {
    deadline_.expires_at(start_ + core_.options().request_timeout);
    deadline_.async_wait([self = shared_from_this()](const ErrorCode& ec) {
      if (!ec) self->OnDeadline();
    });
    if (connection_->reused()) {
      Write();
    } else {
      Connect();
    }
  }

 private:
  void OnDeadline() {
    if (finished_) return;
    timed_out_ = true;
    // A lookup cannot be aborted: the delivery ends now and its answer is ignored.
    if (resolving_) return Fail("resolve " + url_.host(), asio::error::timed_out);
    // Aborts whatever is pending; its handler reports the timeout.
    connection_->Close();
  }

  void Connect() {
    if (const std::optional<IpAddress>& literal = url_.ip_literal()) {
      // Parsed under the caller's policy, which need not be ours.
      Status allowed = CheckAddress(*literal, core_.options().url_policy);
      if (!allowed.ok()) return Refuse(allowed.error().message());
      return ConnectTo({tcp::endpoint(ToAsio(*literal), url_.port())});
    }
    resolving_ = true;
    core_.resolver().Resolve(url_.host(), [self = shared_from_this(), strand = connection_->strand()](
                                              Result<std::vector<IpAddress>> addresses) mutable {
      asio::post(strand, [self = std::move(self), addresses = std::move(addresses)]() mutable {
        self->OnResolved(std::move(addresses));
      });
    });
  }

  void OnResolved(Result<std::vector<IpAddress>> addresses) {
    if (finished_) return;  // timed out while the lookup ran
    resolving_ = false;
    if (!addresses.ok()) return Refuse(addresses.error().message());
    std::vector<tcp::endpoint> allowed;
    std::string refusal;
    for (const IpAddress& address : *addresses) {
      Status checked = CheckAddress(address, core_.options().url_policy);
      if (checked.ok()) {
        allowed.emplace_back(ToAsio(address), url_.port());
      } else if (refusal.empty()) {
        refusal = checked.error().message();
      }
    }
    if (allowed.empty()) return Refuse(url_.host() + " resolves to no address callbacks may reach: " + refusal);
    ConnectTo(std::move(allowed));
  }

  // Only the checked addresses are ever connected to: no second resolution that
  // a rebinding DNS server could answer differently.
  void ConnectTo(std::vector<tcp::endpoint> endpoints) {
    asio::async_connect(connection_->socket(), endpoints,
                        [self = shared_from_this()](const ErrorCode& ec, const tcp::endpoint&) {
                          if (ec) return self->Fail("connect to " + std::string(self->url_.authority()), ec);
                          ErrorCode ignored;
                          static_cast<void>(self->connection_->socket().set_option(tcp::no_delay(true), ignored));
                          if (self->connection_->tls() != nullptr) return self->Handshake();
                          self->Write();
                        });
  }

  void Handshake() {
    TlsStream& tls = *connection_->tls();
    Status expected = http::SetExpectedPeer(tls.native_handle(), url_.host());
    if (!expected.ok()) return Refuse("TLS setup: " + expected.error().message());
    tls.async_handshake(asio::ssl::stream_base::client, [self = shared_from_this()](const ErrorCode& ec) {
      if (ec) return self->Fail("TLS handshake with " + std::string(self->url_.authority()), ec);
      self->Write();
    });
  }

  void Write() {
    connection_->WithStream([this](auto& stream) {
      asio::async_write(stream, asio::buffer(wire_), [self = shared_from_this()](const ErrorCode& ec, std::size_t) {
        if (ec) return self->Fail("send request", ec);
        self->ReadHeader();
      });
    });
  }

  void ReadHeader() {
    const std::size_t limit = core_.options().max_response_bytes;
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(limit, std::numeric_limits<std::uint32_t>::max())));
    parser_->body_limit(limit);
    connection_->WithStream([this](auto& stream) {
      bhttp::async_read_header(stream, connection_->buffer(), *parser_,
                               [self = shared_from_this()](const ErrorCode& ec, std::size_t header_bytes) {
                                 self->OnHeader(ec, header_bytes);
                               });
    });
  }

  void OnHeader(const ErrorCode& ec, std::size_t header_bytes) {
    if (ec) return FailRead(ec);
    if (parser_->is_done()) return OnResponse();
    // The limit covers headers and body together.
    parser_->body_limit(core_.options().max_response_bytes - std::min(header_bytes, core_.options().max_response_bytes));
    connection_->WithStream([this](auto& stream) {
      bhttp::async_read(stream, connection_->buffer(), *parser_, [self = shared_from_this()](const ErrorCode& e, std::size_t) {
        if (e) return self->FailRead(e);
        self->OnResponse();
      });
    });
  }

  void OnResponse() {
    connection_->CountCompletedRequest();
    const unsigned status = parser_->get().result_int();
    // A 1xx leaves the final response unread; leftover bytes mean a confused peer.
    const bool reusable = parser_->keep_alive() && status >= 200 && connection_->buffer().size() == 0;
    DeliveryOutcome outcome;
    outcome.http_status = status;
    Finish(std::move(outcome), reusable);
  }

  void FailRead(const ErrorCode& ec) {
    if (ec == bhttp::error::header_limit || ec == bhttp::error::body_limit) {
      return Refuse("oversized response (more than " + std::to_string(core_.options().max_response_bytes) + " bytes)");
    }
    Fail("read response", ec, parser_->got_some());
  }

  void Fail(const std::string& what, const ErrorCode& ec, bool response_started = false) {
    if (timed_out_) return Refuse("timed out after " + std::to_string(core_.options().request_timeout.count()) + " ms");
    // A kept-alive connection the peer closed in the meantime; the receiver
    // saw nothing it answered, so sending again cannot duplicate an outcome.
    if (connection_->reused() && !response_started) {
      connection_ = core_.Reopen(*connection_);
      return Connect();
    }
    Refuse(what + ": " + ec.message());
  }

  void Refuse(std::string error) {
    DeliveryOutcome outcome;
    outcome.error = std::move(error);
    Finish(std::move(outcome), false);
  }

  void Finish(DeliveryOutcome outcome, bool reusable) {
    finished_ = true;
    deadline_.cancel();
    if (reusable) {
      core_.Release(url_.origin(), std::move(connection_));
    } else {
      connection_->Close();
    }
    Report(std::move(outcome));
  }

  void Report(DeliveryOutcome outcome) {
    outcome.latency = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start_);
    std::exchange(done_, nullptr)(std::move(outcome));
  }

  ClientCore& core_;
  const CallbackUrl url_;
  const std::string wire_;
  WebhookClient::Done done_;
  std::unique_ptr<Connection> connection_;
  asio::steady_timer deadline_;
  const Clock::time_point start_;
  bool resolving_ = false;
  std::optional<bhttp::response_parser<bhttp::string_body>> parser_;
  bool timed_out_ = false;
  bool finished_ = false;
};

}  // namespace

class WebhookClient::Impl {
 public:
  explicit Impl(WebhookClientOptions options) : core_(std::move(options)), work_(core_.io().get_executor()) {}

  ~Impl() {
    work_.reset();
    core_.io().stop();
    for (std::thread& thread : threads_) thread.join();
  }

  Status Start() {
    VTPMD_RETURN_IF_ERROR(core_.Start());
    for (unsigned i = 0; i < core_.options().threads; ++i) {
      threads_.emplace_back([this] { core_.io().run(); });
    }
    return Ok();
  }

  void Post(const CallbackUrl& url, const http::HeaderList& headers, std::string_view body, Done done) {
    const Clock::time_point start = Clock::now();
    Result<std::string> wire = SerializeRequest(url, headers, body);
    if (!wire.ok()) {
      DeliveryOutcome outcome;
      outcome.error = wire.error().message();
      asio::post(core_.io(), [done = std::move(done), outcome = std::move(outcome)]() mutable { done(std::move(outcome)); });
      return;
    }
    std::unique_ptr<Connection> connection = core_.Acquire(url);
    const Strand strand = connection->strand();
    auto delivery =
        std::make_shared<Delivery>(core_, url, std::move(wire).value(), std::move(done), std::move(connection), start);
    asio::post(strand, [delivery = std::move(delivery)] { delivery->Start(); });
  }

 private:
  ClientCore core_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::vector<std::thread> threads_;
};

Result<std::unique_ptr<WebhookClient>> WebhookClient::Start(WebhookClientOptions options) {
  if (options.threads == 0) return InvalidArgument("webhook client needs at least one thread");
  if (options.request_timeout.count() <= 0) return InvalidArgument("webhook request timeout must be positive");
  if (options.max_response_bytes == 0) return InvalidArgument("webhook max_response_bytes must be positive");
  auto impl = std::make_unique<Impl>(std::move(options));
  VTPMD_RETURN_IF_ERROR(impl->Start());
  return std::unique_ptr<WebhookClient>(new WebhookClient(std::move(impl)));
}

WebhookClient::WebhookClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WebhookClient::~WebhookClient() = default;

void WebhookClient::Post(const CallbackUrl& url, http::HeaderList headers, std::string body, Done done) {
  impl_->Post(url, headers, body, std::move(done));
}

}  // namespace vtpmd::webhooks
