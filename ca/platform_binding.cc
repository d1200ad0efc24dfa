#include "ca/platform_binding.h"

#include <algorithm>
#include <string>

#include "ca/aik_certificate.h"
#include "ca/certificate_record.h"
#include "ca/der.h"
#include "ca/serial_number.h"
#include "ca/vtpmd_oids.h"
#include "core/byte_reader.h"
#include "core/crypto.h"
#include "core/openssl.h"
#include "core/pcr_selection.h"
#include "core/tpm_signature.h"
#include "core/tpm_wire.h"

namespace vtpmd::ca {
namespace {

constexpr std::uint32_t kBindingVersion = 1;
using Asn1ObjectPtr = ossl::Owned<ASN1_OBJECT, ASN1_OBJECT_free>;

Result<Asn1ObjectPtr> BindingOid() {
  Asn1ObjectPtr oid(OBJ_txt2obj(std::string(oid::kPlatformBinding).c_str(), 1));
  if (!oid) return ossl::LastError("OBJ_txt2obj");
  return oid;
}

Result<Bytes> NonEmptyOctets(ByteReader& reader, std::string_view what) {
  auto content = der::ReadElement(reader, der::kTagOctetString);
  if (!content.ok()) return content.error().WithContext(what);
  if (content->empty()) return InvalidArgument(std::string(what) + " is empty");
  return Bytes(content->begin(), content->end());
}

Result<std::vector<Bytes>> SplitPcrValues(const TPML_PCR_SELECTION& selection, ByteView values) {
  VTPMD_ASSIGN_OR_RETURN(std::vector<tpm::PcrSlot> slots, tpm::PcrSlotsInTpmOrder(selection));
  ByteReader reader(values);
  std::vector<Bytes> out;
  for (const tpm::PcrSlot& slot : slots) {
    VTPMD_ASSIGN_OR_RETURN(ByteView value, reader.Take(DigestSize(slot.bank)));
    out.emplace_back(value.begin(), value.end());
  }
  VTPMD_RETURN_IF_ERROR(reader.ExpectEnd("platform PCR values"));
  return out;
}

Status CheckPolicy(const TPML_PCR_SELECTION& selection, const std::vector<Bytes>& values,
                   const PlatformPolicy& policy) {
  VTPMD_ASSIGN_OR_RETURN(std::vector<tpm::PcrSlot> slots, tpm::PcrSlotsInTpmOrder(selection));
  for (const auto& [index, allowed] : policy.allowed_sha256) {
    const auto slot = std::find(slots.begin(), slots.end(), tpm::PcrSlot{HashAlg::kSha256, index});
    if (slot == slots.end()) {
      return Unsupported("the platform quote does not cover sha256 PCR " + std::to_string(index));
    }
    const Bytes& value = values[static_cast<std::size_t>(slot - slots.begin())];
    if (std::find(allowed.begin(), allowed.end(), value) == allowed.end()) {
      return Unsupported("platform sha256 PCR " + std::to_string(index) + " = " + HexEncode(value) +
                         " is not an allowed value");
    }
  }
  return Ok();
}

}  // namespace

Result<Bytes> EncodePlatformBinding(const PlatformBinding& binding) {
  VTPMD_ASSIGN_OR_RETURN(Bytes version, der::Integer(kBindingVersion));
  VTPMD_ASSIGN_OR_RETURN(Bytes aik, der::OctetString(binding.platform_aik_certificate));
  VTPMD_ASSIGN_OR_RETURN(Bytes attest, der::OctetString(binding.attest));
  VTPMD_ASSIGN_OR_RETURN(Bytes signature, der::OctetString(binding.signature));
  VTPMD_ASSIGN_OR_RETURN(Bytes pcrs, der::OctetString(binding.pcr_values));
  return der::Sequence({version, aik, attest, signature, pcrs});
}

Result<PlatformBinding> ParsePlatformBinding(ByteView der) {
  ByteReader outer(der);
  VTPMD_ASSIGN_OR_RETURN(ByteView content, der::ReadElement(outer, der::kTagSequence));
  VTPMD_RETURN_IF_ERROR(outer.ExpectEnd("platform binding"));
  ByteReader reader(content);
  VTPMD_ASSIGN_OR_RETURN(std::uint32_t version, der::ReadSmallInteger(reader));
  if (version != kBindingVersion) return Unsupported("platform binding version " + std::to_string(version));
  PlatformBinding binding;
  VTPMD_ASSIGN_OR_RETURN(binding.platform_aik_certificate, NonEmptyOctets(reader, "platform AIK certificate"));
  VTPMD_ASSIGN_OR_RETURN(binding.attest, NonEmptyOctets(reader, "platform quote"));
  VTPMD_ASSIGN_OR_RETURN(binding.signature, NonEmptyOctets(reader, "platform quote signature"));
  VTPMD_ASSIGN_OR_RETURN(binding.pcr_values, NonEmptyOctets(reader, "platform PCR values"));
  VTPMD_RETURN_IF_ERROR(reader.ExpectEnd("platform binding"));
  return binding;
}

Result<Bytes> PlatformBindingDigest(X509* certificate) {
  ossl::X509Ptr copy(X509_dup(certificate));
  if (!copy) return ossl::LastError("X509_dup");
  VTPMD_ASSIGN_OR_RETURN(Asn1ObjectPtr oid, BindingOid());
  const int index = X509_get_ext_by_OBJ(copy.get(), oid.get(), -1);
  if (index >= 0) {
    if (index != X509_get_ext_count(copy.get()) - 1) {
      return Unsupported("the platform binding is not the certificate's last extension");
    }
    X509_EXTENSION_free(X509_delete_ext(copy.get(), index));
  }
  unsigned char* tbs = nullptr;
  const int length = i2d_re_X509_tbs(copy.get(), &tbs);
  if (length <= 0) return ossl::LastError("i2d_re_X509_tbs");
  Result<Bytes> digest = Sha256(ByteView(tbs, static_cast<std::size_t>(length)));
  OPENSSL_free(tbs);
  return digest;
}

Result<std::optional<PlatformBinding>> FindPlatformBinding(X509* certificate) {
  VTPMD_ASSIGN_OR_RETURN(Asn1ObjectPtr oid, BindingOid());
  const int index = X509_get_ext_by_OBJ(certificate, oid.get(), -1);
  if (index < 0) return std::optional<PlatformBinding>();
  const ASN1_OCTET_STRING* value = X509_EXTENSION_get_data(X509_get_ext(certificate, index));
  auto binding = ParsePlatformBinding(
      ByteView(ASN1_STRING_get0_data(value), static_cast<std::size_t>(ASN1_STRING_length(value))));
  if (!binding.ok()) return binding.error().WithContext("platform binding extension");
  return std::optional<PlatformBinding>(std::move(*binding));
}

Status AddPlatformBinding(X509* certificate, const PlatformBinding& binding) {
  VTPMD_ASSIGN_OR_RETURN(Bytes value, EncodePlatformBinding(binding));
  VTPMD_ASSIGN_OR_RETURN(Asn1ObjectPtr oid, BindingOid());
  ossl::Asn1OctetStringPtr data(ASN1_OCTET_STRING_new());
  if (!data || ASN1_OCTET_STRING_set(data.get(), value.data(), static_cast<int>(value.size())) != 1) {
    return ossl::LastError("ASN1_OCTET_STRING_set");
  }
  ossl::X509ExtPtr extension(X509_EXTENSION_create_by_OBJ(nullptr, oid.get(), 0, data.get()));
  if (!extension) return ossl::LastError("X509_EXTENSION_create_by_OBJ");
  return ossl::Check(X509_add_ext(certificate, extension.get(), -1), "X509_add_ext");
}

Status VerifyPlatformBinding(X509* ek_certificate, const PlatformBinding& binding, EVP_PKEY* platform_aik,
                             const PlatformPolicy& policy) {
  auto attest = tpm::ParseAttest(binding.attest);
  if (!attest.ok()) return Unsupported("platform binding: " + attest.error().message());
  if (attest->type != TPM2_ST_ATTEST_QUOTE) return Unsupported("platform binding: the attestation is not a quote");
  auto signature = tpm::ParseSignature(binding.signature);
  if (!signature.ok()) return Unsupported("platform binding: " + signature.error().message());
  if (!tpm::VerifyTpmSignature(platform_aik, binding.attest, *signature).ok()) {
    return Unsupported("platform binding: the quote is not signed by the platform AIK");
  }
  VTPMD_ASSIGN_OR_RETURN(Bytes digest, PlatformBindingDigest(ek_certificate));
  const TPM2B_DATA& qualifying = attest->extraData;
  if (!ConstantTimeEquals(digest, ByteView(qualifying.buffer, qualifying.size))) {
    return Unsupported("platform binding: the quote was made for another certificate");
  }
  const TPML_PCR_SELECTION& selection = attest->attested.quote.pcrSelect;
  auto values = SplitPcrValues(selection, binding.pcr_values);
  if (!values.ok()) return Unsupported("platform binding: " + values.error().message());
  // A quote's pcrDigest uses the hash of its signing scheme (Part 3, TPM2_Quote).
  VTPMD_ASSIGN_OR_RETURN(HashAlg digest_alg, tpm::SignatureHashAlg(*signature));
  VTPMD_ASSIGN_OR_RETURN(Bytes pcr_digest, tpm::PcrDigest(digest_alg, *values));
  const TPM2B_DIGEST& quoted = attest->attested.quote.pcrDigest;
  if (!ConstantTimeEquals(pcr_digest, ByteView(quoted.buffer, quoted.size))) {
    return Unsupported("platform binding: the PCR values are not the quoted ones");
  }
  return CheckPolicy(selection, *values, policy);
}

Status VerifyBoundEkCertificate(Store& store, X509* ek_certificate, const PlatformPolicy& policy, TimePoint now) {
  VTPMD_ASSIGN_OR_RETURN(std::optional<PlatformBinding> binding, FindPlatformBinding(ek_certificate));
  if (!binding) return Unsupported("the EK certificate carries no platform binding (method aik-certifies-ek)");
  auto platform_aik = ossl::ParseCertificateDer(binding->platform_aik_certificate);
  if (!platform_aik.ok()) return Unsupported("platform binding: the platform AIK certificate does not parse");
  // The store is the authority on what this CA issued and revoked.
  VTPMD_ASSIGN_OR_RETURN(std::string serial, SerialHex(platform_aik->get()));
  VTPMD_ASSIGN_OR_RETURN(std::optional<CertificateRecord> record, FindCertificate(store, serial));
  if (!record || record->der != binding->platform_aik_certificate || record->kind != kPlatformAikKind) {
    return Unsupported("platform binding: the platform AIK certificate was not issued here to a host TPM");
  }
  if (record->StatusAt(now) != CertificateStatus::kValid) {
    return Unsupported("platform binding: the platform AIK certificate is " +
                       std::string(CertificateStatusName(record->StatusAt(now))));
  }
  return VerifyPlatformBinding(ek_certificate, *binding, X509_get0_pubkey(platform_aik->get()), policy);
}

}  // namespace vtpmd::ca
