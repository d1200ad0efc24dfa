#pragma once
// The vTPM host manager: one swtpm child per VM behind a relay that vtpmd owns,
// composed from vtpm/ (engine, relay, supervision), ca/ (EK' certificates) and the
// store (records, events). Slow work (RSA key generation in a new TPM) runs on
// worker threads, never on the HTTPS I/O threads.

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "ca/ek_certificate.h"
#include "ca/hierarchy.h"
#include "core/clock.h"
#include "core/random.h"
#include "core/result.h"
#include "core/secret_bytes.h"
#include "core/store.h"
#include "server/api/requests.h"
#include "server/app/event_log.h"
#include "server/app/instance_records.h"

namespace vtpmd::vtpm {
class VtpmInstance;
class InstanceSupervisor;
class RelayHub;
class TpmRelay;
}  // namespace vtpmd::vtpm

namespace vtpmd::app {

// Where a VM (or a tool) attaches to its vTPM.
struct AttachPaths {
  std::filesystem::path data_socket;     // tpm2-tss: swtpm:path=<data_socket>
  std::filesystem::path control_socket;  // QEMU: -chardev socket,path=<control_socket>
};

class InstanceManager {
 public:
  struct Options {
    std::filesystem::path instances_dir;  // <data-dir>/instances, 0700: swtpm state and its own sockets
    std::filesystem::path socket_dir;     // traverse-only (0711): <id>/tpm.sock(.ctrl), per-VM access
    unsigned workers = 0;                 // 0 = one per core
    // Binds EK' certificates to the platform (method aik-certifies-ek); empty when
    // the platform AIK is not enrolled, and then that method is refused.
    ca::PlatformBinder platform_binder = nullptr;
    // Method aik-certifies-aik needs a certified host signing key.
    bool host_signer = false;
  };

  // Brings back every instance that was running before (on the workers).
  static Result<std::unique_ptr<InstanceManager>> Start(Options options, Store& store, EventLog& events,
                                                        const ca::CaHierarchy& ca, const SecretBytes& data_key,
                                                        const Clock& clock, Rng& rng);
  ~InstanceManager();
  InstanceManager(const InstanceManager&) = delete;
  InstanceManager& operator=(const InstanceManager&) = delete;

  // Records the instance and queues its manufacture; returns it in "provisioning".
  Result<InstanceRecord> Create(const api::CreateInstanceRequest& request);
  Result<InstanceRecord> Get(std::string_view id) const;
  Result<std::vector<InstanceRecord>> List() const;
  Status StartInstance(std::string_view id);
  Status StopInstance(std::string_view id);
  // Stops it and destroys its state and keys.
  Status Delete(std::string_view id);
  AttachPaths Attach(std::string_view id) const;

 private:
  struct Live;
  InstanceManager(Options options, Store& store, EventLog& events, const ca::CaHierarchy& ca, SecretBytes data_key,
                  const Clock& clock, Rng& rng);

  void Enqueue(std::function<void()> job);
  void WorkerLoop();
  // The stored record, with a failure the store could not take applied and a
  // recorded-running instance whose relay is not up yet shown as starting.
  Result<InstanceRecord> Current(std::string_view id) const;
  void ApplyLiveStatus(InstanceRecord& record) const;
  // Marks the instance failed: in the store, or in memory when the store refuses.
  void MarkFailed(const std::string& id, const std::string& detail);
  void ForgetUnrecordedFailure(std::string_view id);
  // When the data directory's file system is (nearly) full, says so: the errors
  // a full disk causes rarely name it.
  Error WithDiskSpace(Error error) const;
  Result<std::unique_ptr<vtpm::VtpmInstance>> StartVtpm(const InstanceRecord& record) const;
  void Provision(const std::string& id);
  // swtpm, relay and supervision for a manufactured instance; `instance` when it is already started.
  Status Launch(const InstanceRecord& record, std::shared_ptr<vtpm::VtpmInstance> instance = nullptr);
  Status StopLive(std::string_view id);
  Result<std::vector<EndorsementKeyRecord>> Manufacture(const InstanceRecord& record, vtpm::VtpmInstance& instance);
  Result<SecretBytes> StateKey(const InstanceRecord& record) const;
  std::filesystem::path InstanceDir(std::string_view id) const;
  // The VM's own directory: 0700 and owned by the binding uid when there is one.
  Status PrepareAttachDir(const InstanceRecord& record) const;
  // An event that stands alone (a crash the supervisor saw) commits on its own.
  void RecordEvent(std::string_view type, const std::string& id, std::string_view detail = {});
  // Inside a transaction: the event joins the change it describes.
  Status RecordEventInTransaction(std::string_view type, const std::string& id, std::string_view detail);
  Status SetStatusWithEvent(std::string_view id, InstanceStatus status, std::string_view detail,
                            std::string_view event_type);

  Options options_;
  Store& store_;
  InstanceRecords records_;
  EventLog& events_;
  const ca::CaHierarchy& ca_;
  SecretBytes data_key_;
  const Clock& clock_;
  Rng& rng_;

  mutable std::mutex live_mu_;
  std::map<std::string, std::unique_ptr<Live>, std::less<>> live_;
  // Recorded running, and being brought back after a restart: these read "starting".
  std::set<std::string, std::less<>> starting_;
  std::shared_ptr<vtpm::RelayHub> relay_hub_;
  std::unique_ptr<vtpm::InstanceSupervisor> supervisor_;

  // A failure is recorded in the store, which a full disk (often its cause) can
  // refuse. Kept here until the next write about the instance succeeds, so that it
  // shows "failed" and can be retried or deleted instead of staying "provisioning",
  // stuck, until vtpmd restarts and provisions it again.
  mutable std::mutex unrecorded_mu_;
  std::map<std::string, std::string, std::less<>> unrecorded_failures_;  // id -> status_detail

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace vtpmd::app
