#include "vtpm/platform_tpm.h"

#include <algorithm>

#include "core/pcr_selection.h"
#include "core/tpm_wire.h"
#include "vtpm/credential_activation.h"
#include "vtpm/esys_context.h"
#include "vtpm/nv_index.h"
#include "vtpm/persistent_key.h"
#include "vtpm/sealing.h"
#include "vtpm/swtpm_process.h"
#include "vtpm/ticketed_signing.h"
#include "vtpm/tpm_handles.h"
#include "vtpm/tpm_templates.h"

namespace vtpmd::vtpm {
namespace {

// PCRs may be extended between TPM2_Quote and TPM2_PCR_Read; a few retries let a
// burst of extends settle before giving up.
constexpr int kQuoteAttempts = 4;

Status StartupClear(ESYS_CONTEXT* esys) {
  TSS2_RC rc = Esys_Startup(esys, TPM2_SU_CLEAR);
  // TPM_RC_INITIALIZE: firmware (or swtpm's startup-clear flag) already started it.
  if (BaseRc(rc) == TPM2_RC_INITIALIZE) return Ok();
  return CheckTss(rc, "TPM2_Startup(CLEAR)", ErrorCode::kUnavailable);
}

Result<TPMS_ATTEST> ParseQuoteAttest(ByteView attest) {
  VTPMD_ASSIGN_OR_RETURN(TPMS_ATTEST parsed, tpm::ParseAttest(attest));
  if (parsed.type != TPM2_ST_ATTEST_QUOTE) {
    return Internal("TPM2_Quote returned something other than a quote attestation");
  }
  return parsed;
}

bool SameEccPoint(const TPM2B_PUBLIC& a, const TPM2B_PUBLIC& b) {
  const TPMS_ECC_POINT& p = a.publicArea.unique.ecc;
  const TPMS_ECC_POINT& q = b.publicArea.unique.ecc;
  return std::ranges::equal(ByteView(p.x.buffer, p.x.size), ByteView(q.x.buffer, q.x.size)) &&
         std::ranges::equal(ByteView(p.y.buffer, p.y.size), ByteView(q.y.buffer, q.y.size));
}

}  // namespace

PlatformTpm::PlatformTpm(std::unique_ptr<SwtpmProcess> swtpm, std::unique_ptr<EsysContext> esys)
    : swtpm_(std::move(swtpm)), esys_(std::move(esys)) {}

PlatformTpm::~PlatformTpm() = default;

Result<std::unique_ptr<PlatformTpm>> PlatformTpm::Open(const PlatformTpmOptions& options) {
  const bool simulated = options.tcti == kSimulatedTcti;
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
  std::unique_ptr<PlatformTpm> tpm(new PlatformTpm(std::move(swtpm), std::move(esys)));
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
  TPMT_SIG_SCHEME scheme{};
  scheme.scheme = TPM2_ALG_ECDSA;
  scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;

  std::lock_guard lock(mu_);
  ESYS_CONTEXT* esys = esys_->get();
  for (int attempt = 0; attempt < kQuoteAttempts; ++attempt) {
    TPM2B_ATTEST* attest_raw = nullptr;
    TPMT_SIGNATURE* signature_raw = nullptr;
    VTPMD_RETURN_IF_ERROR(CheckTss(Esys_Quote(esys, aik_tr_, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &nonce,
                                              &scheme, &selection, &attest_raw, &signature_raw),
                                   "TPM2_Quote"));
    EsysOwned<TPM2B_ATTEST> attest(attest_raw);
    EsysOwned<TPMT_SIGNATURE> signature(signature_raw);

    QuoteResult result;
    result.attest.assign(attest->attestationData, attest->attestationData + attest->size);
    VTPMD_ASSIGN_OR_RETURN(TPMS_ATTEST parsed, ParseQuoteAttest(result.attest));
    result.selection = parsed.attested.quote.pcrSelect;
    VTPMD_ASSIGN_OR_RETURN(result.pcrs, ReadPcrValues(esys, result.selection));
    VTPMD_ASSIGN_OR_RETURN(Bytes digest, tpm::PcrDigest(HashAlg::kSha256, ValuesInTpmOrder(result.pcrs)));
    const TPM2B_DIGEST& quoted = parsed.attested.quote.pcrDigest;
    if (ConstantTimeEquals(digest, ByteView(quoted.buffer, quoted.size))) {
      VTPMD_ASSIGN_OR_RETURN(result.signature, tpm::MarshalSignature(*signature));
      return result;
    }
  }
  return Unavailable("PCRs kept changing between TPM2_Quote and TPM2_PCR_Read");
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
