#include "vtpm/instance_supervisor.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <condition_variable>
#include <mutex>

#include "tests/unit/vtpm/instance_test_support.h"
#include "tests/unit/vtpm/test_support.h"
#include "vtpm/instance_process.h"

namespace vtpmd::vtpm {
namespace {

namespace fs = std::filesystem;
using testing::BothAlgorithms;
using testing::Marshal;
using testing::RunTool;
using testing::ToolOutput;

// Records events from the supervisor thread; tests wait for them.
class EventRecorder {
 public:
  InstanceEventCallback callback() {
    return [this](const std::string& id, InstanceEvent event) {
      std::lock_guard lock(mu_);
      events_[id].push_back(event);
      cv_.notify_all();
    };
  }

  // The first `count` events for `id`. The deadline only keeps a broken
  // supervisor from hanging the test; nothing is measured against it.
  std::vector<InstanceEvent> WaitFor(const std::string& id, std::size_t count) {
    std::unique_lock lock(mu_);
    const bool arrived = cv_.wait_for(lock, std::chrono::seconds(60), [&] { return events_[id].size() >= count; });
    EXPECT_TRUE(arrived) << "only " << events_[id].size() << " events for " << id;
    std::vector<InstanceEvent> out = events_[id];
    out.resize(std::min(out.size(), count));
    return out;
  }

  std::vector<InstanceEvent> Seen(const std::string& id) {
    std::lock_guard lock(mu_);
    return events_[id];
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::vector<InstanceEvent>> events_;
};

SupervisorOptions FastOptions() {
  SupervisorOptions options;
  options.poll_interval = std::chrono::milliseconds(10);
  options.initial_backoff = std::chrono::milliseconds(1);
  options.max_backoff = std::chrono::milliseconds(20);
  options.max_restart_attempts = 3;
  return options;
}

class SupervisorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    work_ = tmp_.path() / "work";
    fs::create_directory(work_);
    auto supervisor = InstanceSupervisor::Start(FastOptions(), recorder_.callback());
    ASSERT_TRUE(supervisor.ok()) << supervisor.error().message();
    supervisor_ = std::move(supervisor).value();
  }

  std::shared_ptr<VtpmInstance> Supervised(const std::string& id, std::uint64_t seed) {
    std::shared_ptr<VtpmInstance> instance = testing::StartInstance(tmp_.path() / id, id, seed);
    if (instance == nullptr) return nullptr;
    Status added = supervisor_->Add(instance);
    EXPECT_TRUE(added.ok()) << added.error().message();
    return instance;
  }

  static void Kill(VtpmInstance& instance) {
    const std::optional<pid_t> pid = instance.pid();
    ASSERT_TRUE(pid.has_value());
    ASSERT_EQ(::kill(*pid, SIGKILL), 0);
  }

