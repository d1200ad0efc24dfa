#include "server/http/https_server.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <csignal>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/openssl.h"
#include "server/http/problem.h"
#include "server/http/request_id.h"
#include "server/http/response_stream.h"

namespace vtpmd::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;
// Concrete executor types rather than any_io_executor: each connection lives on one
// io_context, and the type-erased executor's copies showed up in request profiles.
using Executor = asio::io_context::executor_type;
using Socket = asio::basic_stream_socket<tcp, Executor>;
using TcpStream = beast::basic_stream<tcp, Executor>;

namespace {

// How long a server-initiated close waits for the peer's close_notify: a client
// that never answers must not hold a drain or a connection slot for long.
constexpr std::chrono::seconds kTlsShutdownGrace{1};

bool IsPeerGone(const beast::error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message ||
         ec == asio::ssl::error::stream_truncated || ec == asio::error::eof || ec == beast::error::timeout ||
         ec == asio::error::connection_reset || ec == asio::error::operation_aborted;
}

// What a connection needs from the server that accepted it.
class SessionOwner {
 public:
  virtual const ServerLimits& limits() const = 0;
  virtual const Handler& handler() const = 0;
  virtual AccessLog* access_log() const = 0;
  virtual Metrics* metrics() const = 0;
  virtual void OnSessionClosed(std::uint64_t id) = 0;

 protected:
  ~SessionOwner() = default;
};

class Session;

}  // namespace

class HttpsServer::Impl final : public SessionOwner {
 public:
  Impl(ServerOptions options, Handler handler, AccessLog* access_log, Metrics* metrics)
      : options_(std::move(options)),
        handler_(std::move(handler)),
        access_log_(access_log),
        metrics_(metrics),
        ssl_ctx_(asio::ssl::context::tls_server),
        contexts_(MakeContexts(options_.threads)),
        acceptor_(*contexts_[0]),
        signals_(*contexts_[0]),
        control_(asio::make_strand(*contexts_[0])),
        drain_timer_(control_) {}

  ~Impl() { tearing_down_ = true; }

  Status Listen();
  void Run();
  void Stop() {
    asio::post(control_, [this] { BeginShutdown(); });
  }
  std::uint16_t port() const { return port_; }

  const ServerLimits& limits() const override { return options_.limits; }
  const Handler& handler() const override { return handler_; }
  AccessLog* access_log() const override { return access_log_; }
  Metrics* metrics() const override { return metrics_; }
  void OnSessionClosed(std::uint64_t id) override;

 private:
  // One single-threaded io_context per thread, as nginx runs one worker per core: a
  // connection lives on one context for its whole life, so no scheduler lock or
  // strand is shared between cores on the request path.
  static std::vector<std::unique_ptr<asio::io_context>> MakeContexts(unsigned threads);
  asio::io_context& NextContext() { return *contexts_[next_context_++ % contexts_.size()]; }
  void Accept();
  void OnAccept(beast::error_code ec, Socket socket);
  void BeginShutdown();
  void ReleaseWorkers();
  void StopAllContexts();

  ServerOptions options_;
  Handler handler_;
  AccessLog* access_log_;
  Metrics* metrics_;
  std::uint16_t port_ = 0;

  // Declared before contexts_: sessions destroyed with their io_context still use these.
  std::mutex sessions_mu_;
  std::unordered_map<std::uint64_t, std::weak_ptr<Session>> sessions_;
  std::uint64_t next_session_id_ = 0;
  std::atomic<std::size_t> open_sessions_{0};
  std::atomic<bool> stopping_{false};
  std::atomic<bool> tearing_down_{false};
  asio::ssl::context ssl_ctx_;

