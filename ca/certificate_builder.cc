#include "ca/certificate_builder.h"

#include <openssl/objects.h>

#include "ca/key_algorithm.h"
#include "ca/private_key.h"
#include "ca/serial_number.h"
#include "ca/tpm_subject_key.h"
#include "ca/x509_time.h"

namespace vtpmd::ca {
namespace {

using Asn1ObjectPtr = ossl::Owned<ASN1_OBJECT, ASN1_OBJECT_free>;
using GeneralNamePtr = ossl::Owned<GENERAL_NAME, GENERAL_NAME_free>;

Result<Asn1ObjectPtr> ParseOid(const std::string& dotted_oid) {
  Asn1ObjectPtr object(OBJ_txt2obj(dotted_oid.c_str(), 1));
  if (!object) return ossl::LastError("not a dotted OID: " + dotted_oid, ErrorCode::kInvalidArgument);
  return object;
}

Status AddNameEntry(X509_NAME* name, int nid, const std::string& value) {
  if (value.empty()) return Ok();
  return ossl::Check(
      X509_NAME_add_entry_by_NID(name, nid, MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(value.data()),
                                 static_cast<int>(value.size()), -1, 0),
      "X509_NAME_add_entry_by_NID");
}

Result<ossl::X509NamePtr> BuildName(const DistinguishedName& dn) {
  ossl::X509NamePtr name(X509_NAME_new());
  if (!name) return ossl::LastError("X509_NAME_new");
  VTPMD_RETURN_IF_ERROR(AddNameEntry(name.get(), NID_organizationName, dn.organization));
  VTPMD_RETURN_IF_ERROR(AddNameEntry(name.get(), NID_organizationalUnitName, dn.organizational_unit));
  VTPMD_RETURN_IF_ERROR(AddNameEntry(name.get(), NID_commonName, dn.common_name));
  return name;
}

Result<ossl::X509NamePtr> BuildDirectoryName(const std::vector<NameAttribute>& attributes) {
  ossl::X509NamePtr name(X509_NAME_new());
  if (!name) return ossl::LastError("X509_NAME_new");
  for (const NameAttribute& attribute : attributes) {
    VTPMD_ASSIGN_OR_RETURN(Asn1ObjectPtr type, ParseOid(attribute.oid));
    VTPMD_RETURN_IF_ERROR(
        ossl::Check(X509_NAME_add_entry_by_OBJ(name.get(), type.get(), V_ASN1_UTF8STRING,
                                               reinterpret_cast<const unsigned char*>(attribute.value.data()),
                                               static_cast<int>(attribute.value.size()), -1, 0),
                    "X509_NAME_add_entry_by_OBJ(" + attribute.oid + ")"));
  }
  return name;
}

Status PushName(GENERAL_NAMES* names, GeneralNamePtr name) {
  if (sk_GENERAL_NAME_push(names, name.get()) <= 0) return ossl::LastError("sk_GENERAL_NAME_push");
  (void)name.release();  // the stack owns it now
  return Ok();
}

Result<GeneralNamePtr> TextName(int type, const std::string& value) {
  if (value.empty()) return InvalidArgument("empty subjectAltName entry");
  GeneralNamePtr name(a2i_GENERAL_NAME(nullptr, nullptr, nullptr, type, value.c_str(), 0));
  if (!name) return ossl::LastError("invalid subjectAltName entry \"" + value + "\"", ErrorCode::kInvalidArgument);
  return name;
}

Result<ossl::X509ExtPtr> SubjectAltNameExtension(const SubjectAltNames& alt_names, bool critical) {
  ossl::GeneralNamesPtr names(GENERAL_NAMES_new());
  if (!names) return ossl::LastError("GENERAL_NAMES_new");
  for (const std::string& dns : alt_names.dns_names) {
    VTPMD_ASSIGN_OR_RETURN(GeneralNamePtr name, TextName(GEN_DNS, dns));
    VTPMD_RETURN_IF_ERROR(PushName(names.get(), std::move(name)));
  }
  for (const std::string& ip : alt_names.ip_addresses) {
    VTPMD_ASSIGN_OR_RETURN(GeneralNamePtr name, TextName(GEN_IPADD, ip));
    VTPMD_RETURN_IF_ERROR(PushName(names.get(), std::move(name)));
  }
  for (const std::vector<NameAttribute>& attributes : alt_names.directory_names) {
    VTPMD_ASSIGN_OR_RETURN(ossl::X509NamePtr directory_name, BuildDirectoryName(attributes));
    GeneralNamePtr name(GENERAL_NAME_new());
    if (!name) return ossl::LastError("GENERAL_NAME_new");
    GENERAL_NAME_set0_value(name.get(), GEN_DIRNAME, directory_name.release());
    VTPMD_RETURN_IF_ERROR(PushName(names.get(), std::move(name)));
  }
  if (sk_GENERAL_NAME_num(names.get()) == 0) return InvalidArgument("subjectAltName without entries");
  return ossl::CheckPtr(ossl::X509ExtPtr(X509V3_EXT_i2d(NID_subject_alt_name, critical ? 1 : 0, names.get())),
                        "X509V3_EXT_i2d(subjectAltName)");
}

// Extensions OpenSSL can build from its configuration syntax, with issuer and subject in context.
Status AddConfExtension(X509* certificate, X509V3_CTX* context, int nid, const std::string& value) {
  VTPMD_ASSIGN_OR_RETURN(ossl::X509ExtPtr extension,
                         ossl::CheckPtr(ossl::X509ExtPtr(X509V3_EXT_conf_nid(nullptr, context, nid, value.c_str())),
                                        std::string("building ") + OBJ_nid2sn(nid) + " = " + value));
  return ossl::Check(X509_add_ext(certificate, extension.get(), -1), "X509_add_ext");
}

Status AddExtensionObject(X509* certificate, ossl::X509ExtPtr extension) {
  return ossl::Check(X509_add_ext(certificate, extension.get(), -1), "X509_add_ext");
}

std::string KeyUsageText(const KeyUsageBits& usage) {
  std::string text = "critical";
  if (usage.digital_signature) text += ",digitalSignature";
  if (usage.key_encipherment) text += ",keyEncipherment";
  if (usage.key_agreement) text += ",keyAgreement";
  if (usage.key_cert_sign) text += ",keyCertSign";
  if (usage.crl_sign) text += ",cRLSign";
  return text;
}

}  // namespace

CertificateBuilder& CertificateBuilder::SetSubject(DistinguishedName name) {
  subject_ = std::move(name);
  return *this;
}

CertificateBuilder& CertificateBuilder::SetValidity(const Clock& clock, std::chrono::seconds lifetime) {
  not_before_ = clock.Now();
  lifetime_ = lifetime;
  return *this;
}

CertificateBuilder& CertificateBuilder::SetBasicConstraints(bool is_ca, std::optional<int> path_length) {
  basic_constraints_ = BasicConstraints{is_ca, path_length};
  return *this;
}

CertificateBuilder& CertificateBuilder::SetKeyUsage(KeyUsageBits usage) {
  key_usage_ = usage;
  return *this;
}

CertificateBuilder& CertificateBuilder::SetExtendedKeyUsage(std::vector<std::string> dotted_oids) {
  extended_key_usage_ = std::move(dotted_oids);
  return *this;
}

CertificateBuilder& CertificateBuilder::SetSubjectAltNames(SubjectAltNames names, bool critical) {
  subject_alt_names_ = std::move(names);
  subject_alt_names_critical_ = critical;
  return *this;
}

CertificateBuilder& CertificateBuilder::AddExtension(std::string dotted_oid, Bytes der_value, bool critical) {
  custom_extensions_.push_back({std::move(dotted_oid), std::move(der_value), critical});
  return *this;
}

Result<ossl::X509Ptr> CertificateBuilder::SignWith(X509* issuer_certificate, EVP_PKEY* issuer_key, Rng& rng) const {
  if (issuer_certificate == nullptr || issuer_key == nullptr) return Internal("signing without an issuer");
  return Build(issuer_certificate, issuer_key, rng);
}

Result<ossl::X509Ptr> CertificateBuilder::SelfSign(EVP_PKEY* key, Rng& rng) const {
  if (key == nullptr) return Internal("self-signing without a key");
  return Build(nullptr, key, rng);
}

Status CertificateBuilder::AddStandardExtensions(X509* certificate, X509* issuer_certificate) const {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, issuer_certificate, certificate, nullptr, nullptr, 0);

