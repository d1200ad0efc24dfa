#include "ca/aik_certificate.h"

#include <algorithm>

#include "ca/certificate_builder.h"
#include "ca/certificate_record.h"
#include "ca/der.h"
#include "ca/vtpmd_oids.h"

namespace vtpmd::ca {

Result<ossl::X509Ptr> SignAikCertificate(const Issuer& issuer, const AikCertificateRequest& request, const Clock& clock,
                                         Rng& rng, const TpmCertificateSigner* host_signer) {
  if (request.aik_name.empty()) return Internal("AIK certificate without a key");
  const bool for_instance = !request.instance_id.empty();
  if (request.platform && for_instance) return Internal("a vTPM's AIK is never a platform's");
  if (!for_instance && request.host_name.empty()) {
    return Internal("an AIK certificate names a vTPM instance or the host");
  }
  const auto remaining = std::chrono::duration_cast<std::chrono::seconds>(request.not_after_limit - clock.Now());
  const std::chrono::seconds validity = std::min(request.validity, remaining);
  if (validity <= std::chrono::seconds(0)) {
    return FailedPrecondition("the EK certificate expires before an AIK certificate could be valid");
  }
  VTPMD_ASSIGN_OR_RETURN(Bytes name_extension, der::OctetString(request.aik_name));
  const DistinguishedName subject =
      for_instance
          ? DistinguishedName{.common_name = request.vm_id,
                              .organization = "",
                              .organizational_unit = "instance " + request.instance_id}
          : DistinguishedName{.common_name = request.host_name, .organization = "", .organizational_unit = "platform"};
  CertificateBuilder builder(request.aik_public);
  builder.SetSubject(subject)
      .SetValidity(clock, validity)
      .SetBasicConstraints(false, std::nullopt)
      .SetKeyUsage({.digital_signature = true})
      .SetExtendedKeyUsage({std::string(oid::kAikCertificateUsage)})
      .AddExtension(std::string(oid::kTpmObjectName), std::move(name_extension), false);
  if (host_signer == nullptr) return builder.SignWith(issuer.certificate.get(), issuer.private_key.get(), rng);
  VTPMD_ASSIGN_OR_RETURN(ossl::X509Ptr completed,
                         builder.SignWith(host_signer->certificate(), host_signer->placeholder_key(), rng));
  return host_signer->Resign(completed.get());
}

Status RecordAikCertificate(Store& store, const Issuer& issuer, const AikCertificateRequest& request,
                            X509* certificate) {
  return RecordCertificate(store, issuer.role, request.platform ? kPlatformAikKind : kAikKind, certificate,
                           request.instance_id);
}

}  // namespace vtpmd::ca