  std::vector<std::unique_ptr<asio::io_context>> contexts_;  // [0] also accepts and controls
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> worker_guards_;  // control_ only
  std::size_t next_context_ = 0;  // accept handler only
  tcp::acceptor acceptor_;
  asio::signal_set signals_;
  asio::strand<asio::io_context::executor_type> control_;  // shutdown bookkeeping
  asio::steady_timer drain_timer_;
};

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(SessionOwner& server, std::uint64_t id, Socket socket, asio::ssl::context& ssl_ctx,
          std::string peer)
      : server_(server), id_(id), stream_(std::move(socket), ssl_ctx), peer_(std::move(peer)) {}

  ~Session() {
    if (streaming_) {
      streaming_->Detach();
      if (Metrics* metrics = server_.metrics()) metrics->StreamClosed();
    }
    // A producer stops only when told, including one whose stream never started.
    for (auto& entry : queue_) {
      if (entry && entry->stream) entry->stream->Close(ResponseStream::Closure::kClientGone);
    }
    server_.OnSessionClosed(id_);
  }

  void Start() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->Handshake(); });
  }

  void Drain() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] { self->OnDrain(); });
  }

 private:
  using Response = bhttp::response<bhttp::string_body>;
  struct Outgoing {
    Response message;
    std::shared_ptr<ResponseStream> stream;  // set: `message` is only the head
  };

  // What the access log and metrics need from a request once its answer is ready.
  struct Exchange {
    std::string request_id;
    std::string method;
    std::string user_agent;
    SteadyClock::time_point start;
    bool keep_alive = false;
  };

  TcpStream& tcp() { return beast::get_lowest_layer(stream_); }

  void Handshake() {
    tcp().expires_after(server_.limits().handshake_timeout);
    stream_.async_handshake(asio::ssl::stream_base::server,
                            beast::bind_front_handler(&Session::OnHandshake, shared_from_this()));
  }

  void OnHandshake(beast::error_code ec) {
    // Plain HTTP, TLS garbage, a timeout: nothing to answer in; the socket closes
    // when the last reference to this session goes.
    if (ec) return;
    handshake_done_ = true;
    ReadNext();
  }

  void ReadNext() {
    if (draining_ && buffer_.size() == 0 && queue_.empty() && !writing_) {
      Shutdown();
      return;
    }
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(server_.limits().header_limit, UINT32_MAX)));
    parser_->body_limit(server_.limits().body_limit);
    // Sets only the read timer when a write is in flight (tcp_stream keeps one each).
    tcp().expires_after(served_ == 0 ? server_.limits().read_timeout : server_.limits().idle_timeout);
    reading_ = true;
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             beast::bind_front_handler(&Session::OnHeader, shared_from_this()));
  }

  void OnHeader(beast::error_code ec, std::size_t) {
    reading_ = false;
    if (streaming_) return OnPeerRead(ec, 0);
    if (ec) return OnReadError(ec);
    if (parser_->is_done()) return OnRequest();
    tcp().expires_after(server_.limits().read_timeout);
    reading_ = true;
    bhttp::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::OnBody, shared_from_this()));
  }

  void OnBody(beast::error_code ec, std::size_t) {
    reading_ = false;
    if (streaming_) return OnPeerRead(ec, 0);
    if (ec) return OnReadError(ec);
    OnRequest();
  }

  void OnReadError(beast::error_code ec) {
    if (ec == bhttp::error::header_limit) {
      return Fail(431, "The request line and header fields exceed " + std::to_string(server_.limits().header_limit) + " bytes.");
    }
    if (ec == bhttp::error::body_limit) {
      return Fail(413, "The request body exceeds " + std::to_string(server_.limits().body_limit) + " bytes.");
    }
    close_after_queue_ = true;
    if (ec == asio::error::operation_aborted && draining_) {
      if (!writing_ && queue_.empty()) Shutdown();
      return;
    }
    const bool http_syntax = ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category();
    if (IsPeerGone(ec) || !http_syntax) return;
    Fail(400, "Malformed HTTP request.");
  }

  void OnRequest() {
    const auto start = SteadyClock::now();
    auto& message = parser_->get();
    HttpRequest request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    const std::size_t query = request.target.find('?');
    request.path = request.target.substr(0, query);
    if (query != std::string::npos) request.query = request.target.substr(query + 1);
    request.headers.reserve(8);
    for (const auto& field : message) request.headers.emplace_back(field.name_string(), field.value());
    request.body = std::move(message.body());
    request.peer_address = peer_;
    request.request_id = NextRequestId();
    ++served_;

    const bool keep_alive = message.keep_alive() && !draining_;
    // Decided now, not when the answer is ready: no request after this one is read.
    if (!keep_alive) close_after_queue_ = true;
    const std::uint64_t sequence = next_sequence_++;
    queue_.emplace_back();
    Exchange exchange{request.request_id, request.method,
                      std::string(request.Header("User-Agent").value_or(std::string_view())), start, keep_alive};
    server_.handler()(request, [self = shared_from_this(), sequence,
                                exchange = std::move(exchange)](HttpResponse response) mutable {
      // Inline when answered on this connection's thread, as most requests are.
      asio::dispatch(self->stream_.get_executor(), [self, sequence, exchange = std::move(exchange),
                                                    response = std::move(response)]() mutable {
        self->Finish(sequence, std::move(response), exchange);
      });
    });
    if (!close_after_queue_ && !reading_ && queue_.size() < server_.limits().max_pipelined) ReadNext();
  }

  // Transport-level problems: answer once, then close.
  void Fail(unsigned status, std::string detail) {
    close_after_queue_ = true;
    const std::uint64_t sequence = next_sequence_++;
    queue_.emplace_back();
    Finish(sequence, ProblemResponse(status, detail, ""), Exchange{NextRequestId(), "", "", SteadyClock::now(), false});
  }

  void Finish(std::uint64_t sequence, HttpResponse response, const Exchange& exchange) {
    if (response.status < 100 || response.status > 599) response = ProblemResponse(Internal("bad status"), "");
    const auto elapsed = SteadyClock::now() - exchange.start;
    if (Metrics* metrics = server_.metrics()) metrics->Record(response.route, exchange.method, response.status, elapsed);
    if (AccessLog* log = server_.access_log()) {
      log->Write({.time = std::chrono::system_clock::now(),
                  .request_id = exchange.request_id,
                  .peer = peer_,
                  .method = exchange.method,
                  .route = response.route,
                  .status = response.status,
                  .bytes = response.body.size(),
                  .duration = std::chrono::duration_cast<std::chrono::microseconds>(elapsed),
                  .user_agent = exchange.user_agent});
    }

    Outgoing& outgoing = queue_[sequence - front_sequence_].emplace();
    Response& out = outgoing.message;
    out.version(11);
    out.result(response.status);
    out.set(bhttp::field::server, "vtpmd");
    out.set("X-Request-Id", exchange.request_id);
    if (!response.content_type.empty()) out.set(bhttp::field::content_type, response.content_type);
    for (const auto& [name, value] : response.headers) out.insert(name, value);
    if (response.stream) {
      // The body runs until the connection ends, so nothing can follow it.
      close_after_queue_ = true;
      out.set(bhttp::field::cache_control, "no-store");
      out.keep_alive(false);
      outgoing.stream = std::move(response.stream);
      if (draining_) outgoing.stream->Close(ResponseStream::Closure::kServerClosing);
    } else {
      out.keep_alive(exchange.keep_alive);
      out.body() = std::move(response.body);
      out.prepare_payload();
    }
    Write();
  }

  // Responses leave in request order: a later answer waits for the ones before it.
  void Write() {
    if (writing_ || queue_.empty() || !queue_.front()) return;
    if (queue_.front()->stream) return StartStream();
    writing_ = true;
    tcp().expires_after(server_.limits().write_timeout);
    bhttp::async_write(stream_, queue_.front()->message,
                       beast::bind_front_handler(&Session::OnWrite, shared_from_this()));
  }

  // Streamed responses. The head goes out first; then each wake of the stream
  // writes what the producer queued, one write at a time. A read stays pending the
  // whole time, without a deadline, so that a client hanging up is noticed at once
  // rather than at the next write; what it reads is discarded.
  void StartStream() {
    streaming_ = queue_.front()->stream;
    if (Metrics* metrics = server_.metrics()) metrics->StreamOpened();
    streaming_->Attach([weak = weak_from_this(), executor = stream_.get_executor()] {
      if (auto self = weak.lock()) asio::post(executor, [self] { self->PumpStream(); });
    });
    // A request read still pending (an answer that came late) would time out and
    // take the connection with it; its completion starts the watch instead.
    if (reading_) tcp().socket().cancel();
    writing_ = true;
    tcp().expires_after(server_.limits().write_timeout);
    bhttp::async_write(stream_, queue_.front()->message,
                       beast::bind_front_handler(&Session::OnStreamWritten, shared_from_this()));
    if (!reading_) WatchPeer();
  }

  void WatchPeer() {
    if (watching_ || shutting_down_) return;
    watching_ = true;
    tcp().expires_never();  // the read's deadline only: a write is pending or about to be
    stream_.async_read_some(asio::buffer(discard_), beast::bind_front_handler(&Session::OnPeerRead, shared_from_this()));
  }

  void OnPeerRead(beast::error_code ec, std::size_t) {
    watching_ = false;
    if (!ec && !streaming_->closed()) return WatchPeer();
    if (ec && ec != asio::error::operation_aborted) streaming_->Close(ResponseStream::Closure::kClientGone);
    PumpStream();
  }

  void PumpStream() {
    if (shutting_down_) return;
    const ResponseStream::Closure closure = streaming_->closure();
    if (closure == ResponseStream::Closure::kOverflow || closure == ResponseStream::Closure::kClientGone) {
      tcp().close();  // at once, even with a write stuck on a client that stopped reading
      return;
    }
    if (writing_) return;  // OnStreamWritten pumps again
    ResponseStream::Pending pending = streaming_->Take();
    if (!pending.bytes.empty()) {
      stream_chunk_ = std::move(pending.bytes);
      writing_ = true;
      tcp().expires_after(server_.limits().write_timeout);
      asio::async_write(stream_, asio::buffer(stream_chunk_),
                        beast::bind_front_handler(&Session::OnStreamWritten, shared_from_this()));
      return;
    }
    if (pending.closure == ResponseStream::Closure::kOpen) return;
    // Ended or drained: a graceful TLS close, once the pending read is out of the way.
    if (watching_ || reading_) {
      tcp().socket().cancel();
      return;
    }
    Shutdown();
  }

  void OnStreamWritten(beast::error_code ec, std::size_t) {
    writing_ = false;
    streaming_->Written(stream_chunk_.size());
    stream_chunk_.clear();
    if (ec) {
      streaming_->Close(ResponseStream::Closure::kClientGone);
      tcp().close();
      return;
    }
    PumpStream();
  }

  void OnWrite(beast::error_code ec, std::size_t) {
    writing_ = false;
    if (ec) {
      tcp().close();
      return;
    }
    queue_.pop_front();
    ++front_sequence_;
    Write();
    if (close_after_queue_) {
      if (queue_.empty() && !reading_) Shutdown();
      return;
    }
    if (!reading_ && queue_.size() < server_.limits().max_pipelined) return ReadNext();  // reading paused on a full queue
    if (draining_ && IdleBetweenRequests()) tcp().socket().cancel();
  }

  bool IdleBetweenRequests() const {
    return reading_ && !writing_ && queue_.empty() && buffer_.size() == 0 && !parser_->got_some();
  }

  void OnDrain() {
    draining_ = true;
    for (auto& entry : queue_) {
      if (entry && entry->stream) entry->stream->Close(ResponseStream::Closure::kServerClosing);
    }
    if (!handshake_done_ || IdleBetweenRequests()) tcp().socket().cancel();
  }

  void Shutdown() {
    if (shutting_down_) return;
    shutting_down_ = true;
    tcp().expires_after(kTlsShutdownGrace);
    stream_.async_shutdown([self = shared_from_this()](beast::error_code) { self->tcp().close(); });
  }

  SessionOwner& server_;
  const std::uint64_t id_;
  beast::ssl_stream<TcpStream> stream_;
  const std::string peer_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  // One entry per request in order, empty until its handler answers; the front is
  // written once answered. front_sequence_ numbers the front entry.
  std::deque<std::optional<Outgoing>> queue_;
  std::uint64_t front_sequence_ = 0;
  std::uint64_t next_sequence_ = 0;
  std::uint64_t served_ = 0;
  bool handshake_done_ = false;
  bool reading_ = false;
  bool writing_ = false;
  bool close_after_queue_ = false;
  bool draining_ = false;
  bool shutting_down_ = false;
  // The streamed response being written, once its head has gone out.
  std::shared_ptr<ResponseStream> streaming_;
  std::string stream_chunk_;  // the bytes of the write in flight
  std::array<char, 512> discard_{};
  bool watching_ = false;
};

}  // namespace