  if (basic_constraints_) {
    std::string value = basic_constraints_->is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE";
    if (basic_constraints_->is_ca && basic_constraints_->path_length) {
      value += ",pathlen:" + std::to_string(*basic_constraints_->path_length);
    }
    VTPMD_RETURN_IF_ERROR(AddConfExtension(certificate, &context, NID_basic_constraints, value));
  }
  if (key_usage_) {
    VTPMD_RETURN_IF_ERROR(AddConfExtension(certificate, &context, NID_key_usage, KeyUsageText(*key_usage_)));
  }
  if (!extended_key_usage_.empty()) {
    std::string value;
    for (const std::string& oid : extended_key_usage_) {
      VTPMD_RETURN_IF_ERROR(ParseOid(oid));  // only dotted OIDs: no names, no injected options
      value += (value.empty() ? "" : ",") + oid;
    }
    VTPMD_RETURN_IF_ERROR(AddConfExtension(certificate, &context, NID_ext_key_usage, value));
  }
  // The subject key identifier goes first: for a self-signed certificate the authority
  // key identifier is copied from it.
  VTPMD_RETURN_IF_ERROR(AddConfExtension(certificate, &context, NID_subject_key_identifier, "hash"));
  VTPMD_RETURN_IF_ERROR(AddConfExtension(certificate, &context, NID_authority_key_identifier, "keyid:always"));
  if (subject_alt_names_) {
    VTPMD_ASSIGN_OR_RETURN(ossl::X509ExtPtr extension,
                           SubjectAltNameExtension(*subject_alt_names_, subject_alt_names_critical_));
    VTPMD_RETURN_IF_ERROR(AddExtensionObject(certificate, std::move(extension)));
  }
  for (const CustomExtension& custom : custom_extensions_) {
    VTPMD_ASSIGN_OR_RETURN(Asn1ObjectPtr type, ParseOid(custom.oid));
    ossl::Asn1OctetStringPtr value(ASN1_OCTET_STRING_new());
    if (!value) return ossl::LastError("ASN1_OCTET_STRING_new");
    VTPMD_RETURN_IF_ERROR(ossl::Check(
        ASN1_OCTET_STRING_set(value.get(), custom.der_value.data(), static_cast<int>(custom.der_value.size())),
        "ASN1_OCTET_STRING_set"));
    VTPMD_ASSIGN_OR_RETURN(ossl::X509ExtPtr extension,
                           ossl::CheckPtr(ossl::X509ExtPtr(X509_EXTENSION_create_by_OBJ(
                                              nullptr, type.get(), custom.critical ? 1 : 0, value.get())),
                                          "X509_EXTENSION_create_by_OBJ(" + custom.oid + ")"));
    VTPMD_RETURN_IF_ERROR(AddExtensionObject(certificate, std::move(extension)));
  }
  return Ok();
}

