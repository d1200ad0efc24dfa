#include "vtpm/instance_process.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <thread>

#include "core/tpm_name.h"
#include "tests/unit/vtpm/instance_test_support.h"
#include "tests/unit/vtpm/test_support.h"
#include "vtpm/swtpm_process.h"

namespace vtpmd::vtpm {
namespace {

namespace fs = std::filesystem;
using testing::BothAlgorithms;
using testing::Marshal;
using testing::ReadFileBytes;
using testing::RunTool;
using testing::StartInstance;
using testing::ToolOutput;
using testing::ToolStatus;

class InstanceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    work_ = tmp_.path() / "work";
    fs::create_directory(work_);
  }

  fs::path Dir(const std::string& name) const { return tmp_.path() / name; }

  std::vector<ProvisionedEk> Manufacture(VtpmInstance& instance, testing::TestCertifier& certifier) {
    auto eks = instance.Manufacture(BothAlgorithms(), certifier.certifier());
    EXPECT_TRUE(eks.ok()) << eks.error().message();
    return eks.ok() ? std::move(eks).value() : std::vector<ProvisionedEk>{};
  }
  std::vector<ProvisionedEk> Manufacture(VtpmInstance& instance) { return Manufacture(instance, certifier_); }

  // What a guest reads from the certificate indices with the owner's authorization.
  Bytes NvRead(const std::string& tcti, TPM2_HANDLE index) {
    char hex[16];
    std::snprintf(hex, sizeof(hex), "0x%08x", index);
    return ToolOutput(tcti, work_, std::string("nvread -C o ") + hex + " -o nv.bin", "nv.bin");
  }

  testing::TempDir tmp_;
  fs::path work_;
  testing::TestCertifier certifier_;
};

mode_t Mode(const fs::path& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

bool Contains(ByteView haystack, ByteView needle) {
  return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end()) != haystack.end();
}

