#include "server/webhooks/webhook_client.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "server/http/tls_context.h"
#include "tests/unit/server/test_tls_identity.h"

namespace vtpmd::webhooks {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

// Bounds every wait so that a client bug fails the test instead of hanging it.
constexpr std::chrono::seconds kWaitBound{30};

struct ReceivedRequest {
  std::string method;
  std::string target;
  http::HeaderList headers;
  std::string body;

  std::string Header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
      if (http::EqualsIgnoreCase(key, name)) return value;
    }
    return "(absent)";
  }
};

struct Answer {
  std::string bytes;
  bool close_after = false;  // without saying so: a keep-alive connection that went stale
};

// nullopt: read the request and never answer.
using Reply = std::function<std::optional<Answer>(const ReceivedRequest&)>;

std::string Response(unsigned status, std::string_view reason, std::string_view body = "",
                     std::string_view extra_headers = "") {
  return "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) + "\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n" + std::string(extra_headers) + "\r\n" + std::string(body);
}

Reply Always(std::string response) {
  return [response = std::move(response)](const ReceivedRequest&) { return std::optional<Answer>(Answer{response}); };
}

// A webhook receiver on 127.0.0.1, plain or TLS, on its own thread.
class TestReceiver {
 public:
  explicit TestReceiver(Reply reply, const http::TlsIdentity* tls = nullptr)
      : acceptor_(io_, tcp::endpoint(asio::ip::make_address_v4("127.0.0.1"), 0)), reply_(std::move(reply)) {
    if (tls != nullptr) {
      tls_.emplace(asio::ssl::context::tls_server);
      Status configured = http::ConfigureServerTls(tls_->native_handle(), *tls);
      EXPECT_TRUE(configured.ok()) << configured.error().message();
    }
    Accept();
    thread_ = std::thread([this] { io_.run(); });
  }

  ~TestReceiver() {
    io_.stop();
    thread_.join();
  }

  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  int accepted_connections() const { return accepted_; }

  std::vector<ReceivedRequest> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

  bool WaitForRequests(std::size_t count) {
    std::unique_lock lock(mutex_);
    return received_.wait_for(lock, kWaitBound, [&] { return requests_.size() >= count; });
  }

  std::optional<Answer> Receive(ReceivedRequest request) {
    std::optional<Answer> answer = reply_(request);
    std::lock_guard lock(mutex_);
    requests_.push_back(std::move(request));
    received_.notify_all();
    return answer;
  }

 private:
  template <typename Stream>
  class Session : public std::enable_shared_from_this<Session<Stream>> {
   public:
    Session(Stream stream, TestReceiver& receiver) : stream_(std::move(stream)), receiver_(receiver) {}

    void Start() {
      if constexpr (std::is_same_v<Stream, tcp::socket>) {
        Read();
      } else {
        stream_.async_handshake(asio::ssl::stream_base::server, [self = this->shared_from_this()](beast::error_code ec) {
          if (!ec) self->Read();
        });
      }
    }

   private:
    void Read() {
      request_ = {};
      bhttp::async_read(stream_, buffer_, request_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
        if (!ec) self->OnRequest();
      });
    }

    void OnRequest() {
      ReceivedRequest received{std::string(request_.method_string()), std::string(request_.target()), {},
                               request_.body()};
      for (const auto& field : request_) received.headers.emplace_back(field.name_string(), field.value());
      std::optional<Answer> answer = receiver_.Receive(std::move(received));
      if (!answer) return Read();  // ends only when the client gives up
      answer_ = std::move(*answer);
      asio::async_write(stream_, asio::buffer(answer_.bytes),
                        [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                          if (ec) return;
                          if (!self->answer_.close_after) return self->Read();
                          beast::error_code ignored;
                          static_cast<void>(beast::get_lowest_layer(self->stream_).close(ignored));
                        });
    }

    Stream stream_;
    TestReceiver& receiver_;
    beast::flat_buffer buffer_;
    bhttp::request<bhttp::string_body> request_;
    Answer answer_;
  };

  void Accept() {
    acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec) return;
      ++accepted_;
      if (tls_) {
        using TlsStream = asio::ssl::stream<tcp::socket>;
        std::make_shared<Session<TlsStream>>(TlsStream(std::move(socket), *tls_), *this)->Start();
      } else {
        std::make_shared<Session<tcp::socket>>(std::move(socket), *this)->Start();
      }
      Accept();
    });
  }

  asio::io_context io_;
  std::optional<asio::ssl::context> tls_;
  tcp::acceptor acceptor_;
  Reply reply_;
  std::atomic<int> accepted_{0};
  mutable std::mutex mutex_;
  std::condition_variable received_;
  std::vector<ReceivedRequest> requests_;
  std::thread thread_;
};

