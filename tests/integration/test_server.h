#pragma once
// Shared helpers for the integration suites: one vtpmd per suite, JSON requests
// with the admin token, and commands run against it.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <memory>
#include <string>

#include "tests/integration/vtpmd_process.h"

namespace vtpmd::testing {

struct JsonReply {
  unsigned status;
  std::string content_type;
  boost::json::value body;
  std::string raw;
};

// Sends a request with an optional bearer token and JSON body; fails the test on
// transport errors.
JsonReply Call(const VtpmdProcess& server, std::string_view method, std::string_view target,
               const std::string& token = "", std::string_view body = "",
               std::string_view content_type = "application/json");

std::string Vtpmctl(const VtpmdProcess& server, const std::string& args, int* exit_code = nullptr);

// Writes `contents` into `dir`/`name` and returns the path.
std::string WriteTempFile(const std::filesystem::path& dir, const std::string& name, const std::string& contents);

class ServerSuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();
  static VtpmdProcess& server() { return *server_; }
  static std::string admin() { return server_->admin_token(); }
  static std::filesystem::path scratch() { return scratch_; }

  // Extra vtpmd flags of the suite (limits small enough to test).
  static std::vector<std::string> SuiteFlags();

 private:
  static std::unique_ptr<VtpmdProcess> server_;
  static std::filesystem::path scratch_;
};

}  // namespace vtpmd::testing