void AwaitDeath(VtpmInstance& instance) {
  for (int i = 0; i < 1000 && instance.Alive(); ++i) ::usleep(10'000);
  ASSERT_FALSE(instance.Alive());
}

TEST_F(InstanceTest, StartsInAPrivateDirectoryAndLeavesStartupToTheGuest) {
  auto instance = StartInstance(Dir("i"), "inst-1", 1);
  ASSERT_NE(instance, nullptr);
  EXPECT_EQ(instance->id(), "inst-1");
  EXPECT_TRUE(instance->Alive());
  EXPECT_FALSE(instance->Crashed());
  EXPECT_EQ(Mode(Dir("i")), 0700U);
  EXPECT_EQ(Mode(Dir("i") / "state"), 0700U);
  EXPECT_EQ(instance->backend_socket(), Dir("i") / "swtpm.sock");
  EXPECT_EQ(instance->backend_control_socket(), Dir("i") / "swtpm.sock.ctrl");
  EXPECT_TRUE(fs::is_socket(instance->backend_socket()));
  EXPECT_TRUE(fs::is_socket(instance->backend_control_socket()));
  EXPECT_EQ(instance->backend_tcti(), "swtpm:path=" + (Dir("i") / "swtpm.sock").string());

  // Not started by swtpm: a guest's firmware (or `tpm2_startup`) starts it.
  const std::string tcti = instance->backend_tcti();
  EXPECT_NE(ToolStatus(tcti, work_, "getrandom 8 --hex"), 0);
  EXPECT_TRUE(RunTool(tcti, work_, "startup -c"));
  EXPECT_TRUE(RunTool(tcti, work_, "getrandom 8 --hex"));
}

TEST_F(InstanceTest, GuestToolsFindTheManufacturedEksAndCertificates) {
  auto instance = StartInstance(Dir("i"), "inst-1", 1);
  ASSERT_NE(instance, nullptr);
  std::vector<ProvisionedEk> eks = Manufacture(*instance);
  ASSERT_EQ(eks.size(), 2U);
  const ProvisionedEk& rsa = eks[0];
  const ProvisionedEk& ecc = eks[1];
  EXPECT_EQ(rsa.algorithm, EkAlgorithm::kRsa2048);
  EXPECT_EQ(rsa.handle, 0x81010001U);
  EXPECT_EQ(rsa.nv_index, 0x01c00002U);
  EXPECT_EQ(ecc.algorithm, EkAlgorithm::kEccP256);
  EXPECT_EQ(ecc.handle, 0x81010002U);
  EXPECT_EQ(ecc.nv_index, 0x01c0000aU);
  EXPECT_EQ(certifier_.calls(), 2);
  for (const ProvisionedEk& ek : eks) {
    EXPECT_EQ(ek.certificate_der, certifier_.certificate(ek.algorithm));
    auto name = tpm::ObjectName(ek.public_area.publicArea);
    ASSERT_TRUE(name.ok());
    EXPECT_EQ(ek.name, *name);
  }

  const std::string tcti = instance->backend_tcti();
  ASSERT_TRUE(RunTool(tcti, work_, "getekcertificate -o rsa.der -o ecc.der"));
  EXPECT_EQ(ReadFileBytes(work_ / "rsa.der"), certifier_.certificate(EkAlgorithm::kRsa2048));
  EXPECT_EQ(ReadFileBytes(work_ / "ecc.der"), certifier_.certificate(EkAlgorithm::kEccP256));
  EXPECT_EQ(NvRead(tcti, 0x01c00002), certifier_.certificate(EkAlgorithm::kRsa2048));
  EXPECT_EQ(NvRead(tcti, 0x01c0000a), certifier_.certificate(EkAlgorithm::kEccP256));

  // The EKs are the TCG default ones, which tools re-derive from the same seed.
  EXPECT_EQ(ToolOutput(tcti, work_, "createek -G rsa -u ek.pub -c ek.ctx", "ek.pub"), Marshal(rsa.public_area));
  EXPECT_EQ(ToolOutput(tcti, work_, "createek -G ecc -u ek.pub -c ek.ctx", "ek.pub"), Marshal(ecc.public_area));
  EXPECT_EQ(ToolOutput(tcti, work_, "readpublic -c 0x81010001 -n ek.name", "ek.name"), rsa.name);
  EXPECT_EQ(ToolOutput(tcti, work_, "readpublic -c 0x81010002 -n ek.name", "ek.name"), ecc.name);
}

TEST_F(InstanceTest, PlatformHierarchyIsClosedAfterManufacture) {
  auto instance = StartInstance(Dir("i"), "inst-1", 1);
  ASSERT_NE(instance, nullptr);
  ASSERT_EQ(Manufacture(*instance).size(), 2U);
  const std::string tcti = instance->backend_tcti();
  testing::WriteFileBytes(work_ / "junk", AsBytes("junk"));
  // A second Startup cannot reopen it: the TPM is started until its next reset.
  static_cast<void>(ToolStatus(tcti, work_, "startup -c"));
  EXPECT_NE(ToolStatus(tcti, work_, "nvundefine -C p 0x01c00002"), 0);
  EXPECT_NE(ToolStatus(tcti, work_, "nvwrite -C p -i junk 0x01c0000a"), 0);
  EXPECT_NE(ToolStatus(tcti, work_, "changeeps"), 0);
  EXPECT_EQ(NvRead(tcti, 0x01c00002), certifier_.certificate(EkAlgorithm::kRsa2048));
  EXPECT_EQ(NvRead(tcti, 0x01c0000a), certifier_.certificate(EkAlgorithm::kEccP256));
}

TEST_F(InstanceTest, ManufactureIsIdempotentAndRewritesOnlyChangedCertificates) {
  auto instance = StartInstance(Dir("i"), "inst-1", 1);
  ASSERT_NE(instance, nullptr);
  std::vector<ProvisionedEk> first = Manufacture(*instance);
  std::vector<ProvisionedEk> second = Manufacture(*instance);
  ASSERT_EQ(first.size(), 2U);
  ASSERT_EQ(second.size(), 2U);
  for (std::size_t i = 0; i < first.size(); ++i) {
    EXPECT_EQ(second[i].name, first[i].name);
    EXPECT_EQ(Marshal(second[i].public_area), Marshal(first[i].public_area));
    EXPECT_EQ(second[i].certificate_der, first[i].certificate_der);
  }
  EXPECT_EQ(certifier_.calls(), 4);  // the certifier decides about reissuing, every time

  const Bytes reissued = testing::CertBlob(EkAlgorithm::kRsa2048, 1200, 9);
  certifier_.Set(EkAlgorithm::kRsa2048, reissued);
  std::vector<ProvisionedEk> third = Manufacture(*instance);
  ASSERT_EQ(third.size(), 2U);
  EXPECT_EQ(third[0].name, first[0].name);
  EXPECT_EQ(third[0].certificate_der, reissued);
  const std::string tcti = instance->backend_tcti();
  EXPECT_EQ(NvRead(tcti, 0x01c00002), reissued);
  EXPECT_EQ(NvRead(tcti, 0x01c0000a), certifier_.certificate(EkAlgorithm::kEccP256));
}

TEST_F(InstanceTest, ManufactureRepairsWhatAGuestChanged) {
  auto instance = StartInstance(Dir("i"), "inst-1", 1);
  ASSERT_NE(instance, nullptr);
  std::vector<ProvisionedEk> eks = Manufacture(*instance);
  ASSERT_EQ(eks.size(), 2U);

  // After a restart, a guest without firmware starts the TPM itself and finds
  // the platform hierarchy open: the residual risk the report describes.
  ASSERT_TRUE(instance->Stop().ok());
  ASSERT_TRUE(instance->Restart().ok());
  const std::string tcti = instance->backend_tcti();
  ASSERT_TRUE(RunTool(tcti, work_, "startup -c"));
  const Bytes rsa_cert = certifier_.certificate(EkAlgorithm::kRsa2048);
  const Bytes ecc_cert = certifier_.certificate(EkAlgorithm::kEccP256);
  testing::WriteFileBytes(work_ / "rsa.der", rsa_cert);
  testing::WriteFileBytes(work_ / "ecc.der", ecc_cert);
  // The right bytes, but writable by anyone who knows the (empty) index auth.
  ASSERT_TRUE(RunTool(tcti, work_, "nvundefine -C p 0x01c00002"));
  ASSERT_TRUE(RunTool(tcti, work_,
                      "nvdefine -C p -s 1500 -a "
                      "'ppwrite|authwrite|ppread|ownerread|authread|no_da|platformcreate' 0x01c00002"));
  ASSERT_TRUE(RunTool(tcti, work_, "nvwrite -C 0x01c00002 -i rsa.der 0x01c00002"));
  // The right bytes and attributes, but an auth value that locks guests' reads out.
  ASSERT_TRUE(RunTool(tcti, work_, "nvundefine -C p 0x01c0000a"));
  ASSERT_TRUE(RunTool(tcti, work_,
                      "nvdefine -C p -s 600 -p secret -a "
                      "'ppwrite|ppread|ownerread|authread|no_da|platformcreate' 0x01c0000a"));
  ASSERT_TRUE(RunTool(tcti, work_, "nvwrite -C p -i ecc.der 0x01c0000a"));
  ASSERT_NE(ToolStatus(tcti, work_, "nvread -C 0x01c0000a 0x01c0000a -o nv.bin"), 0);
  ASSERT_TRUE(RunTool(tcti, work_, "evictcontrol -C o -c 0x81010002"));

  std::vector<ProvisionedEk> repaired = Manufacture(*instance);
  ASSERT_EQ(repaired.size(), 2U);
  EXPECT_EQ(repaired[0].name, eks[0].name);
  EXPECT_EQ(repaired[1].name, eks[1].name);  // re-derived from the same seed
  EXPECT_EQ(NvRead(tcti, 0x01c00002), rsa_cert);
  EXPECT_EQ(ToolOutput(tcti, work_, "nvread -C 0x01c0000a 0x01c0000a -o nv.bin", "nv.bin"), ecc_cert);
  std::string nv_public;
  ASSERT_EQ(testing::RunCommand("tpm2_nvreadpublic -T '" + tcti + "' 0x01c00002", &nv_public), 0) << nv_public;
  EXPECT_EQ(nv_public.find("authwrite"), std::string::npos) << nv_public;
  EXPECT_NE(nv_public.find("ppwrite"), std::string::npos) << nv_public;
}

TEST_F(InstanceTest, RestartKeepsEksNamesAndCertificates) {
  auto instance = StartInstance(Dir("i"), "inst-1", 1);
  ASSERT_NE(instance, nullptr);
  std::vector<ProvisionedEk> eks = Manufacture(*instance);
  ASSERT_EQ(eks.size(), 2U);
  ASSERT_TRUE(instance->Stop().ok());
  EXPECT_FALSE(instance->Alive());
  EXPECT_FALSE(instance->Crashed());
  instance.reset();

  // As after a vtpmd restart: a new object on the same directory and key.
  auto again = StartInstance(Dir("i"), "inst-1", 1);
  ASSERT_NE(again, nullptr);
  const std::string tcti = again->backend_tcti();
  ASSERT_TRUE(RunTool(tcti, work_, "startup -c"));
  EXPECT_EQ(ToolOutput(tcti, work_, "readpublic -c 0x81010001 -o ek.pub", "ek.pub"), Marshal(eks[0].public_area));
  EXPECT_EQ(ToolOutput(tcti, work_, "readpublic -c 0x81010002 -o ek.pub", "ek.pub"), Marshal(eks[1].public_area));
  EXPECT_EQ(NvRead(tcti, 0x01c00002), certifier_.certificate(EkAlgorithm::kRsa2048));
  EXPECT_EQ(NvRead(tcti, 0x01c0000a), certifier_.certificate(EkAlgorithm::kEccP256));
  std::vector<ProvisionedEk> remanufactured = Manufacture(*again);
  ASSERT_EQ(remanufactured.size(), 2U);
  EXPECT_EQ(remanufactured[0].name, eks[0].name);
  EXPECT_EQ(remanufactured[1].name, eks[1].name);
}

TEST_F(InstanceTest, WrongStateKeyIsRefusedClearly) {
  {
    auto instance = StartInstance(Dir("i"), "inst-1", 1);
    ASSERT_NE(instance, nullptr);
    ASSERT_EQ(Manufacture(*instance).size(), 2U);
  }
  auto wrong = VtpmInstance::Start({.id = "inst-1", .dir = Dir("i"), .state_key = testing::StateKey(2)});
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code(), ErrorCode::kUnavailable);
  EXPECT_NE(wrong.error().message().find("vTPM instance inst-1"), std::string::npos) << wrong.error().message();
  EXPECT_NE(wrong.error().message().find("wrong state key"), std::string::npos) << wrong.error().message();
  EXPECT_NE(wrong.error().message().find("log:"), std::string::npos) << wrong.error().message();
  EXPECT_FALSE(SwtpmProcess::Serving(Dir("i") / "swtpm.sock"));

  auto right = StartInstance(Dir("i"), "inst-1", 1);
  ASSERT_NE(right, nullptr);
  EXPECT_TRUE(right->Alive());
}