CallbackUrlPolicy LoopbackPolicy() {
  CallbackUrlPolicy policy;
  policy.allow_loopback = true;
  policy.allow_http_loopback = true;
  return policy;
}

WebhookClientOptions LoopbackOptions() {
  WebhookClientOptions options;
  options.url_policy = LoopbackPolicy();
  return options;
}

std::unique_ptr<WebhookClient> StartClient(WebhookClientOptions options = LoopbackOptions()) {
  Result<std::unique_ptr<WebhookClient>> client = WebhookClient::Start(std::move(options));
  EXPECT_TRUE(client.ok()) << client.error().message();
  return client.ok() ? std::move(client).value() : nullptr;
}

CallbackUrl Url(const std::string& text, const CallbackUrlPolicy& policy = LoopbackPolicy()) {
  Result<CallbackUrl> url = CallbackUrl::Parse(text, policy);
  EXPECT_TRUE(url.ok()) << text << ": " << url.error().message();
  return std::move(url).value();
}

std::string HttpUrl(const TestReceiver& receiver, std::string_view target = "/hook") {
  return "http://127.0.0.1:" + std::to_string(receiver.port()) + std::string(target);
}

DeliveryOutcome PostAndWait(WebhookClient& client, const CallbackUrl& url, http::HeaderList headers = {},
                            std::string body = R"({"type":"test"})") {
  auto outcome = std::make_shared<std::promise<DeliveryOutcome>>();
  std::future<DeliveryOutcome> done = outcome->get_future();
  client.Post(url, std::move(headers), std::move(body), [outcome](DeliveryOutcome o) { outcome->set_value(std::move(o)); });
  if (done.wait_for(kWaitBound) != std::future_status::ready) {
    ADD_FAILURE() << "no outcome within " << kWaitBound.count() << " s";
    DeliveryOutcome missing;
    missing.error = "(no outcome)";
    return missing;
  }
  return done.get();
}

TEST(WebhookClientTest, DeliversHeadersAndBodyIntact) {
  TestReceiver receiver(Always(Response(200, "OK", "thanks")));
  auto client = StartClient();
  const std::string body = R"({"type":"attestation.failed","data":{"instance":"vm-1","reason":"pcr 7"}})";
  const DeliveryOutcome outcome =
      PostAndWait(*client, Url(HttpUrl(receiver, "/hook?tenant=a%2Fb")),
                  {{"webhook-id", "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"},
                   {"webhook-timestamp", "1700000000"},
                   {"webhook-signature", "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4="}},
                  body);
  EXPECT_EQ(outcome.error, "");
  ASSERT_TRUE(outcome.http_status.has_value());
  EXPECT_EQ(*outcome.http_status, 200u);
  EXPECT_TRUE(outcome.delivered());

  const std::vector<ReceivedRequest> requests = receiver.requests();
  ASSERT_EQ(requests.size(), 1u);
  const ReceivedRequest& request = requests[0];
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.target, "/hook?tenant=a%2Fb");
  EXPECT_EQ(request.body, body);
  EXPECT_EQ(request.Header("Host"), "127.0.0.1:" + std::to_string(receiver.port()));
  EXPECT_EQ(request.Header("Content-Type"), "application/json");
  EXPECT_EQ(request.Header("Content-Length"), std::to_string(body.size()));
  EXPECT_EQ(request.Header("webhook-id"), "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W");
  EXPECT_EQ(request.Header("webhook-timestamp"), "1700000000");
  EXPECT_EQ(request.Header("webhook-signature"), "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=");
  EXPECT_NE(request.Header("User-Agent").find("vtpmd-webhooks/"), std::string::npos);
}

TEST(WebhookClientTest, ReportsNon2xxAsUndelivered) {
  TestReceiver receiver(Always(Response(503, "Service Unavailable")));
  auto client = StartClient();
  const DeliveryOutcome outcome = PostAndWait(*client, Url(HttpUrl(receiver)));
  EXPECT_EQ(outcome.error, "");
  EXPECT_EQ(outcome.http_status, std::optional<unsigned>(503));
  EXPECT_FALSE(outcome.delivered());
}

TEST(WebhookClientTest, ReusesKeptAliveConnections) {
  TestReceiver receiver(Always(Response(204, "No Content")));
  auto client = StartClient();
  const CallbackUrl url = Url(HttpUrl(receiver));
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(PostAndWait(*client, url).delivered()) << i;
  EXPECT_EQ(receiver.requests().size(), 5u);
  EXPECT_EQ(receiver.accepted_connections(), 1);
}

