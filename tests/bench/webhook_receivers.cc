// Webhook receivers for tests/bench/webhook_fanout_bench.sh: COUNT HTTPS origins on
// loopback, each its own TLS listener, all served by one thread and one io_context.
// A benchmark tool, not a relying party: it is light on purpose, so that the fan-out
// measurement measures vtpmd and not the receivers (node's https servers, which it
// replaces, cost twice the CPU vtpmd did on the same cores). It answers every
// request 204 No Content and does not verify signatures; the functional tests
// (tests/integration/webhook_test.cc) verify every one with the standardwebhooks
// npm package. Keep-alive clients (vtpmd) and clients that open a connection per
// request and close it (keylime_style_notifier.py) are both served.
//
//   vtpmd_webhook_receivers CERT.pem KEY.pem COUNT
//
// stdout: first a JSON array of the COUNT ports, in listener order; then a line per
// request, "<webhook-id header, or reference when absent> <CLOCK_MONOTONIC ns>",
// written in batches. The reader must keep draining it: writes are synchronous, and
// a full pipe would stall every listener. Exits when stdin reaches EOF or on
// SIGTERM/SIGINT. Open files: COUNT listeners plus one per connection, so the caller
// raises `ulimit -n`.

#include <time.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/file_io.h"
#include "server/http/tls_context.h"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
// Concrete executor types, as in server/http: everything lives on one io_context.
using Executor = asio::io_context::executor_type;
using Socket = asio::basic_stream_socket<tcp, Executor>;
using Acceptor = asio::basic_socket_acceptor<tcp, Executor>;

constexpr std::string_view kUsage = "usage: vtpmd_webhook_receivers CERT.pem KEY.pem COUNT\n";
constexpr unsigned kMaxReceivers = 20000;
constexpr std::size_t kMaxPemBytes = 1024 * 1024;
constexpr std::uint32_t kHeaderLimit = 16 * 1024;
constexpr std::uint64_t kBodyLimit = 64 * 1024;
// Arrival lines wait at most this long, or until this many bytes are pending: one
// write per batch instead of one per request, and the driver, which polls every
// 2 ms, still sees an arrival about as soon as it looks.
constexpr std::chrono::milliseconds kFlushDelay{1};
constexpr std::size_t kFlushBytes = 4096;
// After an accept error other than cancellation (out of file descriptors, mostly):
// retrying at once would spin on the same error.
constexpr std::chrono::milliseconds kAcceptRetryDelay{10};

// The driver (webhook_fanout.mjs) reads process.hrtime, which libuv takes from
// CLOCK_MONOTONIC on Linux; latencies subtract its times from ours.
std::int64_t MonotonicNanos() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<std::int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

// Writes all of `data` to stdout; false when stdout is gone (the driver ended).
bool WriteToStdout(std::string_view data) {
  while (!data.empty()) {
    const ssize_t written = ::write(STDOUT_FILENO, data.data(), data.size());
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(written));
  }
  return true;
}

// The arrival lines, batched. Writes are synchronous: stdout is a pipe that the
// driver keeps draining, and a batch is far below the pipe's 64 KiB.
class ArrivalLog {
 public:
  explicit ArrivalLog(asio::io_context& ioc) : ioc_(ioc), flush_timer_(ioc) {}

  void Record(std::string_view id, std::int64_t arrived_nanos) {
    pending_.append(id);
    pending_.push_back(' ');
    char digits[24];
    // 24 characters hold any int64, so the conversion cannot fail.
    pending_.append(digits, std::to_chars(digits, digits + sizeof digits, arrived_nanos).ptr);
    pending_.push_back('\n');
    if (pending_.size() >= kFlushBytes) {
      Flush();
    } else if (!flush_armed_) {
      flush_armed_ = true;
      flush_timer_.expires_after(kFlushDelay);
      flush_timer_.async_wait([this](beast::error_code wait_ec) {
        flush_armed_ = false;
        if (!wait_ec) Flush();
      });
    }
  }

  // Also called once more after the io_context stopped, for the last batch.
  void Flush() {
    if (pending_.empty()) return;
    const bool written = WriteToStdout(pending_);
    pending_.clear();
    if (!written) {
      // Nobody reads the arrivals any more: nothing left worth serving.
      std::fprintf(stderr, "vtpmd_webhook_receivers: stdout: %s\n", std::strerror(errno));
      ioc_.stop();
    }
  }

 private:
  asio::io_context& ioc_;
  asio::steady_timer flush_timer_;
  bool flush_armed_ = false;
  std::string pending_;
};