TEST_F(InstanceTest, AManufacturedInstanceWithoutItsStateIsNotReplacedByANewTpm) {
  const fs::path state_file = Dir("i") / "state" / "tpm2-00.permall";
  {
    auto instance = StartInstance(Dir("i"), "inst-1", 1);
    ASSERT_NE(instance, nullptr);
    ASSERT_EQ(Manufacture(*instance).size(), 2U);
  }
  const fs::path aside = tmp_.path() / "permall";
  fs::rename(state_file, aside);
  auto lost =
      VtpmInstance::Start({.id = "inst-1", .dir = Dir("i"), .state_key = testing::StateKey(1), .expect_state = true});
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(lost.error().message().find("lost its state"), std::string::npos) << lost.error().message();
  EXPECT_FALSE(SwtpmProcess::Serving(Dir("i") / "swtpm.sock"));
  EXPECT_FALSE(fs::exists(state_file));

  // Nor when the state goes while it runs and its swtpm then crashes.
  fs::rename(aside, state_file);
  auto running =
      VtpmInstance::Start({.id = "inst-1", .dir = Dir("i"), .state_key = testing::StateKey(1), .expect_state = true});
  ASSERT_TRUE(running.ok()) << running.error().message();
  fs::remove(state_file);
  const std::optional<pid_t> pid = (*running)->pid();
  ASSERT_TRUE(pid.has_value());
  ASSERT_EQ(::kill(*pid, SIGKILL), 0);
  AwaitDeath(**running);
  auto restarted = (*running)->RestartIfCrashed();
  ASSERT_FALSE(restarted.ok());
  EXPECT_EQ(restarted.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_FALSE((*running)->Alive());
  EXPECT_FALSE(fs::exists(state_file));
}

TEST_F(InstanceTest, StateOnDiskIsNotPlaintext) {
  auto instance = StartInstance(Dir("i"), "inst-1", 1);
  ASSERT_NE(instance, nullptr);
  std::vector<ProvisionedEk> eks = Manufacture(*instance);
  ASSERT_EQ(eks.size(), 2U);
  ASSERT_TRUE(instance->Stop().ok());

  const TPM2B_PUBLIC_KEY_RSA& modulus = eks[0].public_area.publicArea.unique.rsa;
  ASSERT_EQ(modulus.size, 256U);
  const Bytes modulus_part(modulus.buffer, modulus.buffer + 32);
  const Bytes cert_part(certifier_.certificate(EkAlgorithm::kEccP256).end() - 64,
                        certifier_.certificate(EkAlgorithm::kEccP256).end());
  std::size_t scanned = 0;
  for (const auto& entry : fs::recursive_directory_iterator(Dir("i"))) {
    if (!entry.is_regular_file()) continue;
    const Bytes contents = ReadFileBytes(entry.path());
    scanned += contents.size();
    EXPECT_FALSE(Contains(contents, AsBytes(testing::kCertMarker))) << entry.path();
    EXPECT_FALSE(Contains(contents, cert_part)) << entry.path();
    EXPECT_FALSE(Contains(contents, modulus_part)) << entry.path();
  }
  // The NV contents are in there, only encrypted.
  EXPECT_GT(fs::file_size(Dir("i") / "state" / "tpm2-00.permall"), 1500U);
  EXPECT_GT(scanned, 1500U);
}

TEST_F(InstanceTest, ManufactureRefusesBadRequestsAndReportsCertifierFailures) {
  auto instance = StartInstance(Dir("i"), "inst-1", 1);
  ASSERT_NE(instance, nullptr);
  auto none = instance->Manufacture({}, certifier_.certifier());
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code(), ErrorCode::kInvalidArgument);
  auto twice = instance->Manufacture({EkAlgorithm::kEccP256, EkAlgorithm::kEccP256}, certifier_.certifier());
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().code(), ErrorCode::kInvalidArgument);
  auto no_certifier = instance->Manufacture(BothAlgorithms(), EkCertifier());
  ASSERT_FALSE(no_certifier.ok());
  EXPECT_EQ(no_certifier.error().code(), ErrorCode::kInvalidArgument);

  auto refused = instance->Manufacture(BothAlgorithms(), [](EkAlgorithm, const TPM2B_PUBLIC&) -> Result<Bytes> {
    return PermissionDenied("EK authority is offline");
  });
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), ErrorCode::kPermissionDenied);
  EXPECT_NE(refused.error().message().find("certifying the rsa2048 EK"), std::string::npos);
  EXPECT_NE(refused.error().message().find("inst-1"), std::string::npos);
  auto empty = instance->Manufacture({EkAlgorithm::kEccP256},
                                     [](EkAlgorithm, const TPM2B_PUBLIC&) -> Result<Bytes> { return Bytes{}; });
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code(), ErrorCode::kInternal);

  // Nothing is left half-done that a later manufacture cannot finish.
  EXPECT_EQ(Manufacture(*instance).size(), 2U);
  EXPECT_EQ(NvRead(instance->backend_tcti(), 0x01c0000a), certifier_.certificate(EkAlgorithm::kEccP256));
}

