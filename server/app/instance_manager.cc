#include "server/app/instance_manager.h"

#include <sys/statvfs.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cstring>

#include "ca/certificate_record.h"
#include "ca/ek_certificate.h"
#include "ca/revocation.h"
#include "ca/serial_number.h"
#include "core/crypto.h"
#include "core/file_io.h"
#include "core/openssl.h"
#include "core/tpm_keys.h"
#include "core/tpm_name.h"
#include "core/tpm_wire.h"
#include "core/uuid.h"
#include "server/app/certificate_service.h"
#include "server/app/log.h"
#include "vtpm/ek_provisioning.h"
#include "vtpm/instance_process.h"
#include "vtpm/instance_supervisor.h"
#include "vtpm/relay/relay_hub.h"
#include "vtpm/relay/tpm_relay.h"

namespace vtpmd::app {
namespace {

constexpr std::size_t kStateKeyBytes = 32;
// A TPM state file or a store page is a few KiB; a file system with less than this
// left fails them at any moment, and is what an operator has to fix first.
constexpr std::uint64_t kLowDiskSpace = 1024 * 1024;

std::string StateKeyAad(std::string_view id) { return "vtpmd/instance-state-key/v1/" + std::string(id); }

// vTPMs are libtpms in swtpm: IBM's manufacturer id, model "swtpm". The EK' profile
// records them as a hardware EK certificate records the chip.
const ca::TpmDeviceInfo kVtpmDevice{ca::kSwtpmManufacturerId, std::string(ca::kSwtpmModel), 0};

constexpr std::string_view kAikCertifiesEk = "aik-certifies-ek";

std::string InstanceEventJson(const std::string& id, std::string_view detail = {}) {
  boost::json::object data{{"instance_id", id}};
  if (!detail.empty()) data["detail"] = detail;
  return boost::json::serialize(data);
}

}  // namespace

struct InstanceManager::Live {
  std::shared_ptr<vtpm::VtpmInstance> instance;
  std::unique_ptr<vtpm::TpmRelay> relay;
};

InstanceManager::InstanceManager(Options options, Store& store, EventLog& events, const ca::CaHierarchy& ca,
                                 SecretBytes data_key, const Clock& clock, Rng& rng)
    : options_(std::move(options)),
      store_(store),
      records_(store),
      events_(events),
      ca_(ca),
      data_key_(std::move(data_key)),
      clock_(clock),
      rng_(rng) {}

InstanceManager::~InstanceManager() {
  {
    std::lock_guard lock(queue_mu_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  for (std::thread& worker : workers_) worker.join();
  supervisor_.reset();
  std::lock_guard lock(live_mu_);
  // Relays first, so no guest command reaches a TPM that is shutting down.
  for (auto& [id, live] : live_) live->relay.reset();
  for (auto& [id, live] : live_) {
    Status stopped = live->instance->Stop();
    if (!stopped.ok()) Log(LogLevel::kWarning, "instance " + id + ": " + stopped.error().message());
  }
  live_.clear();
}

void InstanceManager::Enqueue(std::function<void()> job) {
  {
    std::lock_guard lock(queue_mu_);
    queue_.push_back(std::move(job));
  }
  queue_cv_.notify_one();
}

void InstanceManager::WorkerLoop() {
  while (true) {
    std::function<void()> job;
    {
      std::unique_lock lock(queue_mu_);
      queue_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    job();
  }
}

std::filesystem::path InstanceManager::InstanceDir(std::string_view id) const { return options_.instances_dir / id; }

AttachPaths InstanceManager::Attach(std::string_view id) const {
  const auto dir = options_.socket_dir / id;
  return {dir / "tpm.sock", dir / "tpm.sock.ctrl"};
}

namespace {

Status ChownTo(const std::filesystem::path& path, uid_t uid) {
  if (::chown(path.c_str(), uid, static_cast<gid_t>(-1)) != 0) {
    return Unavailable("chown " + path.string() + ": " + std::strerror(errno));
  }
  return Ok();
}

}  // namespace

Status InstanceManager::PrepareAttachDir(const InstanceRecord& record) const {
  const auto dir = options_.socket_dir / record.id;
  VTPMD_RETURN_IF_ERROR(CreateDirectoryWithMode(dir, std::filesystem::perms::owner_all));
  return ChownTo(dir, record.binding_uid.value_or(::geteuid()));
}

Result<SecretBytes> InstanceManager::StateKey(const InstanceRecord& record) const {
  auto key = AesGcmOpen(data_key_, record.state_key_sealed, AsBytes(StateKeyAad(record.id)));
  if (!key.ok()) return Internal("instance " + record.id + ": state key does not decrypt: " + key.error().message());
  return key;
}

Status InstanceManager::RecordEventInTransaction(std::string_view type, const std::string& id, std::string_view detail) {
  // The event log finds the VM of a recorded instance itself.
  return events_.Record(type, "instances/" + id, InstanceEventJson(id, detail), EventScope{id, {}});
}

void InstanceManager::RecordEvent(std::string_view type, const std::string& id, std::string_view detail) {
  Status recorded = store_.Transaction([&] { return RecordEventInTransaction(type, id, detail); });
  if (!recorded.ok()) Log(LogLevel::kError, "cannot record event " + std::string(type) + ": " + recorded.error().message());
}

Status InstanceManager::SetStatusWithEvent(std::string_view id, InstanceStatus status, std::string_view detail,
                                           std::string_view event_type) {
  return store_.Transaction([&]() -> Status {
    VTPMD_RETURN_IF_ERROR(records_.SetStatus(id, status, detail));
    return RecordEventInTransaction(event_type, std::string(id), detail);
  });
}

Result<InstanceRecord> InstanceManager::Create(const api::CreateInstanceRequest& request) {
  if (request.certification_method == kAikCertifiesEk && !options_.platform_binder) {
    return FailedPrecondition("method aik-certifies-ek needs an enrolled platform AIK, and this host has none");
  }
  if (request.certification_method == "aik-certifies-aik" && !options_.host_signer) {
    return FailedPrecondition("method aik-certifies-aik needs a certified host signing key, and this host has none");
  }
  InstanceRecord record;
  VTPMD_ASSIGN_OR_RETURN(record.id, NewUuid(rng_));
  record.vm_id = request.vm_id;
  record.label = request.label;
  record.certification_method = request.certification_method;
  record.ek_algorithms = request.ek_algorithms;
  record.binding_uid = request.binding_uid;
  record.status = InstanceStatus::kProvisioning;
  record.created_at = std::chrono::duration_cast<std::chrono::seconds>(clock_.Now().time_since_epoch()).count();
  VTPMD_ASSIGN_OR_RETURN(SecretBytes state_key, rng_.GenerateSecret(kStateKeyBytes));
  VTPMD_ASSIGN_OR_RETURN(record.state_key_sealed,
                         AesGcmSeal(data_key_, state_key.view(), AsBytes(StateKeyAad(record.id)), rng_));
  Status inserted = store_.Transaction([&]() -> Status {
    VTPMD_RETURN_IF_ERROR(records_.Insert(record));
    return RecordEventInTransaction("instance.created", record.id, {});
  });
  if (!inserted.ok()) return WithDiskSpace(std::move(inserted).error());
  Enqueue([this, id = record.id] { Provision(id); });
  return record;
}

Result<InstanceRecord> InstanceManager::Get(std::string_view id) const { return Current(id); }

Result<std::vector<InstanceRecord>> InstanceManager::List() const {
  VTPMD_ASSIGN_OR_RETURN(auto records, records_.List());
  for (InstanceRecord& record : records) ApplyLiveStatus(record);
  return records;
}

Result<InstanceRecord> InstanceManager::Current(std::string_view id) const {
  VTPMD_ASSIGN_OR_RETURN(InstanceRecord record, records_.Get(id));
  ApplyLiveStatus(record);
  return record;
}

void InstanceManager::ApplyLiveStatus(InstanceRecord& record) const {
  if (record.status == InstanceStatus::kRunning) {
    // Until its relay is back a guest cannot reach it; "running" would send it there too early.
    std::lock_guard lock(live_mu_);
    if (starting_.contains(record.id)) record.status = InstanceStatus::kStarting;
  }
  std::lock_guard lock(unrecorded_mu_);
  auto found = unrecorded_failures_.find(record.id);
  if (found == unrecorded_failures_.end()) return;
  record.status = InstanceStatus::kFailed;
  record.status_detail = found->second;
}

void InstanceManager::MarkFailed(const std::string& id, const std::string& detail) {
  Status recorded = SetStatusWithEvent(id, InstanceStatus::kFailed, detail, "instance.failed");
  if (!recorded.ok() && recorded.error().code() != ErrorCode::kNotFound) {
    Log(LogLevel::kError, "instance " + id + ": cannot record its failure: " + recorded.error().message());
    std::lock_guard lock(unrecorded_mu_);
    unrecorded_failures_[id] = detail;
  }
}

void InstanceManager::ForgetUnrecordedFailure(std::string_view id) {
  std::lock_guard lock(unrecorded_mu_);
  auto found = unrecorded_failures_.find(id);
  if (found != unrecorded_failures_.end()) unrecorded_failures_.erase(found);
}

Error InstanceManager::WithDiskSpace(Error error) const {
  // Conflicts and bad requests are not the disk's doing.
  if (error.code() != ErrorCode::kUnavailable && error.code() != ErrorCode::kInternal) return error;
  struct statvfs fs {};
  if (::statvfs(options_.instances_dir.c_str(), &fs) != 0) return error;
  const std::uint64_t free_bytes = std::uint64_t{fs.f_bavail} * fs.f_frsize;
  if (free_bytes >= kLowDiskSpace) return error;
  // A 503 rather than a 500: the detail is the operator's to act on, and a retry
  // succeeds once there is room.
  return Unavailable(error.message() + "; the data directory's file system is full (" +
                     std::to_string(free_bytes / 1024) + " KiB free)");
}

Result<std::unique_ptr<vtpm::VtpmInstance>> InstanceManager::StartVtpm(const InstanceRecord& record) const {
  VTPMD_ASSIGN_OR_RETURN(SecretBytes key, StateKey(record));
  vtpm::InstanceOptions options{record.id, InstanceDir(record.id), std::move(key)};
  // Its EKs live in that state once it was manufactured.
  options.expect_state = !record.endorsement_keys.empty();
  return vtpm::VtpmInstance::Start(std::move(options));
}

Result<std::unique_ptr<InstanceManager>> InstanceManager::Start(Options options, Store& store, EventLog& events,
                                                                const ca::CaHierarchy& ca, const SecretBytes& data_key,
                                                                const Clock& clock, Rng& rng) {
  std::error_code ec;
  options.instances_dir = std::filesystem::absolute(options.instances_dir, ec);
  if (!ec) options.socket_dir = std::filesystem::absolute(options.socket_dir, ec);
  if (ec) return InvalidArgument("instance directories: " + ec.message());
  using std::filesystem::perms;
  VTPMD_RETURN_IF_ERROR(CreateDirectoryWithMode(options.instances_dir, perms::owner_all));
  // Others may pass through to their own instance's directory, but not list the others.
  VTPMD_RETURN_IF_ERROR(CreateDirectoryWithMode(options.socket_dir,
                                             perms::owner_all | perms::group_exec | perms::others_exec));

  std::unique_ptr<InstanceManager> manager(
      new InstanceManager(options, store, events, ca, data_key.Clone(), clock, rng));
  VTPMD_ASSIGN_OR_RETURN(manager->relay_hub_, vtpm::RelayHub::Start());
  InstanceManager* self = manager.get();
  VTPMD_ASSIGN_OR_RETURN(manager->supervisor_,
                         vtpm::InstanceSupervisor::Start({}, [self](const std::string& id, vtpm::InstanceEvent event) {
                           self->RecordEvent("instance." + std::string(vtpm::InstanceEventName(event)), id);
                         }));
  const unsigned workers = options.workers != 0 ? options.workers : std::max(1u, std::thread::hardware_concurrency());
  for (unsigned i = 0; i < workers; ++i) manager->workers_.emplace_back([self] { self->WorkerLoop(); });

  // Bring back what ran before; finish what a crash interrupted (manufacture is idempotent).
  VTPMD_ASSIGN_OR_RETURN(auto records, manager->records_.List());
  for (const InstanceRecord& record : records) {
    if (record.status == InstanceStatus::kRunning) {
      {
        std::lock_guard lock(manager->live_mu_);
        manager->starting_.insert(record.id);
      }
      manager->Enqueue([self, id = record.id] {
        auto current = self->records_.Get(id);
        // Stopped or deleted while it waited: nothing to bring back.
        Status launched = !current.ok() || current->status != InstanceStatus::kRunning ? Ok() : self->Launch(*current);
        // Failed is recorded before "starting" ends, so nobody reads "running" in between.
        if (!launched.ok()) self->MarkFailed(id, self->WithDiskSpace(std::move(launched).error()).message());
        std::lock_guard lock(self->live_mu_);
        self->starting_.erase(id);
      });
    } else if (record.status == InstanceStatus::kProvisioning) {
      manager->Enqueue([self, id = record.id] { self->Provision(id); });
    }
  }
  return manager;
}

Result<std::vector<EndorsementKeyRecord>> InstanceManager::Manufacture(const InstanceRecord& record,
                                                                       vtpm::VtpmInstance& instance) {
  VTPMD_ASSIGN_OR_RETURN(const ca::Issuer* ek_authority, ca_.issuer(ca::IssuerRole::kEkAuthority));
  std::vector<vtpm::EkAlgorithm> algorithms;
  for (const std::string& name : record.ek_algorithms) {
    VTPMD_ASSIGN_OR_RETURN(vtpm::EkAlgorithm algorithm, vtpm::ParseEkAlgorithm(name));
    algorithms.push_back(algorithm);
  }
  std::map<vtpm::EkAlgorithm, std::string> serials;
  const vtpm::EkCertifier certifier = [&](vtpm::EkAlgorithm algorithm, const TPM2B_PUBLIC& ek) -> Result<Bytes> {
    // A repeated manufacture (resumed after a crash, or retried) keeps the EK' certificate
    // already issued for an unchanged EK: one EK, one certificate.
    VTPMD_ASSIGN_OR_RETURN(Bytes public_area, tpm::MarshalPublic(ek));
    for (const EndorsementKeyRecord& recorded : record.endorsement_keys) {
      if (recorded.algorithm != vtpm::EkAlgorithmName(algorithm) || recorded.public_area != public_area) continue;
      VTPMD_ASSIGN_OR_RETURN(std::optional<Bytes> der, ca::FindCertificateDer(store_, recorded.certificate_serial));
      if (der) {
        serials[algorithm] = recorded.certificate_serial;
        return std::move(*der);
      }
    }
    VTPMD_ASSIGN_OR_RETURN(ossl::PkeyPtr key, tpm::PublicKeyFromTpm(ek.publicArea));
    // The certificate names the VM: a verifier learns whose vTPM this EK is.
    const ca::EkCertificateRequest request{
        key.get(), kVtpmDevice, record.vm_id, ca::kVtpmEkCertificateValidity, record.id,
        record.certification_method == kAikCertifiesEk ? options_.platform_binder : nullptr};
    VTPMD_ASSIGN_OR_RETURN(ossl::X509Ptr certificate,
                           ca::IssueEkCertificate(*ek_authority, request, store_, clock_, rng_));
    VTPMD_ASSIGN_OR_RETURN(serials[algorithm], ca::SerialHex(certificate.get()));
    return ossl::CertificateDer(certificate.get());
  };
  VTPMD_ASSIGN_OR_RETURN(auto provisioned, instance.Manufacture(algorithms, certifier));
  std::vector<EndorsementKeyRecord> keys;
  for (const vtpm::ProvisionedEk& ek : provisioned) {
    VTPMD_ASSIGN_OR_RETURN(Bytes public_area, tpm::MarshalPublic(ek.public_area));
    keys.push_back({std::string(vtpm::EkAlgorithmName(ek.algorithm)), ek.handle, ek.nv_index, std::move(public_area),
                    ek.name, serials[ek.algorithm]});
  }
  return keys;
}

void InstanceManager::Provision(const std::string& id) {
  auto record = records_.Get(id);
  if (!record.ok()) return;  // deleted while queued
  Status done = [&]() -> Status {
    VTPMD_ASSIGN_OR_RETURN(std::shared_ptr<vtpm::VtpmInstance> instance, StartVtpm(*record));
    VTPMD_ASSIGN_OR_RETURN(auto keys, Manufacture(*record, *instance));
    // The relay is up before anyone reads "running" or is told instance.started,
    // so a guest that acts on either finds its TPM there.
    VTPMD_RETURN_IF_ERROR(Launch(*record, std::move(instance)));
    return store_.Transaction([&]() -> Status {
      VTPMD_RETURN_IF_ERROR(records_.CompleteProvisioning(id, keys));
      return RecordEventInTransaction("instance.started", id, {});
    });
  }();
  if (done.ok()) return;
  const Error failure = WithDiskSpace(std::move(done).error());
  Log(LogLevel::kError, "instance " + id + " could not be manufactured: " + failure.message());
  (void)StopLive(id);
  MarkFailed(id, failure.message());
}

Status InstanceManager::Launch(const InstanceRecord& record, std::shared_ptr<vtpm::VtpmInstance> instance) {
  if (!instance) {
    VTPMD_ASSIGN_OR_RETURN(instance, StartVtpm(record));
  }
  VTPMD_RETURN_IF_ERROR(PrepareAttachDir(record));
  const AttachPaths paths = Attach(record.id);
  vtpm::RelayOptions relay_options;
  relay_options.socket_path = paths.data_socket;
  relay_options.backend_socket = instance->backend_socket();
  relay_options.allowed_uid = record.binding_uid;
  VTPMD_ASSIGN_OR_RETURN(std::unique_ptr<vtpm::TpmRelay> relay, vtpm::TpmRelay::Start(relay_hub_, relay_options));
  if (record.binding_uid) {
    // Filesystem permissions keep other uids out; the relay's SO_PEERCRED check
    // keeps out everyone else who could open the socket (root included).
    VTPMD_RETURN_IF_ERROR(ChownTo(paths.data_socket, *record.binding_uid));
    VTPMD_RETURN_IF_ERROR(ChownTo(paths.control_socket, *record.binding_uid));
  }
  VTPMD_RETURN_IF_ERROR(supervisor_->Add(instance));
  auto live = std::make_unique<Live>(Live{std::move(instance), std::move(relay)});
  std::lock_guard lock(live_mu_);
  live_[record.id] = std::move(live);
  return Ok();
}

Status InstanceManager::StopLive(std::string_view id) {
  std::unique_ptr<Live> live;
  {
    std::lock_guard lock(live_mu_);
    auto found = live_.find(id);
    if (found == live_.end()) return Ok();
    live = std::move(found->second);
    live_.erase(found);
  }
  (void)supervisor_->Remove(id);  // NotFound when it was never supervised: nothing to undo
  live->relay.reset();
  return live->instance->Stop();
}

Status InstanceManager::StartInstance(std::string_view id) {
  VTPMD_ASSIGN_OR_RETURN(InstanceRecord record, Current(id));
  switch (record.status) {
    case InstanceStatus::kStarting:
    case InstanceStatus::kRunning: return Ok();
    case InstanceStatus::kProvisioning: return FailedPrecondition("instance " + record.id + " is being manufactured");
    case InstanceStatus::kFailed: {
      // Manufacture is idempotent: a failed instance is retried from the start.
      Status retrying = records_.SetStatus(id, InstanceStatus::kProvisioning, "");
      if (!retrying.ok()) return WithDiskSpace(std::move(retrying).error());
      ForgetUnrecordedFailure(id);
      Enqueue([this, id = record.id] { Provision(id); });
      return Ok();
    }
    case InstanceStatus::kStopped: break;
  }
  Status launched = Launch(record);
  if (!launched.ok()) return WithDiskSpace(std::move(launched).error());
  Status recorded = SetStatusWithEvent(id, InstanceStatus::kRunning, "", "instance.started");
  if (!recorded.ok()) {
    // Running while recorded as stopped, it would not come back after a restart,
    // and the next start would find its swtpm in the way.
    (void)StopLive(id);
    return WithDiskSpace(std::move(recorded).error());
  }
  return Ok();
}

Status InstanceManager::StopInstance(std::string_view id) {
  VTPMD_ASSIGN_OR_RETURN(InstanceRecord record, Current(id));
  if (record.status == InstanceStatus::kProvisioning) {
    return FailedPrecondition("instance " + record.id + " is being manufactured");
  }
  if (record.status != InstanceStatus::kRunning && record.status != InstanceStatus::kStarting) return Ok();
  // Recorded first: when the store refuses (a full disk), the TPM keeps running as
  // recorded instead of being down while the record says "running".
  Status recorded = SetStatusWithEvent(id, InstanceStatus::kStopped, "", "instance.stopped");
  if (!recorded.ok()) return WithDiskSpace(std::move(recorded).error());
  return StopLive(id);
}

Status InstanceManager::Delete(std::string_view id) {
  VTPMD_ASSIGN_OR_RETURN(InstanceRecord record, Current(id));
  if (record.status == InstanceStatus::kProvisioning) {
    return FailedPrecondition("instance " + record.id + " is being manufactured; delete it once it is running");
  }
  // The record, the revocation of its EK' and AIK' certificates and the events that
  // announce both commit together: a deleted vTPM leaves no valid identity behind.
  // They commit first, so a store that refuses (a full disk) leaves the instance
  // running and whole rather than recorded but without its state.
  Status deleted = store_.Transaction([&]() -> Status {
    VTPMD_RETURN_IF_ERROR(records_.Delete(id));
    VTPMD_ASSIGN_OR_RETURN(std::vector<ca::CertificateRecord> revoked,
                           ca::RevokeInstanceCertificates(store_, record.id, ca::RevocationReason::kCessationOfOperation,
                                                          clock_.Now()));
    VTPMD_RETURN_IF_ERROR(events_.Record("instance.deleted", "instances/" + record.id, InstanceEventJson(record.id),
                                         EventScope{record.id, record.vm_id}));
    for (const ca::CertificateRecord& certificate : revoked) {
      VTPMD_RETURN_IF_ERROR(RecordRevocationEvents(events_, certificate));
    }
    return Ok();
  });
  if (!deleted.ok()) return WithDiskSpace(std::move(deleted).error());
  Status stopped = StopLive(id);
  if (!stopped.ok()) Log(LogLevel::kWarning, "instance " + record.id + ": " + stopped.error().message());
  // Past the commit the instance is gone; state that cannot be removed now is only
  // unreachable debris, so it is reported rather than failing the delete.
  Status destroyed = vtpm::VtpmInstance::DestroyState(InstanceDir(id));
  if (!destroyed.ok()) Log(LogLevel::kError, "instance " + record.id + ": " + destroyed.error().message());
  std::error_code ec;
  std::filesystem::remove_all(options_.socket_dir / id, ec);
  ForgetUnrecordedFailure(id);
  return Ok();
}

}  // namespace vtpmd::app