Status CertificateBuilder::SetSubjectKey(X509* certificate) const {
  if (tpm_subject_key_) return SetSubjectKeyFromTpm(certificate, *tpm_subject_key_);
  return ossl::Check(X509_set_pubkey(certificate, subject_key_), "X509_set_pubkey");
}

Result<ossl::X509Ptr> CertificateBuilder::Build(X509* issuer_certificate, EVP_PKEY* issuer_key, Rng& rng) const {
  if (subject_key_ == nullptr && !tpm_subject_key_) return Internal("certificate without a subject key");
  if (!not_before_ || lifetime_ <= std::chrono::seconds(0)) return Internal("certificate without a validity period");
  VTPMD_ASSIGN_OR_RETURN(const EVP_MD* digest, IssuerSigningDigest(issuer_key));

  VTPMD_ASSIGN_OR_RETURN(ossl::X509Ptr certificate, ossl::CheckPtr(ossl::X509Ptr(X509_new()), "X509_new"));
  VTPMD_RETURN_IF_ERROR(ossl::Check(X509_set_version(certificate.get(), X509_VERSION_3), "X509_set_version"));
  VTPMD_ASSIGN_OR_RETURN(ossl::Asn1IntegerPtr serial, RandomSerialNumber(rng));
  VTPMD_RETURN_IF_ERROR(ossl::Check(X509_set_serialNumber(certificate.get(), serial.get()), "X509_set_serialNumber"));
  VTPMD_ASSIGN_OR_RETURN(ossl::X509NamePtr subject, BuildName(subject_));
  VTPMD_RETURN_IF_ERROR(ossl::Check(X509_set_subject_name(certificate.get(), subject.get()), "X509_set_subject_name"));
  X509_NAME* issuer_name = issuer_certificate != nullptr ? X509_get_subject_name(issuer_certificate) : subject.get();
  VTPMD_RETURN_IF_ERROR(ossl::Check(X509_set_issuer_name(certificate.get(), issuer_name), "X509_set_issuer_name"));
  VTPMD_RETURN_IF_ERROR(SetAsn1Time(X509_getm_notBefore(certificate.get()), *not_before_));
  VTPMD_RETURN_IF_ERROR(SetAsn1Time(X509_getm_notAfter(certificate.get()), *not_before_ + lifetime_));
  VTPMD_RETURN_IF_ERROR(SetSubjectKey(certificate.get()));

  X509* authority = issuer_certificate != nullptr ? issuer_certificate : certificate.get();
  VTPMD_RETURN_IF_ERROR(AddStandardExtensions(certificate.get(), authority));

  if (X509_sign(certificate.get(), issuer_key, digest) <= 0) {
    return ossl::LastError("X509_sign");
  }
  return certificate;
}

}  // namespace vtpmd::ca
