// The live event stream end to end: events arrive in order as they are recorded, a
// reconnect with Last-Event-ID resumes without a gap or a duplicate, type filters,
// roles, and `vtpmctl events tail|list` as an operator runs them.

#include <gtest/gtest.h>

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <future>
#include <optional>
#include <thread>

#include "server/cli/sse_parser.h"
#include "tests/integration/test_server.h"

namespace vtpmd::testing {
namespace {

constexpr int kWaitMs = 60000;  // a bound on waiting for the server, not a timing assertion

struct StreamResult {
  http::HttpResponse response;  // status and headers; the body of a refusal
  std::vector<cli::SseEvent> events;
};

std::int64_t Seq(const cli::SseEvent& event) { return std::stoll(event.id); }

class EventStreamTest : public ServerSuite {
 protected:
  static std::string TokenFor(const std::string& role) {
    JsonReply token = Call(server(), "POST", "/v1/tokens", admin(), R"({"role":")" + role + R"("})");
    EXPECT_EQ(token.status, 201u) << token.raw;
    return std::string(token.body.as_object().at("token").as_string());
  }

  // The newest event's seq: where a stream that wants only new events starts.
  static std::int64_t LatestSeq() {
    std::int64_t cursor = 0;
    while (true) {
      JsonReply page = Call(server(), "GET", "/v1/events?limit=1000&after=" + std::to_string(cursor), admin());
      EXPECT_EQ(page.status, 200u) << page.raw;
      const std::int64_t next = page.body.as_object().at("next_after").as_int64();
      if (next == cursor) return cursor;
      cursor = next;
    }
  }

  // Two events: policy.created, then policy.deleted.
  static void CreateAndDeletePolicy(const std::string& name) {
    const std::string document = R"({"name":")" + name + R"(","guest":{"pcrs":{"sha256":{"7":[")" +
                                 std::string(64, 'a') + R"("]}}}})";
    JsonReply created = Call(server(), "POST", "/v1/policies", admin(), document);
    ASSERT_EQ(created.status, 201u) << created.raw;
    JsonReply deleted = Call(server(), "DELETE", "/v1/policies/" + name, admin());
    ASSERT_LT(deleted.status, 300u) << deleted.raw;
  }

  // Reads the stream until `count` events have arrived, then hangs up. `connected`,
  // when given, is set once the stream's first bytes are in.
  static StreamResult ReadEvents(const std::string& target, http::HeaderList headers, std::size_t count,
                                 std::promise<void>* connected = nullptr) {
    StreamResult result;
    auto client = server().Client();
    EXPECT_TRUE(client.ok());
    if (!client.ok()) return result;
    cli::SseParser parser;
    bool first = true;
    auto response = (*client)->SendStreaming("GET", target, headers, "", [&](std::string_view chunk) {
      if (std::exchange(first, false) && connected != nullptr) connected->set_value();
      // One chunk may carry more events than asked for; a client that hangs up after
      // `count` has seen only those.
      for (auto& event : parser.Feed(chunk)) {
        if (result.events.size() < count) result.events.push_back(std::move(event));
      }
      return result.events.size() < count && !parser.failed();
    });
    EXPECT_TRUE(response.ok()) << response.error().message();
    if (response.ok()) result.response = std::move(*response);
    return result;
  }

  static http::HeaderList Bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }
};

TEST_F(EventStreamTest, DeliversEventsLiveInOrder) {
  const std::int64_t start = LatestSeq();
  std::promise<void> connected;
  auto reading = std::async(std::launch::async, [&] {
    return ReadEvents("/v1/events/stream?types=policy.*&after=" + std::to_string(start), Bearer(admin()), 4, &connected);
  });
  connected.get_future().wait();
  CreateAndDeletePolicy("live-one");
  CreateAndDeletePolicy("live-two");
  const StreamResult result = reading.get();

  EXPECT_EQ(result.response.status, 200u);
  EXPECT_EQ(result.response.content_type, "text/event-stream");
  ASSERT_EQ(result.events.size(), 4u);
  const std::vector<std::string> types = {"policy.created", "policy.deleted", "policy.created", "policy.deleted"};
  std::int64_t previous = start;
  for (std::size_t i = 0; i < result.events.size(); ++i) {
    const auto& event = result.events[i];
    EXPECT_EQ(event.event, types[i]);
    EXPECT_GT(Seq(event), previous);
    previous = Seq(event);
    const auto data = boost::json::parse(event.data).as_object();
    EXPECT_EQ(data.at("seq").as_int64(), Seq(event));
    EXPECT_EQ(data.at("type").as_string(), event.event);
  }
  EXPECT_EQ(boost::json::parse(result.events[0].data).as_object().at("subject").as_string(), "policies/live-one");
}