  testing::TempDir tmp_;
  fs::path work_;
  testing::TestCertifier certifier_;
  EventRecorder recorder_;
  std::unique_ptr<InstanceSupervisor> supervisor_;
};

using Events = std::vector<InstanceEvent>;

TEST_F(SupervisorTest, RestartsAKilledInstanceOnItsState) {
  std::shared_ptr<VtpmInstance> instance = Supervised("inst-1", 1);
  ASSERT_NE(instance, nullptr);
  auto eks = instance->Manufacture(BothAlgorithms(), certifier_.certifier());
  ASSERT_TRUE(eks.ok()) << eks.error().message();
  const std::optional<pid_t> before = instance->pid();

  Kill(*instance);
  EXPECT_EQ(recorder_.WaitFor("inst-1", 2), (Events{InstanceEvent::kCrashed, InstanceEvent::kRestarted}));
  EXPECT_TRUE(instance->Alive());
  EXPECT_NE(instance->pid(), before);

  const std::string tcti = instance->backend_tcti();
  ASSERT_TRUE(RunTool(tcti, work_, "startup -c"));
  EXPECT_EQ(ToolOutput(tcti, work_, "readpublic -c 0x81010001 -o ek.pub", "ek.pub"), Marshal((*eks)[0].public_area));
  EXPECT_EQ(ToolOutput(tcti, work_, "readpublic -c 0x81010002 -n ek.name", "ek.name"), (*eks)[1].name);
  ASSERT_TRUE(RunTool(tcti, work_, "getekcertificate -o rsa.der -o ecc.der"));
  EXPECT_EQ(testing::ReadFileBytes(work_ / "rsa.der"), certifier_.certificate(EkAlgorithm::kRsa2048));
}

TEST_F(SupervisorTest, DeliberateStopIsNotACrash) {
  std::shared_ptr<VtpmInstance> stopped = Supervised("a-stopped", 1);
  std::shared_ptr<VtpmInstance> killed = Supervised("b-killed", 2);
  ASSERT_NE(stopped, nullptr);
  ASSERT_NE(killed, nullptr);
  ASSERT_TRUE(stopped->Stop().ok());
  Kill(*killed);
  // Sweeps visit ids in order and the restart happens a sweep after the crash
  // was seen, so "a-stopped" has been checked after its Stop() by then.
  EXPECT_EQ(recorder_.WaitFor("b-killed", 2), (Events{InstanceEvent::kCrashed, InstanceEvent::kRestarted}));
  EXPECT_EQ(recorder_.Seen("a-stopped"), Events{});
  EXPECT_FALSE(stopped->Alive());
}

TEST_F(SupervisorTest, GivesUpAfterBoundedRestartAttemptsAndWatchesAgainOnceRunning) {
  std::shared_ptr<VtpmInstance> instance = Supervised("inst-1", 1);
  ASSERT_NE(instance, nullptr);
  ASSERT_TRUE(instance->Manufacture(BothAlgorithms(), certifier_.certifier()).ok());
  const fs::path state = tmp_.path() / "inst-1" / "state" / "tpm2-00.permall";
  const Bytes good_state = testing::ReadFileBytes(state);
  ASSERT_FALSE(good_state.empty());
  testing::WriteFileBytes(state, Bytes(good_state.size(), 0x5a));  // undecryptable

  Kill(*instance);
  EXPECT_EQ(recorder_.WaitFor("inst-1", 4), (Events{InstanceEvent::kCrashed, InstanceEvent::kRestartFailed,
                                                    InstanceEvent::kRestartFailed, InstanceEvent::kRestartFailed}));
  EXPECT_FALSE(instance->Alive());
  EXPECT_TRUE(instance->Crashed());

  // The owner repairs and restarts it; even if it dies before the supervisor
  // ever sees it running, it is supervised again.
  testing::WriteFileBytes(state, good_state);
  ASSERT_TRUE(instance->Restart().ok());
  Kill(*instance);
  EXPECT_EQ(recorder_.WaitFor("inst-1", 6),
            (Events{InstanceEvent::kCrashed, InstanceEvent::kRestartFailed, InstanceEvent::kRestartFailed,
                    InstanceEvent::kRestartFailed, InstanceEvent::kCrashed, InstanceEvent::kRestarted}));
  EXPECT_TRUE(instance->Alive());
}

TEST_F(SupervisorTest, RemovedInstancesAreLeftAlone) {
  std::shared_ptr<VtpmInstance> removed = Supervised("a-removed", 1);
  std::shared_ptr<VtpmInstance> kept = Supervised("b-kept", 2);
  ASSERT_NE(removed, nullptr);
  ASSERT_NE(kept, nullptr);
  EXPECT_EQ(supervisor_->Add(removed).error().code(), ErrorCode::kAlreadyExists);
  ASSERT_TRUE(supervisor_->Remove("a-removed").ok());
  EXPECT_EQ(supervisor_->Remove("a-removed").error().code(), ErrorCode::kNotFound);

  Kill(*removed);
  Kill(*kept);
  EXPECT_EQ(recorder_.WaitFor("b-kept", 2), (Events{InstanceEvent::kCrashed, InstanceEvent::kRestarted}));
  EXPECT_EQ(recorder_.Seen("a-removed"), Events{});
  EXPECT_FALSE(removed->Alive());

  // Shutdown stops only what it still supervises.
  ASSERT_TRUE(removed->Restart().ok());
  supervisor_->Shutdown();
  EXPECT_TRUE(removed->Alive());
  EXPECT_FALSE(kept->Alive());
}

TEST_F(SupervisorTest, ShutdownStopsEverySupervisedInstance) {
  std::shared_ptr<VtpmInstance> a = Supervised("a", 1);
  std::shared_ptr<VtpmInstance> b = Supervised("b", 2);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  supervisor_->Shutdown();
  EXPECT_FALSE(a->Alive());
  EXPECT_FALSE(b->Alive());
  EXPECT_FALSE(a->Crashed());  // stopped, not crashed
  supervisor_->Shutdown();
  EXPECT_EQ(supervisor_->Add(a).error().code(), ErrorCode::kFailedPrecondition);
}

TEST(SupervisorOptionsTest, AreChecked) {
  const InstanceEventCallback ignore = [](const std::string&, InstanceEvent) {};
  SupervisorOptions zero_poll = FastOptions();
  zero_poll.poll_interval = std::chrono::milliseconds(0);
  EXPECT_FALSE(InstanceSupervisor::Start(zero_poll, ignore).ok());
  SupervisorOptions inverted = FastOptions();
  inverted.max_backoff = std::chrono::milliseconds(0);
  EXPECT_FALSE(InstanceSupervisor::Start(inverted, ignore).ok());
  SupervisorOptions no_attempts = FastOptions();
  no_attempts.max_restart_attempts = 0;
  EXPECT_FALSE(InstanceSupervisor::Start(no_attempts, ignore).ok());
  EXPECT_FALSE(InstanceSupervisor::Start(FastOptions(), InstanceEventCallback()).ok());
  EXPECT_EQ(InstanceEventName(InstanceEvent::kCrashed), "crashed");
  EXPECT_EQ(InstanceEventName(InstanceEvent::kRestarted), "restarted");
  EXPECT_EQ(InstanceEventName(InstanceEvent::kRestartFailed), "restart-failed");
}

}  // namespace
}  // namespace vtpmd::vtpm