Status HttpsServer::Impl::Listen() {
  const Status tls = ConfigureServerTls(ssl_ctx_.native_handle(), options_.tls);
  options_.tls.private_key_pem = SecretBytes();  // the SSL_CTX holds the key now
  VTPMD_RETURN_IF_ERROR(tls);
  beast::error_code ec;
  const asio::ip::address address = asio::ip::make_address(options_.host, ec);
  if (ec) return InvalidArgument("listen host must be an IP address: " + options_.host);
  const tcp::endpoint endpoint(address, options_.port);
  const std::string where = options_.host + ":" + std::to_string(options_.port);
  if (acceptor_.open(endpoint.protocol(), ec); ec) return Unavailable("cannot open socket for " + where + ": " + ec.message());
  if (acceptor_.set_option(asio::socket_base::reuse_address(true), ec); ec) {
    return Unavailable("cannot set SO_REUSEADDR on " + where + ": " + ec.message());
  }
  if (acceptor_.bind(endpoint, ec); ec) return Unavailable("cannot listen on " + where + ": " + ec.message());
  if (acceptor_.listen(asio::socket_base::max_listen_connections, ec); ec) {
    return Unavailable("cannot listen on " + where + ": " + ec.message());
  }
  port_ = acceptor_.local_endpoint(ec).port();
  if (ec) return Internal("local_endpoint: " + ec.message());
  return Ok();
}

