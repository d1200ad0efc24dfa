#pragma once
// Shared by the vtpm tests: a private temporary directory (short, so AF_UNIX
// socket paths fit) and running the real command-line tools.

#include <tss2/tss2_tpm2_types.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

#include "core/bytes.h"
#include "tests/support/run_command.h"

namespace vtpmd::vtpm {
class PlatformTpm;
class SwtpmProcess;
}  // namespace vtpmd::vtpm

namespace vtpmd::vtpm::testing {

class TempDir {
 public:
  TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

using vtpmd::testing::RunCommand;

Bytes ReadFileBytes(const std::filesystem::path& path);
void WriteFileBytes(const std::filesystem::path& path, ByteView data);

// A simulated platform TPM (its own swtpm) in `dir`; null, with a test failure, if it cannot start.
std::unique_ptr<PlatformTpm> OpenSimulated(const std::filesystem::path& dir);
// A bare swtpm on a TPM state directory (to inspect it with tpm2-tools); null,
// with a test failure, if it cannot start.
std::unique_ptr<SwtpmProcess> StartSwtpmOn(const std::filesystem::path& state_dir);
// The marshalled TPM2B_PUBLIC and the TPM name of a public area (empty, with a test failure, on error).
Bytes Marshal(const TPM2B_PUBLIC& pub);

// One simulated platform TPM shared by the tests of a suite that do not restart
// it: creating its keys dominates the cost of opening it.
class SharedPlatformTpmTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();
  void SetUp() override { ASSERT_NE(tpm_, nullptr); }

  static TempDir* dir_;
  static PlatformTpm* tpm_;
};
Bytes Name(const TPM2B_PUBLIC& pub);

}  // namespace vtpmd::vtpm::testing
