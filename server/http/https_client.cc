#include "server/http/https_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <array>
#include <optional>

#include "server/http/tls_context.h"

namespace vtpmd::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr std::size_t kResponseBodyLimit = 64 * 1024 * 1024;
constexpr std::uint32_t kResponseHeaderLimit = 64 * 1024;

// The server closed a kept-alive connection before answering: safe to resend.
bool IsStaleConnection(const beast::error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == asio::error::eof || ec == asio::ssl::error::stream_truncated ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe;
}

}  // namespace

class HttpsClient::Impl {
 public:
  explicit Impl(ClientOptions options)
      : options_(std::move(options)), ssl_ctx_(asio::ssl::context::tls_client) {}

  Status Configure() { return ConfigureClientTls(ssl_ctx_.native_handle(), options_.ca_pem, options_.insecure); }

  Status Open() {
    stream_.reset();
    buffer_.clear();
    requests_on_connection_ = 0;
    const std::string where = options_.host + ":" + std::to_string(options_.port);
    beast::error_code ec;
    tcp::resolver resolver(ioc_);
    const auto endpoints = resolver.resolve(options_.host, std::to_string(options_.port), ec);
    if (ec) return Unavailable("resolve " + where + ": " + ec.message());

    stream_.emplace(ioc_, ssl_ctx_);
    VTPMD_RETURN_IF_ERROR(SetExpectedPeer(stream_->native_handle(), options_.host));
    tcp().expires_after(options_.timeout);
    tcp().async_connect(endpoints, [&ec](beast::error_code e, const tcp::endpoint&) { ec = e; });
    RunPending();
    if (ec) return Fail("connect to " + where, ec);
    tcp().expires_after(options_.timeout);
    stream_->async_handshake(asio::ssl::stream_base::client, [&ec](beast::error_code e) { ec = e; });
    RunPending();
    if (ec) return Fail("TLS handshake with " + where, ec);
    return Ok();
  }

  Result<HttpResponse> Send(std::string_view method, std::string_view target, const HeaderList& headers,
                            std::string_view body) {
    bhttp::request<bhttp::string_body> request = MakeRequest(method, target, headers, body);
    const bool reused = stream_.has_value() && requests_on_connection_ > 0;
    if (!stream_) VTPMD_RETURN_IF_ERROR(Open());
    bool stale = false;
    Result<HttpResponse> response = RoundTrip(request, stale);
    if (!response.ok() && stale && reused) {
      VTPMD_RETURN_IF_ERROR(Open());
      response = RoundTrip(request, stale);
    }
    return response;
  }

  Result<HttpResponse> SendStreaming(std::string_view method, std::string_view target, const HeaderList& headers,
                                     std::string_view body, const std::function<bool(std::string_view)>& on_chunk) {
    bhttp::request<bhttp::string_body> request = MakeRequest(method, target, headers, body);
    // A fresh connection: a stale kept-alive one would need a resend halfway into a stream.
    VTPMD_RETURN_IF_ERROR(Open());
    beast::error_code ec;
    tcp().expires_after(options_.timeout);
    bhttp::async_write(*stream_, request, [&ec](beast::error_code e, std::size_t) { ec = e; });
    RunPending();
    if (ec) return Fail("send request", ec);

    bhttp::response_parser<bhttp::buffer_body> parser;
    parser.header_limit(kResponseHeaderLimit);
    parser.body_limit(boost::none);  // a stream has no end to bound; the caller stops it
    tcp().expires_after(options_.timeout);
    bhttp::async_read_header(*stream_, buffer_, parser, [&ec](beast::error_code e, std::size_t) { ec = e; });
    RunPending();
    if (ec) return Fail("read response header", ec);
    HttpResponse response = Head(parser.get());
    const bool success = response.status >= 200 && response.status < 300;
    std::array<char, 16 * 1024> chunk;
    while (!parser.is_done()) {
      parser.get().body().data = chunk.data();
      parser.get().body().size = chunk.size();
      tcp().expires_after(options_.timeout);
      bhttp::async_read_some(*stream_, buffer_, parser, [&ec](beast::error_code e, std::size_t) { ec = e; });
      RunPending();
      if (ec == bhttp::error::need_buffer) ec = {};
      if (ec) return Fail("read response body", ec);
      const std::string_view bytes(chunk.data(), chunk.size() - parser.get().body().size);
      if (!success) {
        if (response.body.size() + bytes.size() > kResponseBodyLimit) {
          return Fail("read response body", bhttp::error::body_limit);
        }
        response.body.append(bytes);
      } else if (!bytes.empty() && !on_chunk(bytes)) {
        break;
      }
    }
    stream_.reset();
    return response;
  }

