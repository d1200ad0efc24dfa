#include "server/http/https_server.h"

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/json/parse.hpp>

#include <condition_variable>
#include <cstdio>
#include <future>
#include <mutex>
#include <thread>

#include "server/http/https_client.h"
#include "server/http/response_stream.h"
#include "server/http/router.h"
#include "tests/unit/server/test_tls_identity.h"

namespace vtpmd::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

// A hand-driven TLS (or plain TCP) connection for what HttpsClient will not do:
// pipelining, oversized input, garbage. Every operation is bounded by kOpTimeout
// so that a server bug fails the test instead of hanging it.
constexpr std::chrono::seconds kOpTimeout{10};

template <typename Stream>
class RawConnection {
 public:
  explicit RawConnection(std::uint16_t port) : ssl_ctx_(asio::ssl::context::tls_client), stream_(Make()) {
    beast::error_code ec;
    Tcp().expires_after(kOpTimeout);
    Tcp().async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), [&ec](beast::error_code e) { ec = e; });
    Run();
    connect_error_ = ec;
  }

  beast::error_code connect_error() const { return connect_error_; }

  beast::error_code Handshake() {
    beast::error_code ec;
    Tcp().expires_after(kOpTimeout);
    stream_.async_handshake(asio::ssl::stream_base::client, [&ec](beast::error_code e) { ec = e; });
    Run();
    return ec;
  }

  beast::error_code Write(const std::string& data) {
    beast::error_code ec;
    Tcp().expires_after(kOpTimeout);
    asio::async_write(stream_, asio::buffer(data), [&ec](beast::error_code e, std::size_t) { ec = e; });
    Run();
    return ec;
  }

  std::pair<beast::error_code, bhttp::response<bhttp::string_body>> ReadResponse() {
    beast::error_code ec;
    bhttp::response<bhttp::string_body> response;
    Tcp().expires_after(kOpTimeout);
    bhttp::async_read(stream_, buffer_, response, [&ec](beast::error_code e, std::size_t) { ec = e; });
    Run();
    return {ec, std::move(response)};
  }

  // Reads until the server ends the connection; returns how it ended. A timeout
  // (beast::error::timeout) means the server left it open.
  beast::error_code ReadUntilClosed() {
    char scratch[4096];
    while (true) {
      beast::error_code ec;
      Tcp().expires_after(kOpTimeout);
      stream_.async_read_some(asio::buffer(scratch), [&ec](beast::error_code e, std::size_t) { ec = e; });
      Run();
      if (ec) return ec;
    }
  }

 private:
  Stream Make() {
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      return Stream(ioc_);
    } else {
      return Stream(ioc_, ssl_ctx_);
    }
  }
  beast::tcp_stream& Tcp() { return beast::get_lowest_layer(stream_); }
  void Run() {
    ioc_.restart();
    ioc_.run();
  }

  asio::io_context ioc_;
  asio::ssl::context ssl_ctx_;
  Stream stream_;
  beast::flat_buffer buffer_;
  beast::error_code connect_error_;
};

using TlsConnection = RawConnection<beast::ssl_stream<beast::tcp_stream>>;
using PlainConnection = RawConnection<beast::tcp_stream>;

std::string Get(const std::string& target, const std::string& extra_headers = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra_headers + "\r\n";
}

