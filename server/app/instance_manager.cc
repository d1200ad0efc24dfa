#include "server/app/instance_manager.h"

#include <unistd.h>

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cstring>

#include "ca/certificate_record.h"
#include "ca/ek_certificate.h"
#include "ca/serial_number.h"
#include "core/crypto.h"
#include "core/file_io.h"
#include "core/openssl.h"
#include "core/tpm_keys.h"
#include "core/tpm_name.h"
#include "core/tpm_wire.h"
#include "core/uuid.h"
#include "server/app/log.h"
#include "vtpm/ek_provisioning.h"
#include "vtpm/instance_process.h"
#include "vtpm/instance_supervisor.h"
#include "vtpm/relay/relay_hub.h"
#include "vtpm/relay/tpm_relay.h"

namespace vtpmd::app {
namespace {

constexpr std::size_t kStateKeyBytes = 32;
constexpr std::chrono::seconds kEkCertificateValidity{std::chrono::hours(24 * 365 * 15)};

std::string StateKeyAad(std::string_view id) { return "vtpmd/instance-state-key/v1/" + std::string(id); }

// vTPMs are libtpms in swtpm: IBM's manufacturer id, model "swtpm". The EK' profile
// records them as a hardware EK certificate records the chip.
const ca::TpmDeviceInfo kVtpmDevice{0x49424d00, "swtpm", 0};

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

void InstanceManager::RecordEvent(std::string_view type, const std::string& id, std::string_view detail) {
  boost::json::object data{{"instance_id", id}};
  if (!detail.empty()) data["detail"] = detail;
  Status recorded = events_.Record(type, "instances/" + id, boost::json::serialize(data));
  if (!recorded.ok()) Log(LogLevel::kError, "cannot record event " + std::string(type) + ": " + recorded.error().message());
}

Result<InstanceRecord> InstanceManager::Create(const api::CreateInstanceRequest& request) {
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
  VTPMD_RETURN_IF_ERROR(records_.Insert(record));
  RecordEvent("instance.created", record.id);
  Enqueue([this, id = record.id] { Provision(id); });
  return record;
}

Result<InstanceRecord> InstanceManager::Get(std::string_view id) const { return records_.Get(id); }
Result<std::vector<InstanceRecord>> InstanceManager::List() const { return records_.List(); }

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
      manager->Enqueue([self, id = record.id] {
        auto current = self->records_.Get(id);
        if (!current.ok()) return;
        Status launched = self->Launch(*current);
        if (!launched.ok()) {
          (void)self->records_.SetStatus(id, InstanceStatus::kFailed, launched.error().message());
          self->RecordEvent("instance.failed", id, launched.error().message());
        }
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
    const ca::EkCertificateRequest request{key.get(), kVtpmDevice, record.vm_id, kEkCertificateValidity};
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
    VTPMD_ASSIGN_OR_RETURN(SecretBytes key, StateKey(*record));
    VTPMD_ASSIGN_OR_RETURN(std::unique_ptr<vtpm::VtpmInstance> started,
                           vtpm::VtpmInstance::Start({id, InstanceDir(id), std::move(key)}));
    std::shared_ptr<vtpm::VtpmInstance> instance = std::move(started);
    VTPMD_ASSIGN_OR_RETURN(auto keys, Manufacture(*record, *instance));
    VTPMD_RETURN_IF_ERROR(records_.CompleteProvisioning(id, keys));
    return Launch(*record, std::move(instance));
  }();
  if (done.ok()) {
    RecordEvent("instance.started", id);
    return;
  }
  Log(LogLevel::kError, "instance " + id + " could not be manufactured: " + done.error().message());
  (void)StopLive(id);
  (void)records_.SetStatus(id, InstanceStatus::kFailed, done.error().message());
  RecordEvent("instance.failed", id, done.error().message());
}

Status InstanceManager::Launch(const InstanceRecord& record, std::shared_ptr<vtpm::VtpmInstance> instance) {
  if (!instance) {
    VTPMD_ASSIGN_OR_RETURN(SecretBytes key, StateKey(record));
    VTPMD_ASSIGN_OR_RETURN(std::unique_ptr<vtpm::VtpmInstance> started,
                           vtpm::VtpmInstance::Start({record.id, InstanceDir(record.id), std::move(key)}));
    instance = std::move(started);
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
  VTPMD_ASSIGN_OR_RETURN(InstanceRecord record, records_.Get(id));
  switch (record.status) {
    case InstanceStatus::kRunning: return Ok();
    case InstanceStatus::kProvisioning: return FailedPrecondition("instance " + record.id + " is being manufactured");
    case InstanceStatus::kFailed:
      // Manufacture is idempotent: a failed instance is retried from the start.
      VTPMD_RETURN_IF_ERROR(records_.SetStatus(id, InstanceStatus::kProvisioning, ""));
      Enqueue([this, id = record.id] { Provision(id); });
      return Ok();
    case InstanceStatus::kStopped: break;
  }
  VTPMD_RETURN_IF_ERROR(Launch(record));
  VTPMD_RETURN_IF_ERROR(records_.SetStatus(id, InstanceStatus::kRunning, ""));
  RecordEvent("instance.started", record.id);
  return Ok();
}

Status InstanceManager::StopInstance(std::string_view id) {
  VTPMD_ASSIGN_OR_RETURN(InstanceRecord record, records_.Get(id));
  if (record.status == InstanceStatus::kProvisioning) {
    return FailedPrecondition("instance " + record.id + " is being manufactured");
  }
  if (record.status != InstanceStatus::kRunning) return Ok();
  VTPMD_RETURN_IF_ERROR(StopLive(id));
  VTPMD_RETURN_IF_ERROR(records_.SetStatus(id, InstanceStatus::kStopped, ""));
  RecordEvent("instance.stopped", record.id);
  return Ok();
}

Status InstanceManager::Delete(std::string_view id) {
  VTPMD_ASSIGN_OR_RETURN(InstanceRecord record, records_.Get(id));
  if (record.status == InstanceStatus::kProvisioning) {
    return FailedPrecondition("instance " + record.id + " is being manufactured; delete it once it is running");
  }
  Status stopped = StopLive(id);
  if (!stopped.ok()) Log(LogLevel::kWarning, "instance " + record.id + ": " + stopped.error().message());
  VTPMD_RETURN_IF_ERROR(vtpm::VtpmInstance::DestroyState(InstanceDir(id)));
  std::error_code ec;
  std::filesystem::remove_all(options_.socket_dir / id, ec);
  VTPMD_RETURN_IF_ERROR(records_.Delete(id));
  RecordEvent("instance.deleted", record.id);
  return Ok();
}

}  // namespace vtpmd::app