TEST_F(InstanceTest, ManufactureNeedsARunningInstance) {
  auto instance = StartInstance(Dir("i"), "inst-1", 1);
  ASSERT_NE(instance, nullptr);
  ASSERT_TRUE(instance->Stop().ok());
  auto eks = instance->Manufacture(BothAlgorithms(), certifier_.certifier());
  ASSERT_FALSE(eks.ok());
  EXPECT_EQ(eks.error().code(), ErrorCode::kFailedPrecondition);
}

// Holds one of swtpm's sockets the way a connected relay does.
class SocketHolder {
 public:
  explicit SocketHolder(const fs::path& path) : fd_(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    connected_ = ::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  SocketHolder(const SocketHolder&) = delete;
  SocketHolder& operator=(const SocketHolder&) = delete;
  ~SocketHolder() { ::close(fd_); }
  bool connected() const { return connected_; }

 private:
  int fd_;
  bool connected_ = false;
};

TEST_F(InstanceTest, ManufactureRefusesABackendHeldByAnotherClient) {
  auto instance = VtpmInstance::Start({.id = "inst-1",
                                       .dir = Dir("i"),
                                       .state_key = testing::StateKey(1),
                                       .backend_timeout = std::chrono::milliseconds(300)});
  ASSERT_TRUE(instance.ok()) << instance.error().message();
  // The guest's PCRs show whether the TPM was reset behind its back.
  const std::string tcti = (*instance)->backend_tcti();
  ASSERT_TRUE(RunTool(tcti, work_, "startup -c"));
  ASSERT_TRUE(RunTool(tcti, work_, "pcrextend 16:sha256=" + std::string(64, 'a')));
  const Bytes extended = ToolOutput(tcti, work_, "pcrread sha256:16 -o pcr.bin", "pcr.bin");
  ASSERT_EQ(extended.size(), 32U);
  ASSERT_NE(extended, Bytes(32, 0));
  for (const fs::path& socket : {(*instance)->backend_socket(), (*instance)->backend_control_socket()}) {
    {
      SocketHolder holder(socket);
      ASSERT_TRUE(holder.connected());
      // swtpm accepts in arrival order: Manufacture queues behind the holder.
      auto eks = (*instance)->Manufacture(BothAlgorithms(), certifier_.certifier());
      ASSERT_FALSE(eks.ok()) << socket;
      EXPECT_EQ(eks.error().code(), ErrorCode::kUnavailable) << eks.error().message();
    }
    EXPECT_EQ(ToolOutput(tcti, work_, "pcrread sha256:16 -o pcr.bin", "pcr.bin"), extended) << socket;
  }
  EXPECT_EQ(Manufacture(**instance).size(), 2U);  // once the holders are gone
}

TEST_F(InstanceTest, StopRestartAndCrashRecovery) {
  auto instance = StartInstance(Dir("i"), "inst-1", 1);
  ASSERT_NE(instance, nullptr);
  ASSERT_TRUE(instance->Stop().ok());
  ASSERT_TRUE(instance->Stop().ok());
  EXPECT_EQ(instance->pid(), std::nullopt);
  auto restarted = instance->RestartIfCrashed();
  ASSERT_TRUE(restarted.ok());
  EXPECT_FALSE(*restarted);  // a deliberate stop is not undone
  EXPECT_FALSE(instance->Alive());

  ASSERT_TRUE(instance->Restart().ok());
  ASSERT_TRUE(instance->Restart().ok());  // no-op while running
  const std::optional<pid_t> pid = instance->pid();
  ASSERT_TRUE(pid.has_value());
  ASSERT_EQ(::kill(*pid, SIGKILL), 0);
  AwaitDeath(*instance);
  EXPECT_TRUE(instance->Crashed());
  restarted = instance->RestartIfCrashed();
  ASSERT_TRUE(restarted.ok()) << restarted.error().message();
  EXPECT_TRUE(*restarted);
  EXPECT_TRUE(instance->Alive());
  EXPECT_NE(instance->pid(), pid);
}

TEST_F(InstanceTest, OutlivesTheThreadThatStartedIt) {
  std::unique_ptr<VtpmInstance> instance;
  std::thread worker([&] { instance = StartInstance(Dir("i"), "inst-1", 1); });
  worker.join();
  ASSERT_NE(instance, nullptr);
  // Enough round trips for a parent-death signal tied to the worker to land.
  const std::string tcti = instance->backend_tcti();
  EXPECT_TRUE(RunTool(tcti, work_, "startup -c"));
  EXPECT_TRUE(RunTool(tcti, work_, "getrandom 8 --hex"));
  EXPECT_TRUE(instance->Alive());
}

TEST_F(InstanceTest, DestroyStateRemovesEverythingOnceStopped) {
  auto instance = StartInstance(Dir("i"), "inst-1", 1);
  ASSERT_NE(instance, nullptr);
  std::vector<ProvisionedEk> eks = Manufacture(*instance);
  ASSERT_EQ(eks.size(), 2U);
  Status busy = VtpmInstance::DestroyState(Dir("i"));
  ASSERT_FALSE(busy.ok());
  EXPECT_EQ(busy.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_TRUE(instance->Alive());

  ASSERT_TRUE(instance->Stop().ok());
  ASSERT_TRUE(VtpmInstance::DestroyState(Dir("i")).ok());
  EXPECT_FALSE(fs::exists(Dir("i")));
  EXPECT_TRUE(VtpmInstance::DestroyState(Dir("i")).ok());
  EXPECT_EQ(VtpmInstance::DestroyState("").error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(VtpmInstance::DestroyState("/").error().code(), ErrorCode::kInvalidArgument);

  // The same directory and key now make a new TPM, with new seeds.
  auto fresh = StartInstance(Dir("i"), "inst-1", 1);
  ASSERT_NE(fresh, nullptr);
  std::vector<ProvisionedEk> fresh_eks = Manufacture(*fresh);
  ASSERT_EQ(fresh_eks.size(), 2U);
  EXPECT_NE(fresh_eks[0].name, eks[0].name);
  EXPECT_NE(fresh_eks[1].name, eks[1].name);
}

TEST_F(InstanceTest, TwoInstancesRunSideBySideWithTheirOwnEks) {
  auto a = StartInstance(Dir("a"), "inst-a", 1);
  auto b = StartInstance(Dir("b"), "inst-b", 2);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  testing::TestCertifier certifier_b;
  certifier_b.Set(EkAlgorithm::kRsa2048, testing::CertBlob(EkAlgorithm::kRsa2048, 900, 7));
  std::vector<ProvisionedEk> eks_a = Manufacture(*a);
  std::vector<ProvisionedEk> eks_b = Manufacture(*b, certifier_b);
  ASSERT_EQ(eks_a.size(), 2U);
  ASSERT_EQ(eks_b.size(), 2U);
  EXPECT_NE(eks_a[0].name, eks_b[0].name);
  EXPECT_NE(eks_a[1].name, eks_b[1].name);
  EXPECT_EQ(NvRead(a->backend_tcti(), 0x01c00002), certifier_.certificate(EkAlgorithm::kRsa2048));
  EXPECT_EQ(NvRead(b->backend_tcti(), 0x01c00002), certifier_b.certificate(EkAlgorithm::kRsa2048));
  EXPECT_EQ(ToolOutput(b->backend_tcti(), work_, "readpublic -c 0x81010001 -n ek.name", "ek.name"), eks_b[0].name);
  ASSERT_TRUE(a->Stop().ok());
  EXPECT_TRUE(b->Alive());
}

TEST_F(InstanceTest, StartRefusesBadOptions) {
  auto no_id = VtpmInstance::Start({.id = "", .dir = Dir("i"), .state_key = testing::StateKey(1)});
  ASSERT_FALSE(no_id.ok());
  EXPECT_EQ(no_id.error().code(), ErrorCode::kInvalidArgument);
  auto no_dir = VtpmInstance::Start({.id = "x", .dir = "", .state_key = testing::StateKey(1)});
  ASSERT_FALSE(no_dir.ok());
  EXPECT_EQ(no_dir.error().code(), ErrorCode::kInvalidArgument);
  auto short_key = VtpmInstance::Start({.id = "x", .dir = Dir("i"), .state_key = SecretBytes(16)});
  ASSERT_FALSE(short_key.ok());
  EXPECT_EQ(short_key.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_FALSE(fs::exists(Dir("i")));
}

}  // namespace
}  // namespace vtpmd::vtpm
