#include "ca_test_support.h"

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace vtpmd::ca::testing {

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "vtpmd-ca-test-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

CommandResult RunCommand(const std::string& command) {
  const std::string with_stderr = command + " 2>&1";
  FILE* pipe = popen(with_stderr.c_str(), "r");
  if (pipe == nullptr) return {-1, "popen failed"};
  std::string output;
  std::array<char, 512> buffer{};
  while (std::fgets(buffer.data(), static_cast<int>(buffer.size()), pipe) != nullptr) output += buffer.data();
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

std::filesystem::path WritePem(const std::filesystem::path& path, const std::vector<X509*>& certificates) {
  std::ofstream out(path);
  for (X509* certificate : certificates) {
    Result<std::string> pem = ossl::CertificatePem(certificate);
    if (!pem.ok()) throw std::runtime_error(pem.error().message());
    out << *pem;
  }
  return path;
}

CommandResult OpensslVerify(const TempDir& dir, X509* anchor, const std::vector<X509*>& untrusted, X509* leaf,
                            std::int64_t at_seconds) {
  std::string command = "openssl verify -attime " + std::to_string(at_seconds) + " -CAfile " +
                        WritePem(dir.path() / "anchor.pem", {anchor}).string();
  if (!untrusted.empty()) command += " -untrusted " + WritePem(dir.path() / "untrusted.pem", untrusted).string();
  command += " " + WritePem(dir.path() / "leaf.pem", {leaf}).string();
  return RunCommand(command);
}

SecretBytes TestDataKey(std::uint8_t fill) {
  SecretBytes key(32);
  for (std::uint8_t& byte : key.mutable_view()) byte = fill;
  return key;
}

}  // namespace vtpmd::ca::testing
