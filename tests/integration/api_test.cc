// The REST surface: system routes, tokens and roles, and every kind of bad input
// getting its problem document (or a closed connection) without harming the server.

#include <gtest/gtest.h>

#include "core/file_io.h"
#include "tests/integration/test_server.h"

namespace vtpmd::testing {
namespace {

class ApiTest : public ServerSuite {
 protected:
  // Sends raw bytes over TLS with the openssl CLI and returns what came back.
  static CommandResult RawTls(const std::string& request_bytes_printf_format, int seconds = 10) {
    return RunCommand("printf '" + request_bytes_printf_format + "' | timeout " + std::to_string(seconds) +
                      " openssl s_client -quiet -ign_eof -connect 127.0.0.1:" + std::to_string(server().port()) +
                      " -CAfile " + server().root_ca_file().string());
  }
  static bool Healthy() { return Call(server(), "GET", "/healthz").status == 200; }
};

TEST_F(ApiTest, SystemRoutesAnswerWithoutAToken) {
  JsonReply health = Call(server(), "GET", "/healthz");
  EXPECT_EQ(health.status, 200u);
  EXPECT_EQ(health.body.as_object().at("status").as_string(), "ok");
  JsonReply version = Call(server(), "GET", "/v1/version");
  EXPECT_EQ(version.body.as_object().at("api").as_string(), "v1");
  JsonReply openapi = Call(server(), "GET", "/v1/openapi.json");
  ASSERT_EQ(openapi.status, 200u);
  EXPECT_TRUE(openapi.body.as_object().at("paths").as_object().contains("/v1/platform/quote"));
}

TEST_F(ApiTest, MetricsCountRequestsByRouteAndStatus) {
  Call(server(), "GET", "/healthz");
  Call(server(), "GET", "/no/such/route");
  auto client = server().Client();
  ASSERT_TRUE(client.ok());
  auto metrics = (*client)->Send("GET", "/metrics", {}, "");
  ASSERT_TRUE(metrics.ok());
  EXPECT_NE(metrics->body.find("vtpmd_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"}"),
            std::string::npos)
      << metrics->body;
  EXPECT_NE(metrics->body.find("status=\"404\""), std::string::npos);
  EXPECT_NE(metrics->body.find("vtpmd_http_request_duration_seconds_bucket"), std::string::npos);
  EXPECT_NE(metrics->body.find("vtpmd_platform_tpm_simulated 1"), std::string::npos);
}

TEST_F(ApiTest, UnknownRoutesAndMethodsGetProblems) {
  JsonReply missing = Call(server(), "GET", "/v1/nothing-here");
  EXPECT_EQ(missing.status, 404u);
  EXPECT_EQ(missing.content_type, "application/problem+json");
  EXPECT_EQ(missing.body.as_object().at("status").as_int64(), 404);
  JsonReply wrong_method = Call(server(), "DELETE", "/v1/platform", admin());
  EXPECT_EQ(wrong_method.status, 405u);
}

TEST_F(ApiTest, TokensNeedAdminAndRolesAreEnforced) {
  EXPECT_EQ(Call(server(), "GET", "/v1/platform").status, 401u);
  EXPECT_EQ(Call(server(), "GET", "/v1/platform", "vtpmd_0000000000000000_AAAA").status, 401u);
  EXPECT_EQ(Call(server(), "GET", "/v1/platform", admin() + "x").status, 401u);

  const std::string challenger =
      Vtpmctl(server(), "token create --role challenger --label 'remote verifier'");
  const std::string token = challenger.substr(challenger.rfind("vtpmd_"), challenger.find('\n', challenger.rfind("vtpmd_")) - challenger.rfind("vtpmd_"));
  EXPECT_EQ(Call(server(), "GET", "/v1/platform", token).status, 200u);
  EXPECT_EQ(Call(server(), "POST", "/v1/platform/quote", token, R"({"nonce":"0011223344556677"})").status, 200u);
  EXPECT_EQ(Call(server(), "GET", "/v1/tokens", token).status, 403u);
  EXPECT_EQ(Call(server(), "POST", "/v1/tokens", token, R"({"role":"admin"})").status, 403u);

  const std::string list = Vtpmctl(server(), "token list");
  EXPECT_NE(list.find("remote verifier"), std::string::npos) << list;
  EXPECT_EQ(list.find(token), std::string::npos) << "token list must never show secrets";

  const std::string id = token.substr(6, 16);
  Vtpmctl(server(), "token revoke " + id);
  EXPECT_EQ(Call(server(), "GET", "/v1/platform", token).status, 401u);
}

TEST_F(ApiTest, TheLastAdminTokenCannotBeRevoked) {
  const std::string own_id = admin().substr(6, 16);
  int exit_code = 0;
  const std::string output = Vtpmctl(server(), "token revoke " + own_id, &exit_code);
  EXPECT_EQ(exit_code, 1) << output;
  EXPECT_NE(output.find("last active admin"), std::string::npos) << output;
  EXPECT_EQ(Call(server(), "GET", "/v1/tokens", admin()).status, 200u);
}

TEST_F(ApiTest, MalformedTokenRequestsChangeNothing) {
  const std::string before = Call(server(), "GET", "/v1/tokens", admin()).raw;
  for (const char* body : {R"({"role":"root"})", R"({"role":"admin","ttl_seconds":-5})",
                           R"({"role":"admin","ttl_seconds":9223372036854775807})", R"({"role":"admin","x":1})",
                           R"({"label":"no role"})", R"({"role":"admin","label":"\u0001"})", "not json"}) {
    EXPECT_EQ(Call(server(), "POST", "/v1/tokens", admin(), body).status, 400u) << body;
  }
  EXPECT_EQ(Call(server(), "DELETE", "/v1/tokens/doesnotexist", admin()).status, 404u);
  EXPECT_EQ(Call(server(), "GET", "/v1/tokens", admin()).raw, before);
}

TEST_F(ApiTest, OversizedHeadersAndBodiesAreRefused) {
  const std::string big_header(3000, 'a');
  CommandResult header = RawTls("GET /healthz HTTP/1.1\\r\\nHost: x\\r\\nX-Big: " + big_header + "\\r\\n\\r\\n");
  EXPECT_NE(header.output.find("431"), std::string::npos) << header.output;

  JsonReply body = Call(server(), "POST", "/v1/platform/quote", admin(), std::string(20000, ' '));
  EXPECT_EQ(body.status, 413u) << body.raw;
  EXPECT_TRUE(Healthy());
}

TEST_F(ApiTest, TransportAbuseClosesTheConnectionAndTheServerKeepsServing) {
  const std::string port = std::to_string(server().port());
  // Plain HTTP on the TLS port: the handshake fails and the server closes, which ends
  // the reading `cat` long before `timeout` would. A close that comes before printf is
  // done shows as SIGPIPE (141) or a reset instead of EOF; only a timeout is a failure.
  CommandResult plain = RunCommand("bash -c 'exec 3<>/dev/tcp/127.0.0.1/" + port +
                                   " && echo connected; printf \"GET /healthz HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n\" >&3; "
                                   "timeout 20 cat <&3 >/dev/null'");
  EXPECT_NE(plain.output.find("connected"), std::string::npos) << plain.output;
  EXPECT_NE(plain.exit_code, 124) << "server held a non-TLS connection open: " << plain.output;
  // Garbage that is not HTTP inside TLS.
  CommandResult garbage = RawTls("\\x01\\x02\\x03 not http at all\\r\\n\\r\\n");
  EXPECT_EQ(garbage.output.find("200 OK"), std::string::npos) << garbage.output;
  EXPECT_NE(garbage.exit_code, 124) << "server held a garbage connection open";
  // An idle client is disconnected by the idle timeout (1 s in this suite), long
  // before the 20 s `timeout` would end the client.
  CommandResult idle = RunCommand("bash -c 'exec 3< <(sleep 20 2>/dev/null); timeout 20 openssl s_client -quiet -connect 127.0.0.1:" +
                                  port + " -CAfile " + server().root_ca_file().string() + " <&3'");
  EXPECT_NE(idle.exit_code, 124) << "idle connection was not closed";
  EXPECT_TRUE(Healthy());
}

TEST_F(ApiTest, PipelinedRequestsAreAnsweredInOrder) {
  CommandResult pipelined = RawTls(
      "GET /healthz HTTP/1.1\\r\\nHost: x\\r\\n\\r\\nGET /v1/version HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n"
      "GET /nope HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n");
  const auto first = pipelined.output.find("HTTP/1.1 200");
  const auto second = pipelined.output.find("\"api\":\"v1\"");
  const auto third = pipelined.output.find("HTTP/1.1 404");
  ASSERT_NE(first, std::string::npos) << pipelined.output;
  ASSERT_NE(second, std::string::npos) << pipelined.output;
  ASSERT_NE(third, std::string::npos) << pipelined.output;
  EXPECT_LT(first, second);
  EXPECT_LT(second, third);
}

TEST_F(ApiTest, VtpmctlCoversStatusPlatformAndCa) {
  EXPECT_NE(Vtpmctl(server(), "status").find("SIMULATED"), std::string::npos);
  EXPECT_NE(Vtpmctl(server(), "platform show").find("certificate verified"), std::string::npos);
  const std::string root = Vtpmctl(server(), "ca root");
  auto expected = ReadSmallFile(server().root_ca_file(), 1 << 20);
  ASSERT_TRUE(expected.ok());
  EXPECT_EQ(root, *expected);
  const std::string json = Vtpmctl(server(), "--json platform show");
  boost::system::error_code ec;
  EXPECT_TRUE(boost::json::parse(json, ec).is_object()) << json;

  int exit_code = 0;
  Vtpmctl(server(), "frobnicate", &exit_code);
  EXPECT_EQ(exit_code, 2);
  const std::string denied = RunCommand(std::string(VTPMCTL_BINARY) + " --url " + server().url() + " --cacert " +
                                        server().root_ca_file().string() + " token list")
                                 .output;
  // Run from a directory without vtpmd-data/: no token, so the server says 401.
  EXPECT_NE(denied.find("401"), std::string::npos) << denied;
  // A client that does not trust our root refuses to talk.
  CommandResult untrusted = RunCommand(std::string(VTPMCTL_BINARY) + " --url " + server().url() +
                                       " --cacert /etc/ssl/certs/ca-certificates.crt status");
  EXPECT_EQ(untrusted.exit_code, 3) << untrusted.output;
}

}  // namespace
}  // namespace vtpmd::testing