TEST(WebhookClientTest, ReplacesAConnectionThePeerClosed) {
  TestReceiver receiver([](const ReceivedRequest&) { return std::optional<Answer>(Answer{Response(200, "OK"), true}); });
  auto client = StartClient();
  const CallbackUrl url = Url(HttpUrl(receiver));
  for (int i = 0; i < 3; ++i) {
    const DeliveryOutcome outcome = PostAndWait(*client, url);
    EXPECT_TRUE(outcome.delivered()) << i << ": " << outcome.error;
  }
  EXPECT_EQ(receiver.requests().size(), 3u);
  EXPECT_EQ(receiver.accepted_connections(), 3);
}

TEST(WebhookClientTest, DoesNotFollowRedirects) {
  TestReceiver receiver([](const ReceivedRequest& request) {
    if (request.target == "/elsewhere") return std::optional<Answer>(Answer{Response(200, "OK")});
    return std::optional<Answer>(Answer{Response(302, "Found", "", "Location: /elsewhere\r\n")});
  });
  auto client = StartClient();
  const DeliveryOutcome outcome = PostAndWait(*client, Url(HttpUrl(receiver)));
  EXPECT_EQ(outcome.error, "");
  EXPECT_EQ(outcome.http_status, std::optional<unsigned>(302));
  EXPECT_FALSE(outcome.delivered());
  ASSERT_EQ(receiver.requests().size(), 1u);
  EXPECT_EQ(receiver.requests()[0].target, "/hook");
}

TEST(WebhookClientTest, TimesOutOnASilentReceiverWithoutHoldingUpOthers) {
  TestReceiver silent([](const ReceivedRequest&) { return std::optional<Answer>(); });
  TestReceiver trickling(Always("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part of it"));
  TestReceiver healthy(Always(Response(200, "OK")));
  WebhookClientOptions options = LoopbackOptions();
  options.request_timeout = std::chrono::milliseconds(300);
  auto client = StartClient(std::move(options));

  auto silent_outcome = std::make_shared<std::promise<DeliveryOutcome>>();
  auto silent_done = silent_outcome->get_future();
  client->Post(Url(HttpUrl(silent)), {}, "{}", [silent_outcome](DeliveryOutcome o) { silent_outcome->set_value(std::move(o)); });
  ASSERT_TRUE(silent.WaitForRequests(1));
  // The silent receiver holds its request; an unrelated delivery still completes.
  EXPECT_TRUE(PostAndWait(*client, Url(HttpUrl(healthy))).delivered());

  ASSERT_EQ(silent_done.wait_for(kWaitBound), std::future_status::ready);
  const DeliveryOutcome outcome = silent_done.get();
  EXPECT_EQ(outcome.error, "timed out after 300 ms");
  EXPECT_FALSE(outcome.http_status.has_value());
  EXPECT_FALSE(outcome.delivered());

  EXPECT_EQ(PostAndWait(*client, Url(HttpUrl(trickling))).error, "timed out after 300 ms");
}

// Holds lookups of one host until released.
class HangingLookup {
 public:
  explicit HangingLookup(std::string host) : host_(std::move(host)) {}
  void Release() {
    {
      std::lock_guard lock(mu_);
      released_ = true;
    }
    released_changed_.notify_all();
  }
  Result<std::vector<IpAddress>> operator()(const std::string& host) {
    std::unique_lock lock(mu_);
    if (host == host_) released_changed_.wait(lock, [&] { return released_; });
    return std::vector<IpAddress>{IpAddress::Parse("127.0.0.1").value()};
  }

 private:
  const std::string host_;
  std::mutex mu_;
  std::condition_variable released_changed_;
  bool released_ = false;
};

TEST(WebhookClientTest, AHostWhoseLookupHangsTimesOutWithoutHoldingUpOthers) {
  HangingLookup hang("hang.example");
  WebhookClientOptions options = LoopbackOptions();
  options.request_timeout = std::chrono::milliseconds(300);
  options.lookup = [&hang](const std::string& host) { return hang(host); };
  auto client = StartClient(std::move(options));
  // Destroyed before the client, which waits for its lookups, whatever the test's outcome.
  struct ReleaseOnExit {
    HangingLookup& lookup;
    ~ReleaseOnExit() { lookup.Release(); }
  } release_on_exit{hang};
  TestReceiver healthy(Always(Response(200, "OK")));

  auto hanging = std::make_shared<std::promise<DeliveryOutcome>>();
  auto hanging_done = hanging->get_future();
  client->Post(Url("https://hang.example/hook"), {}, "{}", [hanging](DeliveryOutcome o) { hanging->set_value(std::move(o)); });
  EXPECT_TRUE(PostAndWait(*client, Url("http://localhost:" + std::to_string(healthy.port()) + "/hook")).delivered());
  ASSERT_EQ(hanging_done.wait_for(kWaitBound), std::future_status::ready) << "the deadline did not end the lookup's wait";
  EXPECT_EQ(hanging_done.get().error, "timed out after 300 ms");
}