void HttpsServer::Impl::Run() {
  beast::error_code ec;
  signals_.add(SIGINT, ec);
  signals_.add(SIGTERM, ec);
  signals_.async_wait([this](beast::error_code wait_ec, int) {
    if (!wait_ec) Stop();
  });
  Accept();
  // Contexts other than the first have no work of their own between connections;
  // the guards keep them running until shutdown has drained every session.
  for (std::size_t i = 1; i < contexts_.size(); ++i) worker_guards_.push_back(asio::make_work_guard(*contexts_[i]));
  std::vector<std::thread> workers;
  workers.reserve(contexts_.size() - 1);
  for (std::size_t i = 1; i < contexts_.size(); ++i) workers.emplace_back([this, i] { contexts_[i]->run(); });
  contexts_[0]->run();
  for (std::thread& worker : workers) worker.join();
}

std::vector<std::unique_ptr<asio::io_context>> HttpsServer::Impl::MakeContexts(unsigned threads) {
  const unsigned count = threads != 0 ? threads : std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  for (unsigned i = 0; i < count; ++i) contexts.push_back(std::make_unique<asio::io_context>(1));
  return contexts;
}

void HttpsServer::Impl::Accept() {
  acceptor_.async_accept(NextContext().get_executor(), beast::bind_front_handler(&Impl::OnAccept, this));
}