TEST_F(EventStreamTest, ReconnectWithLastEventIdResumesWithoutGapsOrDuplicates) {
  const std::int64_t start = LatestSeq();
  for (const char* name : {"resume-a", "resume-b", "resume-c"}) CreateAndDeletePolicy(name);
  const std::string target = "/v1/events/stream?types=policy.*&after=" + std::to_string(start);
  const StreamResult before = ReadEvents(target, Bearer(admin()), 2);
  ASSERT_EQ(before.events.size(), 2u);

  // The URL still says after=START: the header, as a reconnecting client sends it, wins.
  http::HeaderList resume = Bearer(admin());
  resume.emplace_back("Last-Event-ID", before.events.back().id);
  const StreamResult after = ReadEvents(target, resume, 4);
  ASSERT_EQ(after.events.size(), 4u);

  JsonReply log = Call(server(), "GET", "/v1/events?types=policy.*&after=" + std::to_string(start), admin());
  ASSERT_EQ(log.status, 200u) << log.raw;
  std::vector<std::int64_t> expected;
  for (const auto& event : log.body.as_object().at("events").as_array()) {
    expected.push_back(event.as_object().at("seq").as_int64());
  }
  std::vector<std::int64_t> streamed;
  for (const auto* part : {&before, &after}) {
    for (const auto& event : part->events) streamed.push_back(Seq(event));
  }
  EXPECT_EQ(streamed, expected);
}

TEST_F(EventStreamTest, TypesSelectWhichEventsAreSent) {
  const std::int64_t start = LatestSeq();
  CreateAndDeletePolicy("filtered-one");
  CreateAndDeletePolicy("filtered-two");
  const StreamResult result =
      ReadEvents("/v1/events/stream?types=policy.deleted&after=" + std::to_string(start), Bearer(admin()), 2);
  ASSERT_EQ(result.events.size(), 2u);
  for (const auto& event : result.events) EXPECT_EQ(event.event, "policy.deleted");
  EXPECT_EQ(boost::json::parse(result.events[1].data).as_object().at("subject").as_string(), "policies/filtered-two");
}

TEST_F(EventStreamTest, SubscribersMayStreamChallengersMayNot) {
  const StreamResult subscriber = ReadEvents("/v1/events/stream", Bearer(TokenFor("subscriber")), 0);
  EXPECT_EQ(subscriber.response.status, 200u);

  const StreamResult challenger = ReadEvents("/v1/events/stream", Bearer(TokenFor("challenger")), 0);
  EXPECT_EQ(challenger.response.status, 403u);
  EXPECT_EQ(challenger.response.content_type, "application/problem+json");

  const StreamResult anonymous = ReadEvents("/v1/events/stream", {}, 0);
  EXPECT_EQ(anonymous.response.status, 401u);
}

TEST_F(EventStreamTest, MalformedLastEventIdIsABadRequest) {
  for (const char* id : {"abc", "-1", "12x", ""}) {
    http::HeaderList headers = Bearer(admin());
    headers.emplace_back("Last-Event-ID", id);
    const StreamResult result = ReadEvents("/v1/events/stream", headers, 0);
    EXPECT_EQ(result.response.status, 400u) << "Last-Event-ID: " << id;
    EXPECT_NE(result.response.body.find("Last-Event-ID"), std::string::npos) << result.response.body;
  }
}

