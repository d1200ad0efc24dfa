#include "tests/integration/test_server.h"

#include <fstream>

namespace vtpmd::testing {

std::unique_ptr<VtpmdProcess> ServerSuite::server_;
std::filesystem::path ServerSuite::scratch_;

std::vector<std::string> ServerSuite::SuiteFlags() {
  return {"--body-limit", "16384", "--header-limit", "2048", "--idle-timeout", "1", "--read-timeout", "2"};
}

void ServerSuite::SetUpTestSuite() {
  scratch_ = MakeTempDir("vtpmd-it");
  // Traverse-only, like /run: the isolation test attaches as an unprivileged uid.
  std::filesystem::permissions(scratch_, std::filesystem::perms::owner_all | std::filesystem::perms::others_exec |
                                             std::filesystem::perms::group_exec);
  auto started = VtpmdProcess::Start(scratch_ / "data", SuiteFlags());
  ASSERT_TRUE(started.ok()) << started.error().message();
  server_ = std::move(*started);
}

void ServerSuite::TearDownTestSuite() {
  if (server_) {
    EXPECT_EQ(server_->Stop(), 0) << server_->log();
  }
  server_.reset();
  std::filesystem::remove_all(scratch_);
}

JsonReply Call(const VtpmdProcess& server, std::string_view method, std::string_view target, const std::string& token,
               std::string_view body, std::string_view content_type) {
  auto client = server.Client();
  EXPECT_TRUE(client.ok()) << client.error().message();
  if (!client.ok()) return {0, "", {}, ""};
  http::HeaderList headers;
  if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
  if (!body.empty()) headers.emplace_back("Content-Type", std::string(content_type));
  auto response = (*client)->Send(method, target, headers, body);
  EXPECT_TRUE(response.ok()) << response.error().message();
  if (!response.ok()) return {0, "", {}, ""};
  JsonReply reply{response->status, response->content_type, {}, response->body};
  for (const auto& [name, value] : response->headers) {
    if (http::EqualsIgnoreCase(name, "Content-Type")) reply.content_type = value;
  }
  boost::system::error_code ec;
  reply.body = boost::json::parse(response->body, ec);
  return reply;
}

std::string Vtpmctl(const VtpmdProcess& server, const std::string& args, int* exit_code) {
  const std::string command = std::string(VTPMCTL_BINARY) + " --url " + server.url() + " --cacert " +
                              server.root_ca_file().string() + " --token-file " +
                              server.admin_token_file().string() + " " + args;
  CommandResult result = RunCommand(command);
  if (exit_code != nullptr) {
    *exit_code = result.exit_code;
  } else {
    EXPECT_EQ(result.exit_code, 0) << command << "\n" << result.output;
  }
  return result.output;
}

std::string WriteTempFile(const std::filesystem::path& dir, const std::string& name, const std::string& contents) {
  const auto path = dir / name;
  std::ofstream(path, std::ios::binary) << contents;
  return path.string();
}

}  // namespace vtpmd::testing