class HttpsServerTest : public ::testing::Test {
 protected:
  void Start(ServerLimits limits = {}) {
    ASSERT_TRUE(router_.Add("GET", "/echo/{word}", [](const HttpRequest&, const PathParams& params) -> Result<HttpResponse> {
      HttpResponse response;
      response.content_type = "text/plain";
      response.body = std::string(params.Get("word"));
      return response;
    }).ok());
    ASSERT_TRUE(router_.Add("POST", "/upload", [](const HttpRequest& request, const PathParams&) -> Result<HttpResponse> {
      HttpResponse response;
      response.body = std::to_string(request.body.size());
      return response;
    }).ok());
    // Answered from another thread once the test releases it, as the platform TPM
    // answers deep-quote batches.
    ASSERT_TRUE(router_.AddDeferred("GET", "/later/{word}", [this](const HttpRequest&, const PathParams& params,
                                                                   RouteCompletion done) {
      std::lock_guard lock(later_mu_);
      later_.emplace_back(std::string(params.Get("word")), std::move(done));
      later_cv_.notify_all();
    }).ok());
    // A streamed answer whose producer the test drives; it pushes "open;" at once.
    ASSERT_TRUE(router_.Add("GET", "/stream", [this](const HttpRequest&, const PathParams&) -> Result<HttpResponse> {
      HttpResponse response;
      response.content_type = "text/event-stream";
      response.stream = std::make_shared<ResponseStream>(stream_queue_bytes_);
      response.stream->Push("open;");
      std::lock_guard lock(streams_mu_);
      streams_.push_back(response.stream);
      streams_cv_.notify_all();
      return response;
    }).ok());
    log_file_ = std::tmpfile();
    ASSERT_NE(log_file_, nullptr);
    access_log_ = std::make_unique<AccessLog>(fileno(log_file_));

    ServerOptions options;
    options.port = 0;
    options.threads = 2;
    options.limits = limits;
    options.tls = testing::MakeSelfSignedIdentity();
    ca_pem_ = options.tls.certificate_chain_pem;
    auto server = HttpsServer::Create(std::move(options), [this](const HttpRequest& r, Responder respond) { router_.Dispatch(r, std::move(respond)); },
                                      access_log_.get(), &metrics_);
    ASSERT_TRUE(server.ok()) << server.error().message();
    server_ = std::move(server).value();
    ASSERT_NE(server_->port(), 0);
    runner_ = std::thread([this] { server_->Run(); });
  }

  // Waits until `count` deferred requests are held, then answers them from another
  // thread in reverse order.
  void AnswerLaterRequestsInReverse(std::size_t count) {
    std::vector<std::pair<std::string, RouteCompletion>> held;
    {
      std::unique_lock lock(later_mu_);
      ASSERT_TRUE(later_cv_.wait_for(lock, std::chrono::seconds(10), [&] { return later_.size() >= count; }));
      held.swap(later_);
    }
    std::thread answerer([&held] {
      for (auto it = held.rbegin(); it != held.rend(); ++it) {
        HttpResponse response;
        response.body = "later:" + it->first;
        it->second(std::move(response));
      }
    });
    answerer.join();
  }

  // The stream of the next /stream request, once its handler has answered.
  std::shared_ptr<ResponseStream> NextStream() {
    std::unique_lock lock(streams_mu_);
    EXPECT_TRUE(streams_cv_.wait_for(lock, std::chrono::seconds(10), [&] { return !streams_.empty(); }));
    if (streams_.empty()) return nullptr;
    auto stream = streams_.front();
    streams_.erase(streams_.begin());
    return stream;
  }

  // Reads /stream through the client; `on_chunk` sees each piece of the body.
  Result<HttpResponse> ReadStream(const std::function<bool(std::string_view)>& on_chunk) {
    auto client = Client();
    if (client == nullptr) return Internal("no client");
    return client->SendStreaming("GET", "/stream", {}, "", on_chunk);
  }

  void StopServer() {
    if (!server_) return;
    server_->Stop();
    runner_.join();
    server_.reset();
  }

  void TearDown() override {
    StopServer();
    if (log_file_ != nullptr) std::fclose(log_file_);
  }

  std::unique_ptr<HttpsClient> Client() {
    auto client = HttpsClient::Connect({.host = "127.0.0.1", .port = server_->port(), .ca_pem = ca_pem_});
    EXPECT_TRUE(client.ok()) << client.error().message();
    return client.ok() ? std::move(client).value() : nullptr;
  }

  std::string AccessLogText() {
    std::fflush(log_file_);
    std::rewind(log_file_);
    std::string text;
    char buffer[4096];
    std::size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, log_file_)) > 0) text.append(buffer, n);
    return text;
  }

  static std::optional<std::string> HeaderOf(const HttpResponse& response, std::string_view name) {
    for (const auto& [key, value] : response.headers) {
      if (EqualsIgnoreCase(key, name)) return value;
    }
    return std::nullopt;
  }

  Router router_;
  std::size_t stream_queue_bytes_ = 64 * 1024;
  std::mutex streams_mu_;
  std::condition_variable streams_cv_;
  std::vector<std::shared_ptr<ResponseStream>> streams_;
  std::mutex later_mu_;
  std::condition_variable later_cv_;
  std::vector<std::pair<std::string, RouteCompletion>> later_;
  Metrics metrics_;
  std::FILE* log_file_ = nullptr;
  std::unique_ptr<AccessLog> access_log_;
  std::string ca_pem_;
  std::unique_ptr<HttpsServer> server_;
  std::thread runner_;
};

