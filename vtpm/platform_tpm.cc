#include "vtpm/platform_tpm.h"

#include <algorithm>
#include <thread>

#include "core/pcr_selection.h"
#include "core/tpm_wire.h"
#include "vtpm/credential_activation.h"
#include "vtpm/esys_context.h"
#include "vtpm/nv_index.h"
#include "vtpm/persistent_key.h"
#include "vtpm/quote.h"
#include "vtpm/sealing.h"
#include "vtpm/swtpm_process.h"
#include "vtpm/ticketed_signing.h"
#include "vtpm/tpm_handles.h"
#include "vtpm/tpm_templates.h"

namespace vtpmd::vtpm {
namespace {

Status StartupClear(ESYS_CONTEXT* esys) {
  TSS2_RC rc = Esys_Startup(esys, TPM2_SU_CLEAR);
  // TPM_RC_INITIALIZE: firmware (or swtpm's startup-clear flag) already started it.
  if (BaseRc(rc) == TPM2_RC_INITIALIZE) return Ok();
  return CheckTss(rc, "TPM2_Startup(CLEAR)", ErrorCode::kUnavailable);
}

bool SameEccPoint(const TPM2B_PUBLIC& a, const TPM2B_PUBLIC& b) {
  const TPMS_ECC_POINT& p = a.publicArea.unique.ecc;
  const TPMS_ECC_POINT& q = b.publicArea.unique.ecc;
  return std::ranges::equal(ByteView(p.x.buffer, p.x.size), ByteView(q.x.buffer, q.x.size)) &&
         std::ranges::equal(ByteView(p.y.buffer, p.y.size), ByteView(q.y.buffer, q.y.size));
}

}  // namespace

PlatformTpm::PlatformTpm(std::unique_ptr<SwtpmProcess> swtpm, std::unique_ptr<EsysContext> esys,
                         std::chrono::milliseconds simulated_quote_latency)
    : swtpm_(std::move(swtpm)), esys_(std::move(esys)), simulated_quote_latency_(simulated_quote_latency) {}

PlatformTpm::~PlatformTpm() = default;

Result<std::unique_ptr<PlatformTpm>> PlatformTpm::Open(const PlatformTpmOptions& options) {
  const bool simulated = options.tcti == kSimulatedTcti;
  if (options.simulated_quote_latency.count() < 0) {
    return InvalidArgument("the simulated quote latency cannot be negative");
  }
  if (!simulated && options.simulated_quote_latency.count() != 0) {
    // A real TPM has latency of its own; adding more would only misstate it.
    return InvalidArgument("a simulated quote latency applies only to the simulated platform TPM, not to " +
                           options.tcti);
  }
  std::unique_ptr<SwtpmProcess> swtpm;
  std::string tcti = options.tcti;
  if (simulated) {
    if (options.runtime_dir.empty()) {
      return InvalidArgument("the simulated platform TPM needs a runtime directory");
    }
    // A development stand-in for hardware: its state is deliberately NOT
    // encrypted, because there is no root of trust to hold such a key; nothing
    // it protects is more secure than the data directory itself.
    SwtpmOptions swtpm_options;
    swtpm_options.state_dir = options.runtime_dir;
    VTPMD_ASSIGN_OR_RETURN(swtpm, SwtpmProcess::Start(swtpm_options));
    tcti = swtpm->tcti();
  }
  VTPMD_ASSIGN_OR_RETURN(std::unique_ptr<EsysContext> esys, EsysContext::Connect(tcti));
  std::unique_ptr<PlatformTpm> tpm(
      new PlatformTpm(std::move(swtpm), std::move(esys), options.simulated_quote_latency));
  Status provisioned = tpm->Provision(simulated);
  if (!provisioned.ok()) return provisioned.error().WithContext("platform TPM (" + tcti + ")");
  return tpm;
}

Status PlatformTpm::Provision(bool simulated) {
  std::lock_guard lock(mu_);
  ESYS_CONTEXT* esys = esys_->get();
  VTPMD_RETURN_IF_ERROR(StartupClear(esys));
  VTPMD_ASSIGN_OR_RETURN(TpmProperties properties, ReadFixedProperties(esys));
  VTPMD_ASSIGN_OR_RETURN(identity_, IdentityFromProperties(properties, simulated));
  auto buffer_max = properties.find(TPM2_PT_NV_BUFFER_MAX);
  if (buffer_max == properties.end() || buffer_max->second == 0) {
    return Unavailable("TPM does not report TPM2_PT_NV_BUFFER_MAX");
  }
  nv_buffer_max_ = buffer_max->second;

  VTPMD_ASSIGN_OR_RETURN(PersistentKey ek_rsa, EnsurePersistentPrimary(esys, ESYS_TR_RH_ENDORSEMENT, kEkRsaHandle,
                                                                       tpm::EkRsaTemplate(), "RSA EK"));
  VTPMD_ASSIGN_OR_RETURN(PersistentKey ek_ecc, EnsurePersistentPrimary(esys, ESYS_TR_RH_ENDORSEMENT, kEkEccHandle,
                                                                       tpm::EkEccTemplate(), "ECC EK"));
  VTPMD_ASSIGN_OR_RETURN(PersistentKey srk, EnsurePersistentPrimary(esys, ESYS_TR_RH_OWNER, kSrkHandle, SrkTemplate(),
                                                                    "storage root key"));
  VTPMD_ASSIGN_OR_RETURN(PersistentKey aik, EnsurePersistentPrimary(esys, ESYS_TR_RH_ENDORSEMENT, kAikHandle,
                                                                    AikTemplate(), "platform AIK"));
  VTPMD_ASSIGN_OR_RETURN(PersistentKey host_key,
                         EnsurePersistentPrimary(esys, ESYS_TR_RH_ENDORSEMENT, kHostSigningKeyHandle,
                                                 HostSigningKeyTemplate(), "host signing key"));
  // The template check ignores `unique`, so only this tells the AIK itself (which
  // must not certify itself) from the key derived with the host key's label.
  if (SameEccPoint(host_key.public_area, aik.public_area)) {
    return FailedPrecondition("persistent handle " + HandleHex(kHostSigningKeyHandle) +
                              " holds the platform AIK, not the host signing key");
  }
  ek_rsa_ = ek_rsa.public_area;
  ek_ecc_ = ek_ecc.public_area;
  aik_ = aik.public_area;
  aik_tr_ = aik.tr;
  host_signing_key_ = host_key.public_area;
  host_signing_key_tr_ = host_key.tr;
  ek_rsa_tr_ = ek_rsa.tr;
  srk_tr_ = srk.tr;
  VTPMD_ASSIGN_OR_RETURN(pcr_banks_, ReadAllocatedBanks(esys));
  return Ok();
}

Result<std::vector<PcrBankValues>> PlatformTpm::ReadPcrs(const TPML_PCR_SELECTION& selection) {
  VTPMD_RETURN_IF_ERROR(ValidatePcrSelection(selection, pcr_banks_));
  std::lock_guard lock(mu_);
  return ReadPcrValues(esys_->get(), selection);
}

Result<QuoteResult> PlatformTpm::Quote(ByteView qualifying_data, const TPML_PCR_SELECTION& selection) {
  if (qualifying_data.size() > kMaxQualifyingData) {
    return InvalidArgument("qualifying data is longer than " + std::to_string(kMaxQualifyingData) + " bytes");
  }
  VTPMD_RETURN_IF_ERROR(ValidatePcrSelection(selection, pcr_banks_));
  TPM2B_DATA nonce{};
  nonce.size = static_cast<std::uint16_t>(qualifying_data.size());
  std::copy(qualifying_data.begin(), qualifying_data.end(), nonce.buffer);

  Result<QuoteResult> result = [&] {
    std::lock_guard lock(mu_);
    TPMT_SIG_SCHEME scheme{};
    scheme.scheme = TPM2_ALG_ECDSA;
    scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
    Result<QuoteResult> quoted = QuoteAndReadPcrs(esys_->get(), aik_tr_, scheme, nonce, selection,
                                                  last_quote_ ? &last_quote_->pcrs : nullptr);
    if (quoted.ok()) last_quote_ = *quoted;
    return quoted;
  }();
  // The simulated latency models a TPM on a slow bus: the answer arrives late, but the
  // TPM (and the ESYS mutex) is free for other commands meanwhile, so several quotes
  // (several deep-quote batches) can be in flight, as the batching benchmark assumes.
  // A real TPM that executes its quotes serially would instead hold the mutex the
  // whole time; batches would then wait longer and grow larger, not queue in parallel.
  if (simulated_quote_latency_.count() > 0) std::this_thread::sleep_for(simulated_quote_latency_);
  return result;
}

Result<CertifyResult> PlatformTpm::CertifyHostSigningKey(ByteView qualifying_data) {
  std::lock_guard lock(mu_);
  return CertifyObject(esys_->get(), host_signing_key_tr_, host_signing_key_, aik_tr_, qualifying_data);
}

Result<Bytes> PlatformTpm::SignWithHostKey(ByteView message) {
  std::lock_guard lock(mu_);
  return SignWithHashCheckTicket(esys_->get(), host_signing_key_tr_, message);
}

Result<SecretBytes> PlatformTpm::ActivateCredential(ByteView id_object, ByteView encrypted_secret) {
  std::lock_guard lock(mu_);
  return vtpm::ActivateCredential(esys_->get(), aik_tr_, ek_rsa_tr_, id_object, encrypted_secret);
}

Result<std::optional<Bytes>> PlatformTpm::ReadNv(TPM2_HANDLE index) {
  std::lock_guard lock(mu_);
  return ReadNvIndex(esys_->get(), index, nv_buffer_max_);
}

Status PlatformTpm::WriteNvCertificate(TPM2_HANDLE index, ByteView der) {
  std::lock_guard lock(mu_);
  return vtpm::WriteNvCertificate(esys_->get(), index, der, nv_buffer_max_);
}

Result<Bytes> PlatformTpm::Seal(const SecretBytes& secret) {
  std::lock_guard lock(mu_);
  return SealUnderKey(esys_->get(), srk_tr_, secret);
}

Result<SecretBytes> PlatformTpm::Unseal(ByteView sealed_blob) {
  std::lock_guard lock(mu_);
  return UnsealUnderKey(esys_->get(), srk_tr_, sealed_blob);
}

}  // namespace vtpmd::vtpm
