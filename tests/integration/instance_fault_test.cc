// The issue's "bad input" faults end to end: a swtpm that will not start and a full
// disk. Each must give a clear error, leave the other instances running and lose
// nothing. Every test runs its own vtpmd, since it damages that vtpmd's data directory.

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

#include "core/bytes.h"
#include "core/file_io.h"
#include "core/unique_fd.h"
#include "tests/integration/test_server.h"

namespace vtpmd::testing {
namespace {

namespace fs = std::filesystem;

constexpr char kFastEks[] = R"(,"ek_algorithms":["ecc-nist-p256"])";
constexpr char kEccEkHandle[] = "0x81010002";

std::string Text(const boost::json::value& v, std::string_view key) {
  const auto* field = v.is_object() ? v.as_object().if_contains(key) : nullptr;
  return field != nullptr && field->is_string() ? std::string(field->as_string()) : std::string();
}

std::string Tcti(const boost::json::value& instance) { return Text(instance.as_object().at("attach"), "tcti"); }

std::string Eks(const boost::json::value& instance) {
  return boost::json::serialize(instance.as_object().at("endorsement_keys"));
}

// The pids of the swtpm processes whose command line names `dir`: none once its
// instance is stopped or has failed.
std::vector<std::string> SwtpmsFor(const fs::path& dir) {
  std::vector<std::string> pids;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string pid = entry.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    auto cmdline = ReadSmallFile(entry.path() / "cmdline", 1 << 16);
    if (!cmdline.ok()) continue;  // exited meanwhile
    std::replace(cmdline->begin(), cmdline->end(), '\0', ' ');
    if (cmdline->find("swtpm") != std::string::npos && cmdline->find(dir.string()) != std::string::npos) {
      pids.push_back(pid);
    }
  }
  return pids;
}

// A guest's vTPM answering through vtpmd's relay.
CommandResult GetRandom(const std::string& tcti) {
  return RunCommand("timeout 20 tpm2_getrandom -T " + tcti + " 8 --hex");
}

// The name of the ECC EK a guest finds in its vTPM after TPM2_Startup, as firmware
// sends it after a (re)start; hex, like the record's "name".
std::string EkNameSeenByGuest(const std::string& tcti, const fs::path& dir) {
  RunCommand("timeout 20 tpm2_startup -c -T " + tcti);
  const fs::path name = dir / "ek.name";
  fs::remove(name);
  CommandResult read =
      RunCommand("timeout 20 tpm2_readpublic -T " + tcti + " -c " + kEccEkHandle + " -n " + name.string());
  auto bytes = ReadSmallFile(name, 1 << 10);
  if (read.exit_code != 0 || !bytes.ok()) return "readpublic failed: " + read.output;
  return HexEncode(AsBytes(*bytes));
}

std::string RecordedEkName(const boost::json::value& instance) {
  const auto& eks = instance.as_object().at("endorsement_keys").as_array();
  return eks.empty() ? std::string() : Text(eks[0], "name");
}

// A problem document whose detail an operator can act on (a 500's is generic).
void ExpectProblem(const JsonReply& reply, unsigned status, std::string_view detail_part) {
  EXPECT_EQ(reply.status, status) << reply.raw;
  EXPECT_EQ(reply.content_type, "application/problem+json") << reply.raw;
  EXPECT_NE(Text(reply.body, "detail").find(detail_part), std::string::npos) << reply.raw;
}

class InstanceFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    scratch_ = MakeTempDir("vtpmd-fault");
    ASSERT_FALSE(scratch_.empty());
  }

  void TearDown() override {
    StopServer();
    std::filesystem::remove_all(scratch_);
  }

  void StopServer() {
    if (server_) {
      EXPECT_EQ(server_->Stop(), 0) << "vtpmd must still shut down cleanly\n" << server_->log();
    }
    server_.reset();
  }

  fs::path data_dir() const { return scratch_ / "data"; }
  fs::path InstanceDir(const std::string& id) const { return data_dir() / "instances" / id; }
  fs::path StateFile(const std::string& id) const { return InstanceDir(id) / "state" / "tpm2-00.permall"; }

  void StartServer() {
    auto started = VtpmdProcess::Start(data_dir());
    ASSERT_TRUE(started.ok()) << started.error().message();
    server_ = std::move(*started);
  }

  JsonReply Api(std::string_view method, const std::string& target, std::string_view body = "") {
    return Call(*server_, method, target, server_->admin_token(), body);
  }

  boost::json::value Instance(const std::string& id) { return Api("GET", "/v1/instances/" + id).body; }

  // Polls until the instance's status is no longer `from`; its last state.
  boost::json::value WaitWhile(const std::string& id, std::string_view from) {
    boost::json::value instance;
    for (int i = 0; i < 600; ++i) {
      instance = Instance(id);
      if (Text(instance, "status") != from) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return instance;
  }

  std::string CreateRunning(const std::string& vm_id) {
    JsonReply created = Api("POST", "/v1/instances", "{\"vm_id\":\"" + vm_id + "\"" + kFastEks + "}");
    EXPECT_EQ(created.status, 202u) << created.raw;
    const std::string id = Text(created.body, "id");
    if (id.empty()) return id;
    const boost::json::value instance = WaitWhile(id, "provisioning");
    EXPECT_EQ(Text(instance, "status"), "running") << boost::json::serialize(instance);
    return id;
  }

  void ExpectHealthy() {
    EXPECT_EQ(Call(*server_, "GET", "/healthz").status, 200u);
    EXPECT_EQ(Api("GET", "/v1/instances").status, 200u);
  }

  fs::path scratch_;
  std::unique_ptr<VtpmdProcess> server_;
};