TEST(WebhookClientTest, RefusesOversizedResponsesAndDropsTheConnection) {
  TestReceiver receiver([](const ReceivedRequest& request) {
    if (request.target == "/big-body") return std::optional<Answer>(Answer{Response(200, "OK", std::string(100000, 'x'))});
    if (request.target == "/big-header") {
      return std::optional<Answer>(Answer{Response(200, "OK", "", "X-Padding: " + std::string(70000, 'p') + "\r\n")});
    }
    return std::optional<Answer>(Answer{Response(200, "OK", std::string(60000, 'y'))});
  });
  auto client = StartClient();
  const DeliveryOutcome big_body = PostAndWait(*client, Url(HttpUrl(receiver, "/big-body")));
  EXPECT_EQ(big_body.error, "oversized response (more than 65536 bytes)");
  EXPECT_FALSE(big_body.http_status.has_value());
  EXPECT_EQ(PostAndWait(*client, Url(HttpUrl(receiver, "/big-header"))).error,
            "oversized response (more than 65536 bytes)");
  // Just under the limit is fine, on a new connection: the refused ones were closed.
  EXPECT_TRUE(PostAndWait(*client, Url(HttpUrl(receiver, "/fits"))).delivered());
  EXPECT_EQ(receiver.accepted_connections(), 3);
}

TEST(WebhookClientTest, DeliversOverTlsToATrustedReceiver) {
  const http::TlsIdentity identity = http::testing::MakeSelfSignedIdentity();
  TestReceiver receiver(Always(Response(200, "OK")), &identity);
  WebhookClientOptions options = LoopbackOptions();
  options.extra_ca_pem = identity.certificate_chain_pem;
  auto client = StartClient(std::move(options));
  const std::string port = std::to_string(receiver.port());
  // By name (SNI, DNS SAN) and by address (IP SAN).
  EXPECT_TRUE(PostAndWait(*client, Url("https://localhost:" + port + "/hook")).delivered());
  EXPECT_TRUE(PostAndWait(*client, Url("https://127.0.0.1:" + port + "/hook")).delivered());
  EXPECT_EQ(receiver.requests().size(), 2u);
}

TEST(WebhookClientTest, UntrustedCertificateFailsTheHandshake) {
  const http::TlsIdentity identity = http::testing::MakeSelfSignedIdentity();
  TestReceiver receiver(Always(Response(200, "OK")), &identity);
  auto client = StartClient();
  const DeliveryOutcome outcome =
      PostAndWait(*client, Url("https://127.0.0.1:" + std::to_string(receiver.port()) + "/hook"));
  EXPECT_NE(outcome.error.find("TLS handshake with 127.0.0.1:"), std::string::npos) << outcome.error;
  EXPECT_FALSE(outcome.http_status.has_value());
  EXPECT_TRUE(receiver.requests().empty());
}

TEST(WebhookClientTest, TlsToAPlainReceiverFails) {
  TestReceiver receiver(Always(Response(200, "OK")));
  auto client = StartClient();
  const DeliveryOutcome outcome =
      PostAndWait(*client, Url("https://127.0.0.1:" + std::to_string(receiver.port()) + "/hook"));
  EXPECT_NE(outcome.error.find("TLS handshake"), std::string::npos) << outcome.error;
}

TEST(WebhookClientTest, NeverConnectsToResolvedAddressesOutsideThePolicy) {
  TestReceiver receiver(Always(Response(200, "OK")));
  CallbackUrlPolicy http_only;
  http_only.allow_http_loopback = true;
  WebhookClientOptions options;
  options.url_policy = http_only;
  auto client = StartClient(std::move(options));

  const DeliveryOutcome by_name =
      PostAndWait(*client, Url("http://localhost:" + std::to_string(receiver.port()) + "/hook", http_only));
  EXPECT_NE(by_name.error.find("localhost resolves to no address callbacks may reach"), std::string::npos)
      << by_name.error;
  EXPECT_NE(by_name.error.find("loopback"), std::string::npos) << by_name.error;
  EXPECT_FALSE(by_name.http_status.has_value());

  // A URL accepted under a laxer policy is still checked against the client's.
  const DeliveryOutcome by_address = PostAndWait(*client, Url(HttpUrl(receiver)));
  EXPECT_EQ(by_address.error, "127.0.0.1 is loopback, which callbacks may not reach");
  EXPECT_EQ(receiver.accepted_connections(), 0);
}

