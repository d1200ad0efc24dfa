#include "ca/host_signing_key.h"

#include <algorithm>

#include "ca/aik_public.h"
#include "ca/certificate_builder.h"
#include "ca/certificate_record.h"
#include "ca/x509_time.h"
#include "core/tpm_keys.h"
#include "core/tpm_signature.h"
#include "core/tpm_wire.h"

namespace vtpmd::ca {
namespace {

constexpr std::chrono::seconds kHostSignerValidity{std::chrono::hours(24 * 365)};

Status VerifyCertification(EVP_PKEY* platform_aik, const HostKeyEvidence& evidence, ByteView key_name,
                           ByteView qualifying_data) {
  VTPMD_ASSIGN_OR_RETURN(TPMS_ATTEST attest, tpm::ParseAttest(evidence.certify_attest));
  if (attest.type != TPM2_ST_ATTEST_CERTIFY) return Unsupported("the host key evidence is not a TPM2_Certify");
  const TPM2B_NAME& name = attest.attested.certify.name;
  if (!ConstantTimeEquals(ByteView(name.name, name.size), key_name)) {
    return Unsupported("the platform AIK certified another key");
  }
  if (!ConstantTimeEquals(ByteView(attest.extraData.buffer, attest.extraData.size), qualifying_data)) {
    return Unsupported("the certification was made for another request");
  }
  VTPMD_ASSIGN_OR_RETURN(TPMT_SIGNATURE signature, tpm::ParseSignature(evidence.certify_signature));
  if (!tpm::VerifyTpmSignature(platform_aik, evidence.certify_attest, signature).ok()) {
    return Unsupported("the certification is not signed by the platform AIK");
  }
  return Ok();
}

}  // namespace

Result<ossl::X509Ptr> IssueHostSigningKeyCertificate(const Issuer& privacy_ca, X509* platform_aik_certificate,
                                                     const HostKeyEvidence& evidence, ByteView qualifying_data,
                                                     const std::string& host_name, Store& store, const Clock& clock,
                                                     Rng& rng) {
  // The attributes an AIK must have are the ones that make a key safe to sign
  // certificates with inside a TPM: restricted, fixedTPM, TPM-generated.
  auto key = AikPublic::Create(evidence.key_public);
  if (!key.ok()) return key.error().WithContext("host signing key");
  VTPMD_RETURN_IF_ERROR(
      VerifyCertification(X509_get0_pubkey(platform_aik_certificate), evidence, key->name(), qualifying_data));
  VTPMD_ASSIGN_OR_RETURN(TimePoint aik_not_after, ToTimePoint(X509_get0_notAfter(platform_aik_certificate)));
  const auto remaining = std::chrono::duration_cast<std::chrono::seconds>(aik_not_after - clock.Now());
  const std::chrono::seconds validity = std::min(kHostSignerValidity, remaining);
  if (validity <= std::chrono::seconds(0)) return FailedPrecondition("the platform AIK certificate has expired");

  VTPMD_ASSIGN_OR_RETURN(ossl::PkeyPtr public_key, tpm::PublicKeyFromTpm(key->area()));
  // An EVP key, not the TPM-area path: the signer's certificate must carry a decoded
  // key, since every certificate it signs is verified against it.
  CertificateBuilder builder(public_key.get());
  builder.SetSubject({.common_name = host_name, .organization = "", .organizational_unit = "host signing key"})
      .SetValidity(clock, validity)
      .SetBasicConstraints(true, 0)
      .SetKeyUsage({.key_cert_sign = true});
  VTPMD_ASSIGN_OR_RETURN(ossl::X509Ptr certificate,
                         builder.SignWith(privacy_ca.certificate.get(), privacy_ca.private_key.get(), rng));
  VTPMD_RETURN_IF_ERROR(RecordCertificate(store, privacy_ca.role, kHostSignerKind, certificate.get()));
  return certificate;
}

}  // namespace vtpmd::ca
