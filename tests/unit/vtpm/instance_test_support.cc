#include "tests/unit/vtpm/instance_test_support.h"

#include <gtest/gtest.h>

#include <cstring>

#include "core/random.h"
#include "core/tpm_wire.h"
#include "tests/unit/vtpm/test_support.h"

namespace vtpmd::vtpm::testing {

SecretBytes StateKey(std::uint64_t seed) {
  DeterministicRng rng(seed);
  auto key = rng.GenerateSecret(VtpmInstance::kStateKeySize);
  EXPECT_TRUE(key.ok());
  return key.ok() ? std::move(key).value() : SecretBytes();
}

Bytes CertBlob(EkAlgorithm algorithm, std::size_t size, std::uint8_t seed) {
  std::string prefix = std::string(kCertMarker) + "-" + std::string(EkAlgorithmName(algorithm)) + "-";
  Bytes out(prefix.begin(), prefix.end());
  for (std::size_t i = out.size(); i < size; ++i) out.push_back(static_cast<std::uint8_t>(seed + i * 13));
  out.resize(size);
  return out;
}

std::unique_ptr<VtpmInstance> StartInstance(const std::filesystem::path& dir, const std::string& id,
                                            std::uint64_t key_seed) {
  auto instance = VtpmInstance::Start({.id = id, .dir = dir, .state_key = StateKey(key_seed)});
  EXPECT_TRUE(instance.ok()) << instance.error().message();
  return instance.ok() ? std::move(instance).value() : nullptr;
}

TestCertifier::TestCertifier() {
  Set(EkAlgorithm::kRsa2048, CertBlob(EkAlgorithm::kRsa2048, 1500, 1));
  Set(EkAlgorithm::kEccP256, CertBlob(EkAlgorithm::kEccP256, 600, 2));
}

EkCertifier TestCertifier::certifier() {
  return [this](EkAlgorithm algorithm, const TPM2B_PUBLIC& pub) -> Result<Bytes> {
    ++calls_;
    const TPMI_ALG_PUBLIC expected = algorithm == EkAlgorithm::kRsa2048 ? TPM2_ALG_RSA : TPM2_ALG_ECC;
    if (pub.publicArea.type != expected) return Internal("certifier got a public area of the wrong type");
    return certificates_.at(algorithm);
  };
}

const std::vector<EkAlgorithm>& BothAlgorithms() {
  static const std::vector<EkAlgorithm> both = {EkAlgorithm::kRsa2048, EkAlgorithm::kEccP256};
  return both;
}

int ToolStatus(const std::string& tcti, const std::filesystem::path& workdir, const std::string& args) {
  return RunCommand("cd '" + workdir.string() + "' && tpm2_" + args + " -T '" + tcti + "'");
}

bool RunTool(const std::string& tcti, const std::filesystem::path& workdir, const std::string& args) {
  std::string output;
  const int status = RunCommand("cd '" + workdir.string() + "' && tpm2_" + args + " -T '" + tcti + "'", &output);
  EXPECT_EQ(status, 0) << "tpm2_" << args << ":\n" << output;
  return status == 0;
}

Bytes ToolOutput(const std::string& tcti, const std::filesystem::path& workdir, const std::string& args,
                 const std::string& output) {
  std::filesystem::remove(workdir / output);
  if (!RunTool(tcti, workdir, args)) return {};
  return ReadFileBytes(workdir / output);
}

}  // namespace vtpmd::vtpm::testing
