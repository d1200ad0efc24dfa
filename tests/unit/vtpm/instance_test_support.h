#pragma once
// Shared by the vTPM instance tests: deterministic state keys, a certifier that
// hands out fixed per-algorithm blobs, and tpm2-tools run as a guest would.

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/secret_bytes.h"
#include "tests/unit/vtpm/test_support.h"
#include "vtpm/instance_process.h"
#include "vtpm/instance_spec.h"

namespace vtpmd::vtpm::testing {

inline constexpr char kCertMarker[] = "VTPMD-TEST-EK-CERTIFICATE";

SecretBytes StateKey(std::uint64_t seed);

// kCertMarker, the algorithm's name, then a deterministic pattern: `size` bytes.
Bytes CertBlob(EkAlgorithm algorithm, std::size_t size, std::uint8_t seed);

std::unique_ptr<VtpmInstance> StartInstance(const std::filesystem::path& dir, const std::string& id,
                                            std::uint64_t key_seed);

class TestCertifier {
 public:
  TestCertifier();  // RSA: 1500 bytes (two NV chunks), ECC: 600 bytes
  void Set(EkAlgorithm algorithm, Bytes der) { certificates_[algorithm] = std::move(der); }
  const Bytes& certificate(EkAlgorithm algorithm) const { return certificates_.at(algorithm); }
  int calls() const { return calls_; }
  EkCertifier certifier();

 private:
  std::map<EkAlgorithm, Bytes> certificates_;
  int calls_ = 0;
};

const std::vector<EkAlgorithm>& BothAlgorithms();

// Runs a tpm2-tools command line against `tcti` (as `-T`), in `workdir`; fails
// the test with the tool's output if it exits non-zero.
bool RunTool(const std::string& tcti, const std::filesystem::path& workdir, const std::string& args);
// As RunTool, then returns the contents of `workdir / output`.
Bytes ToolOutput(const std::string& tcti, const std::filesystem::path& workdir, const std::string& args,
                 const std::string& output);
// Exit status only, for commands that are expected to fail.
int ToolStatus(const std::string& tcti, const std::filesystem::path& workdir, const std::string& args);


}  // namespace vtpmd::vtpm::testing