// ---------------------------------------------------------------------------
// A swtpm that will not start. Starting is synchronous: POST .../start answers
// once swtpm runs, or with the reason it does not.

Status Overwrite(const fs::path& path, std::string_view contents) {
  const UniqueFd fd(::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
  if (!fd.valid() || ::write(fd.get(), contents.data(), contents.size()) != static_cast<ssize_t>(contents.size())) {
    return Internal("writing " + path.string() + ": " + std::strerror(errno));
  }
  return Ok();
}

// Bytes of the same size that no state key decrypts: a damaged disk or a bad restore.
std::string Garbage(std::size_t size) {
  std::string out(size, '\0');
  for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<char>((i * 131 + 7) & 0xff);
  return out;
}

TEST_F(InstanceFaultTest, ASwtpmThatWillNotStartIsAClearErrorAndDisturbsNothing) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  const std::string a = CreateRunning("a1a1a1a1-0000-4000-8000-000000000001");
  const std::string b = CreateRunning("b2b2b2b2-0000-4000-8000-000000000002");
  ASSERT_FALSE(a.empty());
  ASSERT_FALSE(b.empty());
  const boost::json::value a_before = Instance(a);
  const std::string b_tcti = Tcti(Instance(b));
  ASSERT_EQ(Api("POST", "/v1/instances/" + a + "/stop").status, 200u);

  auto state = ReadSmallFile(StateFile(a), 1 << 20);
  ASSERT_TRUE(state.ok()) << state.error().message();
  ASSERT_TRUE(Overwrite(StateFile(a), Garbage(state->size())).ok());

  const auto asked = std::chrono::steady_clock::now();
  JsonReply started = Api("POST", "/v1/instances/" + a + "/start");
  EXPECT_LT(std::chrono::steady_clock::now() - asked, std::chrono::seconds(10)) << "a start must not hang";
  ExpectProblem(started, 503, "swtpm exited during start-up");
  EXPECT_NE(Text(started.body, "detail").find("damaged state files"), std::string::npos) << started.raw;

  // Nothing lost, nothing left behind: A is as it was, only stopped; B never noticed.
  const boost::json::value a_after = Instance(a);
  EXPECT_EQ(Text(a_after, "status"), "stopped");
  EXPECT_EQ(Eks(a_after), Eks(a_before));
  EXPECT_EQ(SwtpmsFor(InstanceDir(a)), std::vector<std::string>{}) << "an orphan swtpm serves A";
  EXPECT_EQ(Text(Instance(b), "status"), "running");
  CommandResult b_random = GetRandom(b_tcti);
  EXPECT_EQ(b_random.exit_code, 0) << b_random.output;
  ExpectHealthy();

  // Its state restored, A is the same TPM again.
  ASSERT_TRUE(Overwrite(StateFile(a), *state).ok());
  JsonReply restarted = Api("POST", "/v1/instances/" + a + "/start");
  ASSERT_EQ(restarted.status, 200u) << restarted.raw;
  EXPECT_EQ(EkNameSeenByGuest(Tcti(a_after), scratch_), RecordedEkName(a_before));
}