TEST_F(HttpsServerTest, ServesGetThroughTheClient) {
  Start();
  auto client = Client();
  ASSERT_NE(client, nullptr);
  auto response = client->Send("GET", "/echo/hello?x=1", {}, "");
  ASSERT_TRUE(response.ok()) << response.error().message();
  EXPECT_EQ(response->status, 200u);
  EXPECT_EQ(response->body, "hello");
  EXPECT_EQ(response->content_type, "text/plain");
  EXPECT_EQ(HeaderOf(*response, "Server"), "vtpmd");
  const auto request_id = HeaderOf(*response, "X-Request-Id");
  ASSERT_TRUE(request_id.has_value());
  EXPECT_EQ(request_id->size(), 16u);
  EXPECT_EQ(request_id->find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST_F(HttpsServerTest, RecordsMetricsAndOneAccessLogLinePerRequest) {
  Start();
  auto client = Client();
  ASSERT_NE(client, nullptr);
  auto hit = client->Send("GET", "/echo/a", {{"User-Agent", "unit-test"}, {"Authorization", "Bearer s3cret"}}, "");
  auto miss = client->Send("GET", "/nowhere", {}, "");
  ASSERT_TRUE(hit.ok() && miss.ok());
  EXPECT_EQ(miss->status, 404u);
  EXPECT_EQ(miss->content_type, "application/problem+json");

  const std::string metrics = metrics_.Render();
  EXPECT_NE(metrics.find("vtpmd_http_requests_total{route=\"/echo/{word}\",method=\"GET\",status=\"200\"} 1"),
            std::string::npos);
  EXPECT_NE(metrics.find("vtpmd_http_requests_total{route=\"(unmatched)\",method=\"GET\",status=\"404\"} 1"),
            std::string::npos);

  StopServer();  // the log lines are written before the responses, but be exact
  const std::string log = AccessLogText();
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 2);
  const std::string first = log.substr(0, log.find('\n'));
  const auto entry = boost::json::parse(first).as_object();
  EXPECT_EQ(entry.at("request_id").as_string(), *HeaderOf(*hit, "X-Request-Id"));
  EXPECT_EQ(entry.at("route").as_string(), "/echo/{word}");
  EXPECT_EQ(entry.at("status").as_int64(), 200);
  EXPECT_EQ(entry.at("user_agent").as_string(), "unit-test");
  EXPECT_EQ(log.find("s3cret"), std::string::npos);
}

TEST_F(HttpsServerTest, ClientReusesItsKeepAliveConnection) {
  ServerLimits limits;
  limits.max_connections = 1;  // a second connection would be turned away
  Start(limits);
  auto client = Client();
  ASSERT_NE(client, nullptr);
  for (const char* word : {"one", "two", "three"}) {
    auto response = client->Send("GET", std::string("/echo/") + word, {}, "");
    ASSERT_TRUE(response.ok()) << response.error().message();
    EXPECT_EQ(response->body, word);
  }
  TlsConnection extra(server_->port());
  EXPECT_TRUE(extra.connect_error() || extra.Handshake()) << "beyond max_connections must be refused";
}

TEST_F(HttpsServerTest, AnswersPipelinedRequestsInOrder) {
  Start();
  TlsConnection connection(server_->port());
  ASSERT_FALSE(connection.connect_error());
  ASSERT_FALSE(connection.Handshake());
  ASSERT_FALSE(connection.Write(Get("/echo/first") + Get("/echo/second") + Get("/echo/third")));
  for (const char* expected : {"first", "second", "third"}) {
    auto [ec, response] = connection.ReadResponse();
    ASSERT_FALSE(ec) << ec.message();
    EXPECT_EQ(response.body(), expected);
    EXPECT_TRUE(response.keep_alive());
  }
}

TEST_F(HttpsServerTest, DeferredAnswersLeaveInRequestOrder) {
  Start();
  TlsConnection connection(server_->port());
  ASSERT_FALSE(connection.connect_error());
  ASSERT_FALSE(connection.Handshake());
  ASSERT_FALSE(connection.Write(Get("/later/a") + Get("/echo/now") + Get("/later/b")));
  AnswerLaterRequestsInReverse(2);
  for (const char* expected : {"later:a", "now", "later:b"}) {
    auto [ec, response] = connection.ReadResponse();
    ASSERT_FALSE(ec) << ec.message();
    EXPECT_EQ(response.body(), expected);
  }
  EXPECT_NE(AccessLogText().find("/later/{word}"), std::string::npos);
}

TEST_F(HttpsServerTest, StopWaitsForADeferredAnswer) {
  Start();
  TlsConnection connection(server_->port());
  ASSERT_FALSE(connection.connect_error());
  ASSERT_FALSE(connection.Handshake());
  ASSERT_FALSE(connection.Write(Get("/later/x")));
  {
    std::unique_lock lock(later_mu_);
    ASSERT_TRUE(later_cv_.wait_for(lock, std::chrono::seconds(10), [&] { return !later_.empty(); }));
  }
  server_->Stop();
  AnswerLaterRequestsInReverse(1);
  auto [ec, response] = connection.ReadResponse();
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(response.body(), "later:x");
  StopServer();
}

TEST_F(HttpsServerTest, PipeliningBeyondTheQueueLimitStillAnswersEverything) {
  ServerLimits limits;
  limits.max_pipelined = 2;
  Start(limits);
  TlsConnection connection(server_->port());
  ASSERT_FALSE(connection.connect_error());
  ASSERT_FALSE(connection.Handshake());
  std::string burst;
  for (int i = 0; i < 12; ++i) burst += Get("/echo/w" + std::to_string(i));
  ASSERT_FALSE(connection.Write(burst));
  for (int i = 0; i < 12; ++i) {
    auto [ec, response] = connection.ReadResponse();
    ASSERT_FALSE(ec) << ec.message();
    EXPECT_EQ(response.body(), "w" + std::to_string(i));
  }
}

TEST_F(HttpsServerTest, HonoursConnectionClose) {
  Start();
  TlsConnection connection(server_->port());
  ASSERT_FALSE(connection.Handshake());
  ASSERT_FALSE(connection.Write(Get("/echo/bye", "Connection: close\r\n")));
  auto [ec, response] = connection.ReadResponse();
  ASSERT_FALSE(ec);
  EXPECT_FALSE(response.keep_alive());
  EXPECT_NE(connection.ReadUntilClosed(), beast::error::timeout);
}

TEST_F(HttpsServerTest, OversizedHeaderGets431AndTheConnectionCloses) {
  ServerLimits limits;
  limits.header_limit = 1024;
  Start(limits);
  TlsConnection connection(server_->port());
  ASSERT_FALSE(connection.Handshake());
  ASSERT_FALSE(connection.Write(Get("/echo/x", "X-Filler: " + std::string(2048, 'f') + "\r\n")));
  auto [ec, response] = connection.ReadResponse();
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(response.result_int(), 431u);
  EXPECT_EQ(response[bhttp::field::content_type], "application/problem+json");
  EXPECT_NE(connection.ReadUntilClosed(), beast::error::timeout);
}

TEST_F(HttpsServerTest, OversizedBodyGets413Problem) {
  ServerLimits limits;
  limits.body_limit = 1024;
  Start(limits);
  TlsConnection connection(server_->port());
  ASSERT_FALSE(connection.Handshake());
  ASSERT_FALSE(connection.Write("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n"));
  auto [ec, response] = connection.ReadResponse();
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(response.result_int(), 413u);
  const auto problem = boost::json::parse(response.body()).as_object();
  EXPECT_EQ(problem.at("status").as_int64(), 413);
  EXPECT_EQ(problem.at("type").as_string(), "https://vtpmd.dev/problems/payload-too-large");
  EXPECT_NE(connection.ReadUntilClosed(), beast::error::timeout);

  auto client = Client();  // a body within the limit is fine
  ASSERT_NE(client, nullptr);
  auto ok = client->Send("POST", "/upload", {}, std::string(1000, 'b'));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->body, "1000");
}

