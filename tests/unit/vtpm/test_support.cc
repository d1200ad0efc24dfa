#include "tests/unit/vtpm/test_support.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>

#include "core/tpm_name.h"
#include "core/tpm_wire.h"
#include "vtpm/platform_tpm.h"
#include "vtpm/swtpm_process.h"

namespace vtpmd::vtpm::testing {

TempDir::TempDir() {
  std::string pattern = "/tmp/vtpmt.XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

Bytes ReadFileBytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void WriteFileBytes(const std::filesystem::path& path, ByteView data) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

std::unique_ptr<PlatformTpm> OpenSimulated(const std::filesystem::path& dir) {
  auto tpm = PlatformTpm::Open({.tcti = kSimulatedTcti, .runtime_dir = dir});
  EXPECT_TRUE(tpm.ok()) << tpm.error().message();
  return tpm.ok() ? std::move(tpm).value() : nullptr;
}

std::unique_ptr<SwtpmProcess> StartSwtpmOn(const std::filesystem::path& state_dir) {
  SwtpmOptions options;
  options.state_dir = state_dir;
  auto swtpm = SwtpmProcess::Start(options);
  EXPECT_TRUE(swtpm.ok()) << swtpm.error().message();
  return swtpm.ok() ? std::move(swtpm).value() : nullptr;
}

Bytes Marshal(const TPM2B_PUBLIC& pub) {
  auto bytes = tpm::MarshalPublic(pub);
  EXPECT_TRUE(bytes.ok());
  return bytes.ok() ? *bytes : Bytes{};
}

Bytes Name(const TPM2B_PUBLIC& pub) {
  auto name = tpm::ObjectName(pub.publicArea);
  EXPECT_TRUE(name.ok());
  return name.ok() ? *name : Bytes{};
}

TempDir* SharedPlatformTpmTest::dir_ = nullptr;
PlatformTpm* SharedPlatformTpmTest::tpm_ = nullptr;

void SharedPlatformTpmTest::SetUpTestSuite() {
  dir_ = new TempDir();
  tpm_ = OpenSimulated(dir_->path()).release();
}

void SharedPlatformTpmTest::TearDownTestSuite() {
  delete tpm_;
  tpm_ = nullptr;
  delete dir_;
  dir_ = nullptr;
}

}  // namespace vtpmd::vtpm::testing