 private:
  bhttp::request<bhttp::string_body> MakeRequest(std::string_view method, std::string_view target,
                                                 const HeaderList& headers, std::string_view body) const {
    bhttp::request<bhttp::string_body> request;
    request.method_string(method);
    request.target(target);
    request.version(11);
    request.set(bhttp::field::host, options_.host + ":" + std::to_string(options_.port));
    for (const auto& [name, value] : headers) request.insert(name, value);
    if (request.count(bhttp::field::user_agent) == 0) request.set(bhttp::field::user_agent, "vtpmd-client/" VTPMD_VERSION);
    request.body() = std::string(body);
    request.prepare_payload();
    return request;
  }

  // Status and header fields; the body is the caller's.
  template <typename Body>
  static HttpResponse Head(const bhttp::response<Body>& message) {
    HttpResponse response;
    response.status = message.result_int();
    response.content_type = std::string(message[bhttp::field::content_type]);
    for (const auto& field : message) response.headers.emplace_back(field.name_string(), field.value());
    return response;
  }

  beast::tcp_stream& tcp() { return beast::get_lowest_layer(*stream_); }

  void RunPending() {
    ioc_.restart();
    ioc_.run();
  }

  Error Fail(const std::string& what, const beast::error_code& ec) {
    stream_.reset();
    return Unavailable(what + ": " + ec.message());
  }

  Result<HttpResponse> RoundTrip(bhttp::request<bhttp::string_body>& request, bool& stale) {
    beast::error_code ec;
    tcp().expires_after(options_.timeout);
    bhttp::async_write(*stream_, request, [&ec](beast::error_code e, std::size_t) { ec = e; });
    RunPending();
    if (ec) {
      stale = IsStaleConnection(ec);
      return Fail("send request", ec);
    }
    bhttp::response_parser<bhttp::string_body> parser;
    parser.header_limit(kResponseHeaderLimit);
    parser.body_limit(kResponseBodyLimit);
    tcp().expires_after(options_.timeout);
    bhttp::async_read(*stream_, buffer_, parser, [&ec](beast::error_code e, std::size_t) { ec = e; });
    RunPending();
    if (ec) {
      stale = !parser.got_some() && IsStaleConnection(ec);
      return Fail("read response", ec);
    }
    ++requests_on_connection_;
    auto& message = parser.get();
    HttpResponse response = Head(message);
    response.body = std::move(message.body());
    if (!message.keep_alive()) stream_.reset();
    return response;
  }

  ClientOptions options_;
  asio::io_context ioc_;
  asio::ssl::context ssl_ctx_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> stream_;
  beast::flat_buffer buffer_;
  std::uint64_t requests_on_connection_ = 0;
};

Result<HttpResponse> HttpsClient::SendStreaming(std::string_view method, std::string_view target,
                                                const HeaderList& headers, std::string_view body,
                                                const std::function<bool(std::string_view)>& on_chunk) {
  return impl_->SendStreaming(method, target, headers, body, on_chunk);
}

Result<std::unique_ptr<HttpsClient>> HttpsClient::Connect(ClientOptions options) {
  if (options.host.empty() || options.port == 0) return InvalidArgument("HttpsClient needs a host and a port");
  auto impl = std::make_unique<Impl>(std::move(options));
  VTPMD_RETURN_IF_ERROR(impl->Configure());
  VTPMD_RETURN_IF_ERROR(impl->Open());
  return std::unique_ptr<HttpsClient>(new HttpsClient(std::move(impl)));
}

HttpsClient::HttpsClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpsClient::~HttpsClient() = default;

Result<HttpResponse> HttpsClient::Send(std::string_view method, std::string_view target, const HeaderList& headers,
                                       std::string_view body) {
  return impl_->Send(method, target, headers, body);
}

}  // namespace vtpmd::http