// A stream lasts no longer than the token it was opened with: revoking the token
// ends it at once, its expiry ends it by itself, and neither can reconnect.
TEST_F(EventStreamTest, RevokingOrExpiringTheTokenEndsItsStreams) {
  for (const bool revoke : {true, false}) {
    JsonReply issued = Call(server(), "POST", "/v1/tokens", admin(),
                            revoke ? R"({"role":"subscriber"})" : R"({"role":"subscriber","ttl_seconds":2})");
    ASSERT_EQ(issued.status, 201u) << issued.raw;
    const std::string token(issued.body.as_object().at("token").as_string());
    const std::string id(issued.body.as_object().at("id").as_string());
    std::promise<void> connected;
    auto reading = std::async(std::launch::async, [&] {
      // Only the server ending the stream makes this return: no event count is reached.
      return ReadEvents("/v1/events/stream?types=none.such", Bearer(token), 1, &connected);
    });
    connected.get_future().wait();
    if (revoke) {
      ASSERT_EQ(Call(server(), "DELETE", "/v1/tokens/" + id, admin()).status, 204u);
    }
    ASSERT_EQ(reading.wait_for(std::chrono::milliseconds(kWaitMs)), std::future_status::ready)
        << (revoke ? "revoked" : "expired") << " token's stream still open";
    EXPECT_EQ(reading.get().response.status, 200u);
    EXPECT_EQ(ReadEvents("/v1/events/stream", Bearer(token), 0).response.status, 401u);
  }
}

// vtpmctl as a child whose standard output the test reads line by line.
class TailProcess {
 public:
  explicit TailProcess(std::vector<std::string> args) {
    // Built before fork(): the child of a threaded process only execs.
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    int fds[2];
    if (::pipe(fds) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(fds[1], STDOUT_FILENO);
      ::close(fds[0]);
      ::close(fds[1]);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    fd_ = fds[0];
  }

  ~TailProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
    if (fd_ >= 0) ::close(fd_);
  }

