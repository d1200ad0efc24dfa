#include "vtpm/instance_process.h"

#include "core/file_io.h"

#include <system_error>

#include "vtpm/ek_provisioning.h"
#include "vtpm/esys_context.h"
#include "vtpm/swtpm_process.h"

namespace vtpmd::vtpm {
namespace {

namespace fs = std::filesystem;

}  // namespace

VtpmInstance::VtpmInstance(InstanceOptions options, fs::path backend_socket)
    : options_(std::move(options)), backend_socket_(std::move(backend_socket)) {}

VtpmInstance::~VtpmInstance() {
  // A failed graceful stop has nothing left to report to.
  static_cast<void>(Stop());
}

Result<std::unique_ptr<VtpmInstance>> VtpmInstance::Start(InstanceOptions options) {
  if (options.id.empty()) return InvalidArgument("vTPM instance id is empty");
  if (options.dir.empty()) return InvalidArgument("vTPM instance " + options.id + " has no directory");
  if (options.state_key.size() != kStateKeySize) {
    return InvalidArgument("vTPM instance state key must be 32 bytes (AES-256)");
  }
  if (options.backend_timeout.count() <= 0) return InvalidArgument("vTPM instance backend timeout must be positive");
  // The sockets inside reach the guest's TPM: only vtpmd's user may open them.
  VTPMD_RETURN_IF_ERROR(CreateDirectoryWithMode(options.dir));
  fs::path backend_socket = options.dir / "swtpm.sock";
  std::unique_ptr<VtpmInstance> instance(new VtpmInstance(std::move(options), std::move(backend_socket)));
  std::lock_guard lock(instance->mu_);
  VTPMD_RETURN_IF_ERROR(instance->StartChildLocked());
  return instance;
}

fs::path VtpmInstance::backend_control_socket() const {
  return backend_socket_.string() + ".ctrl";
}

std::string VtpmInstance::backend_tcti() const {
  return "swtpm:path=" + backend_socket_.string();
}

std::optional<pid_t> VtpmInstance::pid() {
  std::lock_guard lock(mu_);
  if (!AliveLocked()) return std::nullopt;
  return swtpm_->pid();
}

Status VtpmInstance::StartChildLocked() {
  SwtpmOptions swtpm;
  swtpm.state_dir = options_.dir / "state";
  swtpm.socket_dir = options_.dir;
  swtpm.state_key = options_.state_key.Clone();
  swtpm.startup_clear = false;
  const fs::path state_file = swtpm.state_dir / "tpm2-00.permall";
  std::error_code ec;
  const bool has_state = fs::exists(state_file, ec);
  if (ec) {
    return Unavailable("vTPM instance " + options_.id + ": checking " + state_file.string() + ": " + ec.message());
  }
  if (options_.expect_state && !has_state) {
    return FailedPrecondition("vTPM instance " + options_.id + " has lost its state: " + state_file.string() +
                              " is missing, and starting without it would make a new TPM without its EKs; "
                              "restore the state file or delete the instance");
  }
  Result<std::unique_ptr<SwtpmProcess>> started = SwtpmProcess::Start(swtpm);
  if (!started.ok()) {
    return started.error().WithContext("starting vTPM instance " + options_.id +
                                       (has_state ? " on its existing state (which a wrong state key or damaged "
                                                    "state files fail to load)"
                                                  : ""));
  }
  swtpm_ = std::move(started).value();
  stopped_ = false;
  ++starts_;
  return Ok();
}

bool VtpmInstance::AliveLocked() {
  return swtpm_ != nullptr && swtpm_->Alive();
}

Result<std::vector<ProvisionedEk>> VtpmInstance::Manufacture(const std::vector<EkAlgorithm>& algorithms,
                                                             const EkCertifier& certifier) {
  const std::string context = "manufacturing vTPM instance " + options_.id;
  std::lock_guard lock(mu_);
  if (!AliveLocked()) return FailedPrecondition(context + ": it is not running");
  Status reset = swtpm_->ResetTpm(options_.backend_timeout);
  if (!reset.ok()) return reset.error().WithContext(context);
  // The context is this function's own: its connection is closed on return, so
  // the relay can take the backend over afterwards.
  Result<std::unique_ptr<EsysContext>> esys = EsysContext::Connect(swtpm_->tcti());
  if (!esys.ok()) return esys.error().WithContext(context);
  Result<std::vector<ProvisionedEk>> eks = ManufactureEks((*esys)->get(), algorithms, certifier);
  if (!eks.ok()) return eks.error().WithContext(context);
  return eks;
}

bool VtpmInstance::Alive() {
  std::lock_guard lock(mu_);
  return AliveLocked();
}

bool VtpmInstance::Crashed() {
  std::lock_guard lock(mu_);
  return !stopped_ && !AliveLocked();
}

std::uint64_t VtpmInstance::start_count() {
  std::lock_guard lock(mu_);
  return starts_;
}

Status VtpmInstance::Stop() {
  std::lock_guard lock(mu_);
  stopped_ = true;
  if (swtpm_ == nullptr) return Ok();
  const bool graceful = swtpm_->Stop();
  swtpm_.reset();
  if (!graceful) {
    return Unavailable("vTPM instance " + options_.id + ": swtpm ignored SIGTERM and was killed");
  }
  return Ok();
}

Status VtpmInstance::Restart() {
  std::lock_guard lock(mu_);
  if (AliveLocked()) return Ok();
  swtpm_.reset();
  return StartChildLocked();
}

Result<bool> VtpmInstance::RestartIfCrashed() {
  std::lock_guard lock(mu_);
  if (stopped_ || AliveLocked()) return false;
  swtpm_.reset();
  VTPMD_RETURN_IF_ERROR(StartChildLocked());
  return true;
}

Status VtpmInstance::DestroyState(const fs::path& dir) {
  if (dir.empty() || dir == dir.root_path()) {
    return InvalidArgument("refusing to destroy '" + dir.string() + "' as a vTPM instance directory");
  }
  std::error_code ec;
  if (!fs::exists(dir, ec)) {
    if (ec) return Unavailable("checking " + dir.string() + ": " + ec.message());
    return Ok();
  }
  if (SwtpmProcess::Serving(dir / "swtpm.sock")) {
    return FailedPrecondition("a swtpm still serves " + dir.string() + "; stop the instance first");
  }
  fs::remove_all(dir, ec);
  if (ec) return Unavailable("removing " + dir.string() + ": " + ec.message());
  return Ok();
}

}  // namespace vtpmd::vtpm