TEST_F(InstanceFaultTest, LostStateIsRefusedRatherThanReplacedByANewTpm) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  const std::string a = CreateRunning("a1a1a1a1-0000-4000-8000-000000000003");
  ASSERT_FALSE(a.empty());
  const boost::json::value before = Instance(a);
  ASSERT_EQ(Api("POST", "/v1/instances/" + a + "/stop").status, 200u);
  const fs::path aside = scratch_ / "permall";
  fs::rename(StateFile(a), aside);

  // swtpm would start happily on no state: as a new TPM, without the EKs the record
  // and its certificates vouch for.
  ExpectProblem(Api("POST", "/v1/instances/" + a + "/start"), 409, "lost its state");
  EXPECT_EQ(Text(Instance(a), "status"), "stopped");
  EXPECT_EQ(Eks(Instance(a)), Eks(before));
  EXPECT_EQ(SwtpmsFor(InstanceDir(a)), std::vector<std::string>{});
  EXPECT_FALSE(fs::exists(StateFile(a))) << "no new TPM state was made";

  fs::rename(aside, StateFile(a));
  ASSERT_EQ(Api("POST", "/v1/instances/" + a + "/start").status, 200u);
  EXPECT_EQ(EkNameSeenByGuest(Tcti(before), scratch_), RecordedEkName(before));
}

TEST_F(InstanceFaultTest, DamagedStateAtRestartFailsOnlyThatInstanceAndARetryIsClean) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  const std::string a = CreateRunning("a1a1a1a1-0000-4000-8000-000000000004");
  const std::string b = CreateRunning("b2b2b2b2-0000-4000-8000-000000000005");
  ASSERT_FALSE(a.empty());
  ASSERT_FALSE(b.empty());
  const boost::json::value a_before = Instance(a);
  const boost::json::value b_before = Instance(b);
  ASSERT_EQ(server_->Stop(), 0);
  server_.reset();

  auto state = ReadSmallFile(StateFile(a), 1 << 20);
  ASSERT_TRUE(state.ok()) << state.error().message();
  ASSERT_TRUE(Overwrite(StateFile(a), Garbage(state->size())).ok());
  ASSERT_NO_FATAL_FAILURE(StartServer());

  // vtpmd brings instances back in the background: A ends "failed", saying why.
  boost::json::value a_failed = WaitWhile(a, "starting");
  EXPECT_EQ(Text(a_failed, "status"), "failed");
  EXPECT_NE(Text(a_failed, "status_detail").find("damaged state files"), std::string::npos)
      << boost::json::serialize(a_failed);
  EXPECT_EQ(Eks(a_failed), Eks(a_before));
  EXPECT_EQ(SwtpmsFor(InstanceDir(a)), std::vector<std::string>{});
  EXPECT_EQ(Text(WaitWhile(b, "starting"), "status"), "running");
  EXPECT_EQ(EkNameSeenByGuest(Tcti(b_before), scratch_), RecordedEkName(b_before));
  ExpectHealthy();

  // start retries: it fails the same way, and leaves no swtpm behind.
  JsonReply retried = Api("POST", "/v1/instances/" + a + "/start");
  EXPECT_EQ(retried.status, 200u) << retried.raw;
  a_failed = WaitWhile(a, "provisioning");
  EXPECT_EQ(Text(a_failed, "status"), "failed");
  EXPECT_NE(Text(a_failed, "status_detail").find("damaged state files"), std::string::npos)
      << boost::json::serialize(a_failed);
  EXPECT_EQ(SwtpmsFor(InstanceDir(a)), std::vector<std::string>{});

  // Once the state is restored, a retry brings back the same TPM and certificates.
  ASSERT_TRUE(Overwrite(StateFile(a), *state).ok());
  ASSERT_EQ(Api("POST", "/v1/instances/" + a + "/start").status, 200u);
  const boost::json::value a_again = WaitWhile(a, "provisioning");
  EXPECT_EQ(Text(a_again, "status"), "running") << boost::json::serialize(a_again);
  EXPECT_EQ(Eks(a_again), Eks(a_before));
  EXPECT_EQ(EkNameSeenByGuest(Tcti(a_before), scratch_), RecordedEkName(a_before));
}

