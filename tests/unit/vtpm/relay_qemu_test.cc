// An unmodified QEMU attaches to a vTPM through the relay: it speaks the swtpm
// control protocol to tpm.sock.ctrl, passes its data channel with CMD_SET_DATAFD,
// and SeaBIOS measures itself into the instance's PCRs.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/unit/vtpm/relay_test_support.h"

namespace vtpmd::vtpm {
namespace {

using testing::RelayedTpm;

constexpr char kQemu[] = "/usr/bin/qemu-system-x86_64";
// Only a bound against hanging: SeaBIOS under TCG measures within seconds.
constexpr auto kFirmwareDeadline = std::chrono::seconds(120);

class QemuProcess {
 public:
  QemuProcess(const std::filesystem::path& tpm_socket, const std::filesystem::path& log) {
    std::vector<std::string> args = {kQemu,         "-machine",   "q35,accel=tcg", "-nographic",
                                     "-nodefaults", "-no-reboot", "-display",      "none"};
    for (std::string& arg : QemuTpmArguments(tpm_socket)) args.push_back(std::move(arg));
    // Everything the child needs is prepared before fork: the parent has threads.
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(126);
      ::dup2(log_fd, STDOUT_FILENO);
      ::dup2(log_fd, STDERR_FILENO);
      ::execv(kQemu, argv.data());
      ::_exit(127);
    }
    if (log_fd >= 0) ::close(log_fd);
  }
  ~QemuProcess() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  bool Running() const { return pid_ > 0 && ::waitpid(pid_, nullptr, WNOHANG) == 0; }

 private:
  pid_t pid_ = -1;
};

TEST(RelayQemuTest, SeaBiosMeasuresIntoTheRelayedTpm) {
  // scripts/install-deps.sh installs QEMU and SeaBIOS: their absence is a failure, not a skip.
  ASSERT_EQ(::access(kQemu, X_OK), 0) << kQemu << " is missing: run scripts/install-deps.sh";
  RelayedTpm tpm(testing::Hub());
  ASSERT_TRUE(tpm.ready());
  auto before = tpm.relay().Transmit(testing::PcrReadSha256Command(0));
  ASSERT_TRUE(before.ok()) << before.error().message();
  ASSERT_EQ(testing::PcrDigest(*before), Bytes(32, 0));

  const auto log = tpm.dir() / "qemu.log";
  QemuProcess qemu(tpm.socket_path(), log);
  Bytes pcr0;
  const auto deadline = std::chrono::steady_clock::now() + kFirmwareDeadline;
  while (std::chrono::steady_clock::now() < deadline && qemu.Running()) {
    // Between QEMU's CMD_STOP and CMD_INIT the TPM answers with an error; that
    // is "not yet", like an all-zero PCR.
    auto read = tpm.relay().Transmit(testing::PcrReadSha256Command(0));
    ASSERT_TRUE(read.ok()) << read.error().message();
    pcr0 = testing::PcrDigest(*read);
    if (!pcr0.empty() && pcr0 != Bytes(32, 0)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  const auto qemu_log = testing::ReadFileBytes(log);
  ASSERT_EQ(pcr0.size(), 32U) << AsChars(qemu_log);
  EXPECT_NE(pcr0, Bytes(32, 0)) << AsChars(qemu_log);
  RecordProperty("pcr0", HexEncode(pcr0));
  const RelayStats stats = tpm.relay().Stats();
  EXPECT_TRUE(stats.guest_data_attached);
  EXPECT_GT(stats.guest_commands, 0U);
  EXPECT_GT(stats.control_forwarded, 0U);
  // QEMU probes for a TPM 2.0 first; only a TPM 1.2 would see its 1.2 probe.
  EXPECT_EQ(stats.malformed_commands, 0U);
}

}  // namespace
}  // namespace vtpmd::vtpm