void HttpsServer::Impl::OnAccept(beast::error_code ec, Socket socket) {
  if (stopping_) return;
  if (!ec) {
    beast::error_code ignored;
    if (open_sessions_.load() >= options_.limits.max_connections) {
      socket.close(ignored);
    } else {
      socket.set_option(tcp::no_delay(true), ignored);
      const tcp::endpoint remote = socket.remote_endpoint(ignored);
      std::string peer = ignored ? std::string("unknown") : remote.address().to_string();
      std::shared_ptr<Session> session;
      {
        std::lock_guard lock(sessions_mu_);
        const std::uint64_t id = next_session_id_++;
        session = std::make_shared<Session>(*this, id, std::move(socket), ssl_ctx_, std::move(peer));
        sessions_.emplace(id, session);
        ++open_sessions_;
      }
      session->Start();
    }
  }
  // Accept errors (a peer resetting before accept, EMFILE) affect one connection.
  Accept();
}

void HttpsServer::Impl::BeginShutdown() {
  if (stopping_.exchange(true)) return;
  beast::error_code ignored;
  acceptor_.close(ignored);
  signals_.cancel(ignored);
  signals_.clear(ignored);
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard lock(sessions_mu_);
    for (auto& [id, weak] : sessions_) {
      if (auto session = weak.lock()) live.push_back(std::move(session));
    }
  }
  for (auto& session : live) session->Drain();
  live.clear();
  if (open_sessions_.load() == 0) return ReleaseWorkers();
  drain_timer_.expires_after(options_.limits.drain_timeout);
  drain_timer_.async_wait([this](beast::error_code wait_ec) {
    if (!wait_ec) StopAllContexts();  // drain deadline: abandon what is left
  });
}

void HttpsServer::Impl::ReleaseWorkers() {
  for (auto& guard : worker_guards_) guard.reset();
}

void HttpsServer::Impl::StopAllContexts() {
  for (auto& context : contexts_) context->stop();
}

void HttpsServer::Impl::OnSessionClosed(std::uint64_t id) {
  {
    std::lock_guard lock(sessions_mu_);
    sessions_.erase(id);
  }
  if (--open_sessions_ == 0 && stopping_ && !tearing_down_) {
    asio::post(control_, [this] {
      if (open_sessions_.load() != 0) return;
      drain_timer_.cancel();
      ReleaseWorkers();
    });
  }
}

Result<std::unique_ptr<HttpsServer>> HttpsServer::Create(ServerOptions options, Handler handler,
                                                         AccessLog* access_log, Metrics* metrics) {
  if (!handler) return InvalidArgument("HttpsServer needs a handler");
  if (options.limits.max_pipelined == 0) return InvalidArgument("max_pipelined must be at least 1");
  auto impl = std::make_unique<Impl>(std::move(options), std::move(handler), access_log, metrics);
  Status listening = impl->Listen();
  if (!listening.ok()) return std::move(listening).error();
  return std::unique_ptr<HttpsServer>(new HttpsServer(std::move(impl)));
}

HttpsServer::HttpsServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpsServer::~HttpsServer() = default;
std::uint16_t HttpsServer::port() const { return impl_->port(); }
void HttpsServer::Run() { impl_->Run(); }
void HttpsServer::Stop() { impl_->Stop(); }

}  // namespace vtpmd::http