// ---------------------------------------------------------------------------
// A full disk: the data directory on a small tmpfs, filled by a file of our own.

class FullDiskTest : public InstanceFaultTest {
 protected:
  void SetUp() override {
    InstanceFaultTest::SetUp();
    fs::create_directories(data_dir());
    // vtpmd starts in well under 1 MiB; the rest is room for instances and the filler.
    CommandResult mounted = RunCommand("mount -t tmpfs -o size=64m,mode=0700 tmpfs " + data_dir().string());
    ASSERT_EQ(mounted.exit_code, 0) << "this test needs to mount a tmpfs (run it as root): " << mounted.output;
    mounted_ = true;
  }

  void TearDown() override {
    fs::remove(filler());
    StopServer();  // first: it holds files on the tmpfs
    if (mounted_) {
      CommandResult unmounted = RunCommand("umount -l " + data_dir().string());
      EXPECT_EQ(unmounted.exit_code, 0) << unmounted.output;
    }
    InstanceFaultTest::TearDown();
  }

  fs::path filler() const { return data_dir() / "filler"; }

  std::uint64_t FreeBytes() const {
    struct statvfs info {};
    if (::statvfs(data_dir().c_str(), &info) != 0) return ~std::uint64_t{0};
    return std::uint64_t{info.f_bavail} * info.f_frsize;
  }