// One accepted connection: TLS handshake, then requests answered 204 until the
// client closes, asks to close, or anything fails. Errors need no handling beyond
// that: the socket closes when the last handler holding the session lets go.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Socket socket, asio::ssl::context& tls, ArrivalLog& arrivals)
      : stream_(std::move(socket), tls), arrivals_(arrivals) {}

  void Start() {
    stream_.async_handshake(asio::ssl::stream_base::server,
                            beast::bind_front_handler(&Session::OnHandshake, shared_from_this()));
  }

 private:
  void OnHandshake(beast::error_code ec) {
    if (ec) return;
    ReadHeader();
  }

  void ReadHeader() {
    parser_.emplace();  // a parser reads one message only
    parser_->header_limit(kHeaderLimit);
    parser_->body_limit(kBodyLimit);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             beast::bind_front_handler(&Session::OnHeader, shared_from_this()));
  }

  // The arrival time is taken here, when the header has been read, as node's
  // request handler ran when it had parsed the headers; the request is recorded
  // only once its body has been read too, so a broken request does not count.
  void OnHeader(beast::error_code ec, std::size_t) {
    if (ec) return;  // includes a keep-alive or per-request client closing between requests
    header_arrived_nanos_ = MonotonicNanos();
    if (parser_->is_done()) return Respond();  // no body, or all of it came with the header
    bhttp::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::OnBody, shared_from_this()));
  }

  void OnBody(beast::error_code ec, std::size_t) {
    if (ec) return;
    Respond();
  }

  void Respond() {
    const auto& request = parser_->get();
    const std::string_view webhook_id = request["webhook-id"];
    arrivals_.Record(webhook_id.empty() ? std::string_view("reference") : webhook_id, header_arrived_nanos_);
    response_.version(request.version());
    response_.keep_alive(request.keep_alive());
    bhttp::async_write(stream_, response_, beast::bind_front_handler(&Session::OnWrite, shared_from_this()));
  }

  void OnWrite(beast::error_code ec, std::size_t) {
    // Asked to close: the client has the whole answer (a 204 has no body), so the
    // connection just ends, without waiting on a TLS close_notify exchange.
    if (ec || !response_.keep_alive()) return;
    ReadHeader();
  }

  beast::ssl_stream<Socket> stream_;
  ArrivalLog& arrivals_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  bhttp::response<bhttp::empty_body> response_{bhttp::status::no_content, 11};
  std::int64_t header_arrived_nanos_ = 0;
};

// One origin: a listener on 127.0.0.1 with a port of its own.
class Listener {
 public:
  Listener(asio::io_context& ioc, asio::ssl::context& tls, ArrivalLog& arrivals)
      : acceptor_(ioc.get_executor()), retry_timer_(ioc), tls_(tls), arrivals_(arrivals) {}

  // Binds a free port; the error names what failed.
  std::string Open() {
    beast::error_code ec;
    acceptor_.open(tcp::v4(), ec);
    if (ec) return "open: " + ec.message();
    acceptor_.bind(tcp::endpoint(asio::ip::address_v4::loopback(), 0), ec);
    if (ec) return "bind: " + ec.message();
    acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return "listen: " + ec.message();
    port_ = acceptor_.local_endpoint(ec).port();
    if (ec) return "local_endpoint: " + ec.message();
    return {};
  }

  std::uint16_t port() const { return port_; }

  void Accept() { acceptor_.async_accept(beast::bind_front_handler(&Listener::OnAccept, this)); }

 private:
  void OnAccept(beast::error_code ec, Socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (ec) {
      retry_timer_.expires_after(kAcceptRetryDelay);
      retry_timer_.async_wait([this](beast::error_code wait_ec) {
        if (!wait_ec) Accept();
      });
      return;
    }
    // Small writes (handshake flights, a 204) must not wait for the peer's ACK.
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    std::make_shared<Session>(std::move(socket), tls_, arrivals_)->Start();
    Accept();
  }

  Acceptor acceptor_;
  asio::steady_timer retry_timer_;
  asio::ssl::context& tls_;
  ArrivalLog& arrivals_;
  std::uint16_t port_ = 0;
};

// Calls `on_eof` once stdin reaches EOF (or fails): the driver ends the receivers
// by closing it. Waits for readiness and then reads without making stdin
// non-blocking, which would also change a terminal shared with the shell.
class StdinEofWatch {
 public:
  StdinEofWatch(asio::io_context& ioc, std::function<void()> on_eof) : stdin_(ioc), on_eof_(std::move(on_eof)) {}

