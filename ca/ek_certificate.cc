#include "ca/ek_certificate.h"

#include <array>
#include <cstdio>

#include "ca/certificate_builder.h"
#include "ca/certificate_record.h"
#include "ca/der.h"
#include "ca/private_key.h"

namespace vtpmd::ca {
namespace {

// TPM 2.0 family, level 0, revision 1.64 (encoded as 164): what swtpm/libtpms implements.
constexpr std::string_view kSpecFamily = "2.0";
constexpr std::int64_t kSpecLevel = 0;
constexpr std::int64_t kSpecRevision = 164;

std::string TcgId(std::uint32_t value) {
  std::array<char, 16> text{};
  std::snprintf(text.data(), text.size(), "id:%08X", value);
  return text.data();
}

// SubjectDirectoryAttributes ::= SEQUENCE OF Attribute, with one Attribute:
// { tcg-at-tpmSpecification, SET { TPMSpecification ::= SEQUENCE { family, level, revision } } }.
Result<Bytes> TpmSpecificationAttributes() {
  VTPMD_ASSIGN_OR_RETURN(Bytes family, der::Utf8String(kSpecFamily));
  VTPMD_ASSIGN_OR_RETURN(Bytes level, der::Integer(kSpecLevel));
  VTPMD_ASSIGN_OR_RETURN(Bytes revision, der::Integer(kSpecRevision));
  VTPMD_ASSIGN_OR_RETURN(Bytes specification, der::Sequence({family, level, revision}));
  VTPMD_ASSIGN_OR_RETURN(Bytes values, der::Set({specification}));
  VTPMD_ASSIGN_OR_RETURN(Bytes type, der::ObjectIdentifier(tcg::kTpmSpecificationOid));
  VTPMD_ASSIGN_OR_RETURN(Bytes attribute, der::Sequence({type, values}));
  return der::Sequence({attribute});
}

Result<KeyUsageBits> EkKeyUsage(EVP_PKEY* ek) {
  switch (EVP_PKEY_get_base_id(ek)) {
    case EVP_PKEY_RSA: return KeyUsageBits{.key_encipherment = true};
    case EVP_PKEY_EC: return KeyUsageBits{.key_agreement = true};
    default: return InvalidArgument("EK public key is neither RSA nor ECC");
  }
}

// The first signature fixed every TBS field (the signature algorithm included),
// so the digest the platform quotes over is the final TBS minus the binding.
Status BindToPlatform(X509* certificate, const Issuer& issuer, const PlatformBinder& binder) {
  VTPMD_ASSIGN_OR_RETURN(Bytes digest, PlatformBindingDigest(certificate));
  auto binding = binder(digest);
  if (!binding.ok()) return binding.error().WithContext("platform binding");
  VTPMD_RETURN_IF_ERROR(AddPlatformBinding(certificate, *binding));
  VTPMD_ASSIGN_OR_RETURN(const EVP_MD* md, IssuerSigningDigest(issuer.private_key.get()));
  if (X509_sign(certificate, issuer.private_key.get(), md) <= 0) return ossl::LastError("X509_sign");
  VTPMD_ASSIGN_OR_RETURN(Bytes bound_digest, PlatformBindingDigest(certificate));
  if (bound_digest != digest) return Internal("re-signing changed the EK certificate's to-be-signed contents");
  return Ok();
}

}  // namespace

Result<ossl::X509Ptr> IssueEkCertificate(const Issuer& issuer, const EkCertificateRequest& request, Store& store,
                                         const Clock& clock, Rng& rng) {
  if (request.ek_public == nullptr) return InvalidArgument("EK certificate request without a public key");
  if (request.validity <= std::chrono::seconds(0)) return InvalidArgument("EK certificate validity must be positive");
  if (request.tpm.model.empty()) return InvalidArgument("EK certificate request without a TPM model");
  VTPMD_ASSIGN_OR_RETURN(KeyUsageBits key_usage, EkKeyUsage(request.ek_public));
  VTPMD_ASSIGN_OR_RETURN(Bytes directory_attributes, TpmSpecificationAttributes());

  const bool empty_subject = request.subject_common_name.empty();
  CertificateBuilder builder(request.ek_public);
  builder.SetSubject({.common_name = request.subject_common_name})
      .SetValidity(clock, request.validity)
      .SetBasicConstraints(false, std::nullopt)
      .SetKeyUsage(key_usage)
      .SetExtendedKeyUsage({std::string(tcg::kEkCertificateOid)})
      .SetSubjectAltNames(
          {.directory_names = {{
               {std::string(tcg::kTpmManufacturerOid), TcgId(request.tpm.manufacturer_id)},
               {std::string(tcg::kTpmModelOid), request.tpm.model},
               {std::string(tcg::kTpmVersionOid), TcgId(static_cast<std::uint32_t>(request.tpm.firmware_version >> 32))},
           }}},
          empty_subject)
      .AddExtension(std::string(tcg::kSubjectDirectoryAttributesOid), std::move(directory_attributes), false);

  VTPMD_ASSIGN_OR_RETURN(ossl::X509Ptr certificate,
                         builder.SignWith(issuer.certificate.get(), issuer.private_key.get(), rng));
  if (request.binder) VTPMD_RETURN_IF_ERROR(BindToPlatform(certificate.get(), issuer, request.binder));
  VTPMD_RETURN_IF_ERROR(RecordCertificate(store, issuer.role, "ek", certificate.get(), request.instance_id));
  return certificate;
}

}  // namespace vtpmd::ca