TEST_F(HttpsServerTest, MalformedRequestGets400) {
  Start();
  TlsConnection connection(server_->port());
  ASSERT_FALSE(connection.Handshake());
  ASSERT_FALSE(connection.Write("GET /echo/x HTTP/1.1\r\nBad Header Name: 1\r\n\r\n"));
  auto [ec, response] = connection.ReadResponse();
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(response.result_int(), 400u);
}

TEST_F(HttpsServerTest, IdleConnectionsAreClosedAndTheClientReconnects) {
  ServerLimits limits;
  limits.idle_timeout = std::chrono::seconds(1);
  limits.read_timeout = std::chrono::seconds(1);
  Start(limits);
  TlsConnection silent(server_->port());
  ASSERT_FALSE(silent.Handshake());
  EXPECT_NE(silent.ReadUntilClosed(), beast::error::timeout) << "the server must close a silent connection";

  auto client = Client();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Send("GET", "/echo/before", {}, "").ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // let the server drop the idle connection
  auto after = client->Send("GET", "/echo/after", {}, "");
  ASSERT_TRUE(after.ok()) << after.error().message();
  EXPECT_EQ(after->body, "after");
}

TEST_F(HttpsServerTest, PlainHttpOnTheTlsPortIsDroppedAndServingContinues) {
  Start();
  PlainConnection plain(server_->port());
  ASSERT_FALSE(plain.connect_error());
  ASSERT_FALSE(plain.Write(Get("/echo/plain")));
  EXPECT_NE(plain.ReadUntilClosed(), beast::error::timeout);

  PlainConnection garbage(server_->port());
  ASSERT_FALSE(garbage.Write(std::string("\x16\x03\x01\x00\x05garbagegarbage", 19)));
  EXPECT_NE(garbage.ReadUntilClosed(), beast::error::timeout);

  auto client = Client();
  ASSERT_NE(client, nullptr);
  auto response = client->Send("GET", "/echo/still", {}, "");
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->body, "still");
}