  // Watches a copy of stdin, which the descriptor object closes when it goes.
  std::string Open() {
    const int stdin_copy = ::dup(STDIN_FILENO);
    if (stdin_copy < 0) return std::string("dup(stdin): ") + std::strerror(errno);
    beast::error_code ec;
    stdin_.assign(stdin_copy, ec);
    if (ec) {
      ::close(stdin_copy);
      return "watching stdin: " + ec.message();
    }
    return {};
  }

  void Wait() {
    stdin_.async_wait(asio::posix::stream_descriptor::wait_read, [this](beast::error_code ec) {
      if (ec == asio::error::operation_aborted) return;
      char discarded[256];
      ssize_t bytes_read = -1;
      if (!ec) {
        do bytes_read = ::read(stdin_.native_handle(), discarded, sizeof discarded);
        while (bytes_read < 0 && errno == EINTR);
      }
      if (bytes_read <= 0) return on_eof_();
      Wait();  // input is not expected, only its end
    });
  }

 private:
  asio::posix::stream_descriptor stdin_;
  std::function<void()> on_eof_;
};

bool ParseCount(std::string_view text, unsigned& count) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), count);
  return ec == std::errc() && end == text.data() + text.size() && count != 0 && count <= kMaxReceivers;
}

bool LoadServerTls(const char* certificate_file, const char* key_file, asio::ssl::context& tls) {
  auto certificate = vtpmd::ReadSmallFile(certificate_file, kMaxPemBytes);
  auto key = vtpmd::ReadSmallFile(key_file, kMaxPemBytes);
  if (!certificate.ok() || !key.ok()) {
    const auto& error = certificate.ok() ? key.error() : certificate.error();
    std::fprintf(stderr, "vtpmd_webhook_receivers: %s\n", error.message().c_str());
    return false;
  }
  vtpmd::http::TlsIdentity identity;
  identity.certificate_chain_pem = std::move(*certificate);
  identity.private_key_pem = vtpmd::SecretBytes::CopyFrom(vtpmd::AsBytes(*key));
  if (auto status = vtpmd::http::ConfigureServerTls(tls.native_handle(), identity); !status.ok()) {
    std::fprintf(stderr, "vtpmd_webhook_receivers: TLS: %s\n", status.error().message().c_str());
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  unsigned count = 0;
  if (argc != 4 || !ParseCount(argv[3], count)) {
    std::fprintf(stderr, "%.*s", static_cast<int>(kUsage.size()), kUsage.data());
    return 2;
  }
  // A driver that is gone shows as a failed write, not as a fatal signal.
  std::signal(SIGPIPE, SIG_IGN);

  // Declared before the io_context: sessions die with it and their SSL objects with them.
  asio::ssl::context tls(asio::ssl::context::tls_server);
  if (!LoadServerTls(argv[1], argv[2], tls)) return 1;

  // One thread: the concurrency hint lets Asio skip its scheduler locking.
  asio::io_context ioc(1);
  ArrivalLog arrivals(ioc);

  std::vector<std::unique_ptr<Listener>> listeners;
  listeners.reserve(count);
  std::string ports = "[";
  for (unsigned i = 0; i < count; ++i) {
    auto listener = std::make_unique<Listener>(ioc, tls, arrivals);
    if (const std::string failure = listener->Open(); !failure.empty()) {
      std::fprintf(stderr, "vtpmd_webhook_receivers: listener %u of %u: %s\n", i + 1, count, failure.c_str());
      return 1;
    }
    if (i != 0) ports.push_back(',');
    ports += std::to_string(listener->port());
    listener->Accept();
    listeners.push_back(std::move(listener));
  }
  ports += "]\n";
  if (!WriteToStdout(ports)) return 1;

  asio::signal_set signals(ioc);
  beast::error_code ec;
  signals.add(SIGINT, ec);
  if (!ec) signals.add(SIGTERM, ec);
  if (ec) {
    std::fprintf(stderr, "vtpmd_webhook_receivers: signals: %s\n", ec.message().c_str());
    return 1;
  }
  signals.async_wait([&ioc](beast::error_code signal_ec, int) {
    if (!signal_ec) ioc.stop();
  });
  StdinEofWatch stdin_watch(ioc, [&ioc] { ioc.stop(); });
  if (const std::string failure = stdin_watch.Open(); !failure.empty()) {
    std::fprintf(stderr, "vtpmd_webhook_receivers: %s\n", failure.c_str());
    return 1;
  }
  stdin_watch.Wait();

  ioc.run();
  arrivals.Flush();
  return 0;
}