TEST(WebhookClientTest, ReportsConnectionFailures) {
  std::uint16_t closed_port = 0;
  {
    TestReceiver gone(Always(Response(200, "OK")));
    closed_port = gone.port();
  }
  auto client = StartClient();
  const DeliveryOutcome outcome = PostAndWait(*client, Url("http://127.0.0.1:" + std::to_string(closed_port) + "/"));
  EXPECT_NE(outcome.error.find("connect to 127.0.0.1:"), std::string::npos) << outcome.error;
}

TEST(WebhookClientTest, RefusesHeadersThatWouldChangeTheFraming) {
  TestReceiver receiver(Always(Response(200, "OK")));
  auto client = StartClient();
  const CallbackUrl url = Url(HttpUrl(receiver));
  EXPECT_EQ(PostAndWait(*client, url, {{"Content-Length", "0"}}).error,
            "webhook header Content-Length is set by the client");
  EXPECT_EQ(PostAndWait(*client, url, {{"transfer-encoding", "chunked"}}).error,
            "webhook header transfer-encoding is set by the client");
  EXPECT_EQ(PostAndWait(*client, url, {{"webhook-id", "a\r\nX-Injected: 1"}}).error,
            "webhook header webhook-id has a control character in its value");
  EXPECT_EQ(PostAndWait(*client, url, {{"bad name", "x"}}).error, "webhook header name \"bad name\" is not an HTTP token");
  EXPECT_EQ(receiver.accepted_connections(), 0);
}

TEST(WebhookClientTest, CompletesManyConcurrentDeliveries) {
  TestReceiver first(Always(Response(200, "OK")));
  TestReceiver second(Always(Response(202, "Accepted")));
  WebhookClientOptions options = LoopbackOptions();
  options.threads = 2;
  auto client = StartClient(std::move(options));
  const CallbackUrl urls[] = {Url(HttpUrl(first, "/a")), Url(HttpUrl(first, "/b")), Url(HttpUrl(second, "/c"))};

  constexpr int kPosters = 4;
  constexpr int kPostsEach = 100;
  std::mutex mutex;
  std::condition_variable all_done;
  int completed = 0;
  int delivered = 0;
  std::vector<std::thread> posters;
  for (int p = 0; p < kPosters; ++p) {
    posters.emplace_back([&, p] {
      for (int i = 0; i < kPostsEach; ++i) {
        client->Post(urls[(p + i) % 3], {{"webhook-id", std::to_string(p) + "-" + std::to_string(i)}}, "{}",
                     [&](DeliveryOutcome outcome) {
                       std::lock_guard lock(mutex);
                       ++completed;
                       if (outcome.delivered()) ++delivered;
                       all_done.notify_one();
                     });
      }
    });
  }
  for (std::thread& poster : posters) poster.join();
  std::unique_lock lock(mutex);
  ASSERT_TRUE(all_done.wait_for(lock, kWaitBound, [&] { return completed == kPosters * kPostsEach; }))
      << completed << " of " << kPosters * kPostsEach;
  EXPECT_EQ(delivered, kPosters * kPostsEach);
  EXPECT_EQ(first.requests().size() + second.requests().size(), std::size_t{kPosters * kPostsEach});
}

TEST(WebhookClientTest, DestroyingTheClientCompletesPendingDeliveries) {
  TestReceiver silent([](const ReceivedRequest&) { return std::optional<Answer>(); });
  auto client = StartClient();
  auto outcome = std::make_shared<std::promise<DeliveryOutcome>>();
  auto done = outcome->get_future();
  client->Post(Url(HttpUrl(silent)), {}, "{}", [outcome](DeliveryOutcome o) { outcome->set_value(std::move(o)); });
  ASSERT_TRUE(silent.WaitForRequests(1));
  client.reset();
  ASSERT_EQ(done.wait_for(std::chrono::seconds(0)), std::future_status::ready);
  EXPECT_EQ(done.get().error, "client stopped");
}

TEST(WebhookClientTest, RejectsInvalidOptions) {
  WebhookClientOptions no_threads;
  no_threads.threads = 0;
  EXPECT_FALSE(WebhookClient::Start(no_threads).ok());
  WebhookClientOptions bad_ca;
  bad_ca.extra_ca_pem = "not a certificate";
  EXPECT_FALSE(WebhookClient::Start(bad_ca).ok());
}

}  // namespace
}  // namespace vtpmd::webhooks