  // Writes the filler until the file system refuses even one more byte, then gives
  // back `leave` bytes.
  void FillDisk(off_t leave = 0) {
    const UniqueFd fd(::open(filler().c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    ASSERT_TRUE(fd.valid()) << std::strerror(errno);
    const std::string block(1 << 20, 'f');
    std::size_t chunk = block.size();
    off_t size = 0;
    while (true) {
      const ssize_t n = ::write(fd.get(), block.data(), chunk);
      if (n > 0) {
        size += n;
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      ASSERT_EQ(errno, ENOSPC) << std::strerror(errno);
      if (chunk == 1) break;
      chunk /= 2;
    }
    ASSERT_EQ(FreeBytes(), 0u);
    if (leave > 0) {
      ASSERT_EQ(::ftruncate(fd.get(), size - leave), 0) << std::strerror(errno);
    }
  }

  bool mounted_ = false;
};

TEST_F(FullDiskTest, CreatingOnAFullDiskIsAClearErrorAndLosesNothing) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  const std::string first = CreateRunning("c3c3c3c3-0000-4000-8000-000000000001");
  ASSERT_FALSE(first.empty());
  const boost::json::value first_before = Instance(first);
  const std::string tcti = Tcti(first_before);
  const std::string second_body = std::string(R"({"vm_id":"d4d4d4d4-0000-4000-8000-000000000002")") + kFastEks + "}";

  ASSERT_NO_FATAL_FAILURE(FillDisk());
  const auto asked = std::chrono::steady_clock::now();
  JsonReply refused = Api("POST", "/v1/instances", second_body);
  EXPECT_LT(std::chrono::steady_clock::now() - asked, std::chrono::seconds(10)) << "a create must not hang";
  // The store cannot record the instance, so nothing of it exists: no 202 to poll.
  ExpectProblem(refused, 503, "file system is full");
  EXPECT_NE(Text(refused.body, "detail").find("disk is full"), std::string::npos) << refused.raw;

  // The running instance is unaffected, and so is everything that only reads.
  CommandResult random = GetRandom(tcti);
  EXPECT_EQ(random.exit_code, 0) << random.output;
  JsonReply listed = Api("GET", "/v1/instances");
  ASSERT_EQ(listed.status, 200u);
  ASSERT_EQ(listed.body.as_object().at("instances").as_array().size(), 1u) << listed.raw;
  EXPECT_EQ(Text(Instance(first), "status"), "running");
  ExpectHealthy();

  // A change the store cannot record is not made: the instance keeps running as recorded.
  ExpectProblem(Api("POST", "/v1/instances/" + first + "/stop"), 503, "file system is full");
  EXPECT_EQ(Text(Instance(first), "status"), "running");
  random = GetRandom(tcti);
  EXPECT_EQ(random.exit_code, 0) << random.output;

  // With room again, the same VM gets its vTPM: nothing half-made is in the way.
  fs::remove(filler());
  JsonReply created = Api("POST", "/v1/instances", second_body);
  ASSERT_EQ(created.status, 202u) << created.raw;
  const std::string second = Text(created.body, "id");
  EXPECT_EQ(Text(WaitWhile(second, "provisioning"), "status"), "running");
  const boost::json::value second_before = Instance(second);

  ASSERT_TRUE(server_->Restart().ok()) << server_->log();
  for (const auto* before : {&first_before, &second_before}) {
    const std::string id = Text(*before, "id");
    const boost::json::value after = WaitWhile(id, "starting");
    EXPECT_EQ(Text(after, "status"), "running") << boost::json::serialize(after);
    EXPECT_EQ(Eks(after), Eks(*before));
    EXPECT_EQ(EkNameSeenByGuest(Tcti(after), scratch_), RecordedEkName(*before)) << id;
    random = GetRandom(Tcti(after));
    EXPECT_EQ(random.exit_code, 0) << random.output;
  }
}

TEST_F(FullDiskTest, ManufactureCutShortByAFullDiskEndsFailedAndCanBeDeleted) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  const std::string first = CreateRunning("c3c3c3c3-0000-4000-8000-000000000003");
  ASSERT_FALSE(first.empty());
  const std::string tcti = Tcti(Instance(first));

  // A little room left lets the record in, and the disk runs out at some point of the
  // manufacture: swtpm's state writes, the EK' certificate, the final record or the
  // record of the failure itself. Whichever it is, the outcome must be clear.
  std::vector<std::string> made;
  int vm = 0;
  int cut_short = 0;
  for (const off_t leave_kib : {4, 8, 12, 16, 24, 32, 48, 64, 96, 128}) {
    SCOPED_TRACE("left " + std::to_string(leave_kib) + " KiB free");
    ASSERT_NO_FATAL_FAILURE(FillDisk(leave_kib * 1024));
    char vm_id[40];
    std::snprintf(vm_id, sizeof(vm_id), "e5e5e5e5-0000-4000-8000-%012d", ++vm);
    JsonReply created = Api("POST", "/v1/instances", "{\"vm_id\":\"" + std::string(vm_id) + "\"" + kFastEks + "}");
    if (created.status == 503) {
      ExpectProblem(created, 503, "file system is full");
    } else {
      ASSERT_EQ(created.status, 202u) << created.raw;
      made.push_back(Text(created.body, "id"));
      const boost::json::value settled = WaitWhile(made.back(), "provisioning");
      const std::string status = Text(settled, "status");
      if (status != "running") {
        ++cut_short;
        EXPECT_EQ(status, "failed") << boost::json::serialize(settled);
        EXPECT_NE(Text(settled, "status_detail").find("file system is full"), std::string::npos)
            << boost::json::serialize(settled);
        EXPECT_EQ(SwtpmsFor(InstanceDir(made.back())), std::vector<std::string>{}) << "its swtpm was left running";
      }
    }
    CommandResult random = GetRandom(tcti);
    EXPECT_EQ(random.exit_code, 0) << random.output;
    ExpectHealthy();
    fs::remove(filler());
  }
  EXPECT_GT(cut_short, 0) << "no manufacture ran out of disk: the amounts left free need adjusting";

  for (const std::string& id : made) {
    JsonReply deleted = Api("DELETE", "/v1/instances/" + id);
    EXPECT_EQ(deleted.status, 204u) << deleted.raw;
    EXPECT_EQ(Api("GET", "/v1/instances/" + id).status, 404u);
    EXPECT_FALSE(fs::exists(InstanceDir(id)));
  }
  EXPECT_FALSE(CreateRunning("e5e5e5e5-0000-4000-8000-000000000001").empty()) << "the VM can have a vTPM again";
  EXPECT_EQ(Text(Instance(first), "status"), "running");
}

}  // namespace
}  // namespace vtpmd::testing