  // The next line of output, or nothing when the child ends or stays silent too long.
  std::optional<std::string> ReadLine() {
    while (true) {
      if (const auto newline = buffer_.find('\n'); newline != std::string::npos) {
        std::string line = buffer_.substr(0, newline);
        buffer_.erase(0, newline + 1);
        return line;
      }
      pollfd ready{fd_, POLLIN, 0};
      if (::poll(&ready, 1, kWaitMs) != 1) return std::nullopt;
      char chunk[4096];
      const ssize_t n = ::read(fd_, chunk, sizeof chunk);
      if (n <= 0) return std::nullopt;
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
  std::string buffer_;
};

TEST_F(EventStreamTest, VtpmctlTailsAndListsEvents) {
  const std::string start = std::to_string(LatestSeq());
  TailProcess tail({VTPMCTL_BINARY, "--url", server().url(), "--cacert", server().root_ca_file().string(),
                    "--token-file", server().admin_token_file().string(), "events", "tail", "--after", start,
                    "--types", "policy.*"});
  CreateAndDeletePolicy("tailed-one");
  CreateAndDeletePolicy("tailed-two");
  std::vector<std::int64_t> tailed;
  for (int i = 0; i < 4; ++i) {
    const auto line = tail.ReadLine();
    ASSERT_TRUE(line.has_value()) << "vtpmctl events tail printed " << i << " events";
    const auto event = boost::json::parse(*line).as_object();
    EXPECT_TRUE(event.at("type").as_string().starts_with("policy."));
    tailed.push_back(event.at("seq").as_int64());
  }

  const std::string listed = Vtpmctl(server(), "--json events list --types 'policy.*' --after " + start);
  const boost::json::value page = boost::json::parse(listed);
  std::vector<std::int64_t> seqs;
  for (const auto& event : page.as_object().at("events").as_array()) {
    seqs.push_back(event.as_object().at("seq").as_int64());
  }
  EXPECT_EQ(seqs, tailed);

  const std::string text = Vtpmctl(server(), "events list --limit 2 --types policy.deleted --after " + start);
  EXPECT_NE(text.find("policy.deleted  policies/tailed-one"), std::string::npos) << text;
  EXPECT_NE(text.find("(continue with --after "), std::string::npos) << text;

  int exit_code = 0;
  const std::string refused = Vtpmctl(server(), "events list --types 'bad pattern'", &exit_code);
  EXPECT_EQ(exit_code, 1) << refused;
}

// An idle stream carries heartbeats; a stream beyond --max-streams is refused with
// 503 while the first is open, and admitted again once it closed.
TEST(EventStreamLimits, HeartbeatsOnIdleStreamsAndACapOnConcurrentOnes) {
  const auto scratch = MakeTempDir("vtpmd-streams");
  auto server = VtpmdProcess::Start(scratch / "data", {"--stream-heartbeat-ms", "100", "--max-streams", "1"});
  ASSERT_TRUE(server.ok()) << server.error().message();
  // curl prints the status even when --max-time ends the stream.
  const std::string curl = "curl -sS -N --max-time 2 --cacert " + ((*server)->data_dir() / "root-ca.pem").string() +
                           " -H 'Authorization: Bearer " + (*server)->admin_token() + "' -w '\\nstatus %{http_code}' " +
                           (*server)->url() + "/v1/events/stream";
  std::promise<CommandResult> first_done;
  std::thread first([&] { first_done.set_value(RunCommand(curl)); });
  bool open = false;
  for (int i = 0; i < 600 && !open; ++i) {
    open = Call(**server, "GET", "/metrics").raw.find("vtpmd_http_open_streams 1") != std::string::npos;
    if (!open) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(open);
  const CommandResult refused = RunCommand(curl);
  EXPECT_NE(refused.output.find("status 503"), std::string::npos) << refused.output;
  first.join();
  const CommandResult idle = first_done.get_future().get();
  EXPECT_NE(idle.output.find(": heartbeat"), std::string::npos) << idle.output;
  EXPECT_NE(idle.output.find("status 200"), std::string::npos) << idle.output;
  bool closed = false;
  for (int i = 0; i < 600 && !closed; ++i) {
    closed = Call(**server, "GET", "/metrics").raw.find("vtpmd_http_open_streams 0") != std::string::npos;
    if (!closed) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const CommandResult again = RunCommand(curl);
  EXPECT_NE(again.output.find("status 200"), std::string::npos) << "admitted once the first closed: " << again.output;
  EXPECT_EQ((*server)->Stop(), 0);
  std::filesystem::remove_all(scratch);
}

// A backlog larger than a client's queue is sent in parts as the client reads,
// rather than overflowing the queue and dropping the client on every reconnect.
TEST(EventStreamLimits, ABacklogLargerThanTheQueueArrivesWhole) {
  const auto scratch = MakeTempDir("vtpmd-backlog");
  auto server = VtpmdProcess::Start(scratch / "data", {"--stream-queue-bytes", "1024"});
  ASSERT_TRUE(server.ok()) << server.error().message();
  const std::string admin = (*server)->admin_token();
  for (int i = 0; i < 12; ++i) {
    const std::string name = "backlog-" + std::to_string(i);
    const std::string document = R"({"name":")" + name + R"(","guest":{"pcrs":{"sha256":{"7":[")" +
                                 std::string(64, 'a') + R"("]}}}})";
    ASSERT_EQ(Call(**server, "POST", "/v1/policies", admin, document).status, 201u);
    ASSERT_EQ(Call(**server, "DELETE", "/v1/policies/" + name, admin).status, 204u);
  }
  auto client = (*server)->Client();
  ASSERT_TRUE(client.ok());
  cli::SseParser parser;
  std::vector<cli::SseEvent> events;
  auto response = (*client)->SendStreaming(
      "GET", "/v1/events/stream?types=policy.deleted", {{"Authorization", "Bearer " + admin}}, "",
      [&](std::string_view chunk) {
        for (auto& event : parser.Feed(chunk)) events.push_back(std::move(event));
        return events.size() < 12 && !parser.failed();
      });
  ASSERT_TRUE(response.ok()) << response.error().message();
  ASSERT_EQ(events.size(), 12u);
  for (std::size_t i = 1; i < events.size(); ++i) EXPECT_LT(Seq(events[i - 1]), Seq(events[i]));
  EXPECT_EQ((*server)->Stop(), 0);
  std::filesystem::remove_all(scratch);
}

}  // namespace
}  // namespace vtpmd::testing