TEST_F(HttpsServerTest, StopReturnsWhileAClientHoldsAnIdleConnection) {
  Start();
  auto client = Client();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Send("GET", "/echo/x", {}, "").ok());
  StopServer();  // joins Run(); hangs (and the suite times out) if the drain never ends
  EXPECT_FALSE(client->Send("GET", "/echo/y", {}, "").ok());
}

TEST_F(HttpsServerTest, PortInUseIsAClearError) {
  Start();
  ServerOptions options;
  options.port = server_->port();
  options.tls = testing::MakeSelfSignedIdentity();
  auto second = HttpsServer::Create(std::move(options), [](const HttpRequest&, Responder respond) { respond(HttpResponse{}); }, nullptr,
                                    nullptr);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code(), ErrorCode::kUnavailable);
  EXPECT_NE(second.error().message().find("in use"), std::string::npos) << second.error().message();
}

TEST_F(HttpsServerTest, ClientRejectsAServerItDoesNotTrust) {
  Start();
  const TlsIdentity stranger = testing::MakeSelfSignedIdentity();
  auto client = HttpsClient::Connect(
      {.host = "127.0.0.1", .port = server_->port(), .ca_pem = stranger.certificate_chain_pem});
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.error().code(), ErrorCode::kUnavailable);

  auto wrong_name = HttpsClient::Connect({.host = "127.0.0.2", .port = server_->port(), .ca_pem = ca_pem_});
  EXPECT_FALSE(wrong_name.ok()) << "the certificate names 127.0.0.1, not 127.0.0.2";
}

