#include "server/http/access_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <algorithm>

namespace vtpmd::http {
namespace {

class Pipe {
 public:
  Pipe() { EXPECT_EQ(::pipe(fds_), 0); }
  ~Pipe() {
    ::close(fds_[0]);
    ::close(fds_[1]);
  }
  int write_end() const { return fds_[1]; }
  std::string ReadAvailable() {
    ::fcntl(fds_[0], F_SETFL, O_NONBLOCK);
    std::string out;
    char buffer[4096];
    ssize_t n;
    while ((n = ::read(fds_[0], buffer, sizeof buffer)) > 0) out.append(buffer, static_cast<std::size_t>(n));
    return out;
  }

 private:
  int fds_[2] = {-1, -1};
};

AccessLogEntry Entry() {
  AccessLogEntry entry;
  entry.time = TimePoint(std::chrono::milliseconds(1714566896789));  // 2024-05-01T12:34:56.789Z
  entry.request_id = "0123456789abcdef";
  entry.peer = "127.0.0.1";
  entry.method = "GET";
  entry.route = "/v1/instances/{id}";
  entry.status = 200;
  entry.bytes = 15;
  entry.duration = std::chrono::microseconds(42);
  entry.user_agent = "curl/7.88";
  return entry;
}

TEST(AccessLog, WritesOneJsonLinePerRequest) {
  Pipe pipe;
  AccessLog log(pipe.write_end());
  log.Write(Entry());
  EXPECT_EQ(pipe.ReadAvailable(),
            "{\"time\":\"2024-05-01T12:34:56.789Z\",\"request_id\":\"0123456789abcdef\",\"peer\":\"127.0.0.1\","
            "\"method\":\"GET\",\"route\":\"/v1/instances/{id}\",\"status\":200,\"bytes\":15,\"duration_us\":42,"
            "\"user_agent\":\"curl/7.88\"}\n");
}

TEST(AccessLog, EscapesHostileUserAgentsAndTruncatesThem) {
  Pipe pipe;
  AccessLog log(pipe.write_end());
  AccessLogEntry entry = Entry();
  const std::string agent = "a\"b\\c\nd\x01\xff" + std::string(500, 'x');
  entry.user_agent = agent;
  log.Write(entry);
  const std::string line = pipe.ReadAvailable();
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  boost::system::error_code ec;
  const auto value = boost::json::parse(line, ec);
  ASSERT_FALSE(ec) << line;
  const std::string logged(value.at("user_agent").as_string());
  EXPECT_EQ(logged.substr(0, 7), "a\"b\\c\nd");
  // 9 special bytes of the 200 kept, so 191 of the 500 'x' survive truncation.
  EXPECT_EQ(std::count(logged.begin(), logged.end(), 'x'), 191);
}

TEST(AccessLog, FormatsTheEpochWithPaddedMillis) {
  Pipe pipe;
  AccessLog log(pipe.write_end());
  AccessLogEntry entry = Entry();
  entry.time = TimePoint(std::chrono::milliseconds(5));
  log.Write(entry);
  EXPECT_EQ(pipe.ReadAvailable().substr(0, 34), "{\"time\":\"1970-01-01T00:00:00.005Z\"");
}

}  // namespace
}  // namespace vtpmd::http
