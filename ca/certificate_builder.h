#pragma once
// Builds and signs one X.509 v3 certificate. Setters only record what is wanted;
// Sign*/SelfSign do all the fallible OpenSSL work and report the first failure.

#include <tss2/tss2_tpm2_types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/clock.h"
#include "core/openssl.h"
#include "core/random.h"
#include "core/result.h"

namespace vtpmd::ca {

// All fields empty gives an empty subject (as the TCG EK profile allows).
struct DistinguishedName {
  std::string common_name = {};
  std::string organization = {};
  std::string organizational_unit = {};
};

// One attribute of a directoryName, encoded as a UTF8String.
struct NameAttribute {
  std::string oid;
  std::string value;
};

struct SubjectAltNames {
  std::vector<std::string> dns_names = {};
  std::vector<std::string> ip_addresses = {};  // textual IPv4 or IPv6
  std::vector<std::vector<NameAttribute>> directory_names = {};
};

struct KeyUsageBits {
  bool digital_signature = false;
  bool key_encipherment = false;
  bool key_agreement = false;
  bool key_cert_sign = false;
  bool crl_sign = false;
};

class CertificateBuilder {
 public:
  // `subject_key` is borrowed and must outlive the Sign call.
  explicit CertificateBuilder(EVP_PKEY* subject_key) : subject_key_(subject_key) {}
  // A key that lives in a TPM, placed without OpenSSL's key encoders (see
  // ca/tpm_subject_key.h): the signed certificate caches no decoded key.
  explicit CertificateBuilder(const TPMT_PUBLIC& tpm_subject_key) : tpm_subject_key_(tpm_subject_key) {}

  CertificateBuilder& SetSubject(DistinguishedName name);
  // not_before is the clock's now.
  CertificateBuilder& SetValidity(const Clock& clock, std::chrono::seconds lifetime);
  // Always critical.
  CertificateBuilder& SetBasicConstraints(bool is_ca, std::optional<int> path_length);
  // Always critical.
  CertificateBuilder& SetKeyUsage(KeyUsageBits usage);
  CertificateBuilder& SetExtendedKeyUsage(std::vector<std::string> dotted_oids);
  CertificateBuilder& SetSubjectAltNames(SubjectAltNames names, bool critical);
  CertificateBuilder& AddExtension(std::string dotted_oid, Bytes der_value, bool critical);

  // Every certificate gets a random serial, subjectKeyIdentifier and authorityKeyIdentifier.
  Result<ossl::X509Ptr> SignWith(X509* issuer_certificate, EVP_PKEY* issuer_key, Rng& rng) const;
  // `key` holds the private half of the subject key.
  Result<ossl::X509Ptr> SelfSign(EVP_PKEY* key, Rng& rng) const;

 private:
  struct BasicConstraints {
    bool is_ca;
    std::optional<int> path_length;
  };
  struct CustomExtension {
    std::string oid;
    Bytes der_value;
    bool critical;
  };

  Result<ossl::X509Ptr> Build(X509* issuer_certificate, EVP_PKEY* issuer_key, Rng& rng) const;
  Status AddStandardExtensions(X509* certificate, X509* issuer_certificate) const;

  Status SetSubjectKey(X509* certificate) const;

  EVP_PKEY* subject_key_ = nullptr;
  std::optional<TPMT_PUBLIC> tpm_subject_key_;
  DistinguishedName subject_;
  std::optional<TimePoint> not_before_;
  std::chrono::seconds lifetime_{0};
  std::optional<BasicConstraints> basic_constraints_;
  std::optional<KeyUsageBits> key_usage_;
  std::vector<std::string> extended_key_usage_;
  std::optional<SubjectAltNames> subject_alt_names_;
  bool subject_alt_names_critical_ = false;
  std::vector<CustomExtension> custom_extensions_;
};

}  // namespace vtpmd::ca