TEST_F(HttpsServerTest, StreamForwardsChunksInOrderThenEnds) {
  Start();
  std::thread producer([this] {
    auto stream = NextStream();
    ASSERT_NE(stream, nullptr);
    for (const char* chunk : {"one;", "two;", "three;"}) EXPECT_TRUE(stream->Push(chunk));
    stream->End();
    EXPECT_FALSE(stream->Push("late;"));
  });
  std::string body;
  auto response = ReadStream([&body](std::string_view chunk) {
    body.append(chunk);
    return true;
  });
  producer.join();
  ASSERT_TRUE(response.ok()) << response.error().message();
  EXPECT_EQ(response->status, 200u);
  EXPECT_EQ(body, "open;one;two;three;");
  EXPECT_EQ(HeaderOf(*response, "Content-Length"), std::nullopt);
  EXPECT_EQ(HeaderOf(*response, "Cache-Control"), "no-store");
  EXPECT_EQ(HeaderOf(*response, "Connection"), "close");
  EXPECT_EQ(response->content_type, "text/event-stream");
  StopServer();  // the session (and its count) is gone once Run() returns
  EXPECT_NE(metrics_.Render().find("vtpmd_http_open_streams 0\n"), std::string::npos);
}

TEST_F(HttpsServerTest, StreamDropsAClientThatStopsReadingAtTheBound) {
  stream_queue_bytes_ = 4096;
  Start();
  std::promise<void> dropped;
  std::shared_future<void> dropped_seen = dropped.get_future().share();
  std::promise<void> close_heard;
  std::thread producer([&] {
    auto stream = NextStream();
    ASSERT_NE(stream, nullptr);
    stream->OnClose([&close_heard] { close_heard.set_value(); });
    // The client reads nothing more: the socket buffers fill, then the queue.
    const std::string chunk(1024, 'x');
    while (stream->Push(chunk)) {
    }
    EXPECT_EQ(stream->closure(), ResponseStream::Closure::kOverflow);
    dropped.set_value();
  });
  auto response = ReadStream([&](std::string_view) {
    dropped_seen.wait();  // stalls the client's reading until the producer is refused
    return true;
  });
  producer.join();
  EXPECT_EQ(close_heard.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_FALSE(response.ok()) << "a dropped client sees the connection cut, not a clean end";
}

TEST_F(HttpsServerTest, StreamProducerHearsTheClientHangUp) {
  Start();
  std::promise<void> close_heard;
  std::shared_ptr<ResponseStream> stream;
  std::thread producer([&] {
    stream = NextStream();
    ASSERT_NE(stream, nullptr);
    stream->OnClose([&close_heard] { close_heard.set_value(); });
  });
  // The client hangs up after the first bytes, without sending anything more.
  auto response = ReadStream([](std::string_view) { return false; });
  producer.join();
  ASSERT_TRUE(response.ok()) << response.error().message();
  ASSERT_EQ(close_heard.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(stream->closure(), ResponseStream::Closure::kClientGone);
  EXPECT_FALSE(stream->Push("anyone?"));
}

TEST_F(HttpsServerTest, StopClosesOpenStreamsGracefully) {
  ServerLimits limits;
  limits.drain_timeout = std::chrono::seconds(300);  // a stream left open would hang the test, not pass it
  Start(limits);
  std::promise<void> first_bytes;
  std::string body;
  Result<HttpResponse> response = Internal("not read");
  std::thread reader([&] {
    bool signalled = false;
    response = ReadStream([&](std::string_view chunk) {
      body.append(chunk);
      if (!std::exchange(signalled, true)) first_bytes.set_value();
      return true;
    });
  });
  auto stream = NextStream();
  ASSERT_NE(stream, nullptr);
  first_bytes.get_future().wait();
  StopServer();
  reader.join();
  EXPECT_EQ(stream->closure(), ResponseStream::Closure::kServerClosing);
  ASSERT_TRUE(response.ok()) << response.error().message();
  EXPECT_EQ(body, "open;");
}

TEST(HttpsServer, RejectsAKeyThatDoesNotMatchTheCertificate) {
  ServerOptions options;
  options.port = 0;
  options.tls = testing::MakeSelfSignedIdentity();
  options.tls.private_key_pem = testing::MakeSelfSignedIdentity().private_key_pem.Clone();
  auto server = HttpsServer::Create(std::move(options), [](const HttpRequest&, Responder respond) { respond(HttpResponse{}); }, nullptr,
                                    nullptr);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.error().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace vtpmd::http
