#pragma once
// The host's own TPM (the platform TPM): its identity, EKs, the platform AIK,
// PCRs, quotes, EK-certificate NV indices and sealing of vtpmd's data keys.
//
// Every ESYS call is serialized by one mutex: an ESYS context is not thread-safe
// and the TPM executes one command at a time anyway.

#include <tss2/tss2_esys.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/result.h"
#include "core/secret_bytes.h"
#include "vtpm/key_certification.h"
#include "vtpm/pcr_values.h"
#include "vtpm/quote.h"
#include "vtpm/tpm_properties.h"

namespace vtpmd::vtpm {

class EsysContext;
class SwtpmProcess;

inline constexpr TPM2_HANDLE kEkRsaHandle = 0x81010001;
inline constexpr TPM2_HANDLE kEkEccHandle = 0x81010002;
inline constexpr TPM2_HANDLE kSrkHandle = 0x81000001;
inline constexpr TPM2_HANDLE kAikHandle = 0x81010010;
inline constexpr TPM2_HANDLE kHostSigningKeyHandle = 0x81010011;
inline constexpr TPM2_HANDLE kEkRsaCertIndex = 0x01c00002;
inline constexpr TPM2_HANDLE kEkEccCertIndex = 0x01c0000a;
inline constexpr std::size_t kMaxQualifyingData = 64;

inline constexpr char kSimulatedTcti[] = "simulated";

struct PlatformTpmOptions {
  // "simulated", or a tpm2-tss TCTI such as "device:/dev/tpmrm0" or "swtpm:path=...".
  std::string tcti = kSimulatedTcti;
  // Simulated mode only: the swtpm state directory and its sockets.
  std::filesystem::path runtime_dir;
  // Simulated mode only (Open refuses it for a real TCTI): how long each Quote takes
  // to answer beyond swtpm's own few milliseconds, so that batching of deep quotes is
  // measured under a hardware TPM's response times (hundreds of milliseconds).
  std::chrono::milliseconds simulated_quote_latency{0};
};

class PlatformTpm {
 public:
  static Result<std::unique_ptr<PlatformTpm>> Open(const PlatformTpmOptions& options);

  PlatformTpm(const PlatformTpm&) = delete;
  PlatformTpm& operator=(const PlatformTpm&) = delete;
  ~PlatformTpm();

  bool simulated() const { return identity_.simulated; }
  const PlatformIdentity& identity() const { return identity_; }
  const TPM2B_PUBLIC& ek_rsa() const { return ek_rsa_; }
  const TPM2B_PUBLIC& ek_ecc() const { return ek_ecc_; }
  const TPM2B_PUBLIC& aik() const { return aik_; }
  // Restricted ECDSA-P256/SHA-256 signing key that issues vTPM AIK certificates
  // ("aik-certifies-aik"): the platform AIK certifies it, the privacy CA makes it a CA.
  const TPM2B_PUBLIC& host_signing_key() const { return host_signing_key_; }
  std::vector<TPM2_ALG_ID> pcr_banks() const { return pcr_banks_; }

  Result<std::vector<PcrBankValues>> ReadPcrs(const TPML_PCR_SELECTION& selection);
  // TPM2_Quote with the platform AIK (ECDSA/SHA-256); at most 64 bytes of qualifying
  // data. A simulated TPM answers after its simulated_quote_latency.
  Result<QuoteResult> Quote(ByteView qualifying_data, const TPML_PCR_SELECTION& selection);
  // TPM2_Certify of the host signing key by the platform AIK (ECDSA/SHA-256): the
  // TPM's word that the key is resident here and restricted. At most 64 bytes of
  // qualifying data.
  Result<CertifyResult> CertifyHostSigningKey(ByteView qualifying_data);
  // The host signing key's marshalled TPMT_SIGNATURE (ECDSA/SHA-256) over
  // `message`, hashed by the TPM; tpm::EcdsaSignatureDer gives X.509's encoding.
  // A message starting with TPM_GENERATED_VALUE (or under 4 bytes) is refused.
  Result<Bytes> SignWithHostKey(ByteView message);

  // TPM2_ActivateCredential with the platform AIK and the RSA EK: how the platform
  // AIK proves itself to a privacy CA.
  Result<SecretBytes> ActivateCredential(ByteView id_object, ByteView encrypted_secret);
  // nullopt when the index is not defined (or never written).
  Result<std::optional<Bytes>> ReadNv(TPM2_HANDLE index);
  Status WriteNvCertificate(TPM2_HANDLE index, ByteView der);

  // Binds a secret of at most 128 bytes to this TPM.
  Result<Bytes> Seal(const SecretBytes& secret);
  Result<SecretBytes> Unseal(ByteView sealed_blob);

 private:
  PlatformTpm(std::unique_ptr<SwtpmProcess> swtpm, std::unique_ptr<EsysContext> esys,
              std::chrono::milliseconds simulated_quote_latency);

  Status Provision(bool simulated);

  std::mutex mu_;
  // Declared before esys_ so that the ESYS context is torn down first.
  std::unique_ptr<SwtpmProcess> swtpm_;
  std::unique_ptr<EsysContext> esys_;
  PlatformIdentity identity_;
  std::uint32_t nv_buffer_max_ = 0;
  TPM2B_PUBLIC ek_rsa_{};
  TPM2B_PUBLIC ek_ecc_{};
  TPM2B_PUBLIC aik_{};
  ESYS_TR aik_tr_ = ESYS_TR_NONE;
  TPM2B_PUBLIC host_signing_key_{};
  ESYS_TR host_signing_key_tr_ = ESYS_TR_NONE;
  ESYS_TR ek_rsa_tr_ = ESYS_TR_NONE;
  ESYS_TR srk_tr_ = ESYS_TR_NONE;
  std::vector<TPM2_ALG_ID> pcr_banks_;
  const std::chrono::milliseconds simulated_quote_latency_;
  // The PCR values of the last quote, which the next one of the same selection
  // usually covers too (guarded by mu_).
  std::optional<QuoteResult> last_quote_;
};

}  // namespace vtpmd::vtpm
