#pragma once
// Shared helpers for the CA tests: a temporary directory, the openssl CLI, and the
// fixed time the tests run at.

#include <filesystem>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/openssl.h"
#include "core/secret_bytes.h"

namespace vtpmd::ca::testing {

// 2024-01-01T00:00:00Z: the FakeClock start, and what `openssl verify -attime` checks at.
inline constexpr std::int64_t kTestEpochSeconds = 1704067200;
inline TimePoint TestStart() { return TimePoint(std::chrono::seconds(kTestEpochSeconds)); }

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

struct CommandResult {
  int exit_code;
  std::string output;
};

// Runs `command` through the shell, capturing stdout and stderr.
CommandResult RunCommand(const std::string& command);

// Writes the certificates as one PEM file and returns its path.
std::filesystem::path WritePem(const std::filesystem::path& path, const std::vector<X509*>& certificates);

// `openssl verify -CAfile anchor [-untrusted ...] leaf` at `at_seconds`.
CommandResult OpensslVerify(const TempDir& dir, X509* anchor, const std::vector<X509*>& untrusted, X509* leaf,
                            std::int64_t at_seconds);

SecretBytes TestDataKey(std::uint8_t fill);

}  // namespace vtpmd::ca::testing
