#include "server/api/enrollment_requests.h"

#include <openssl/pem.h>

#include <boost/json.hpp>

#include "core/openssl.h"
#include "core/uuid.h"
#include "server/api/json_io.h"

namespace vtpmd::api {
namespace {

// sizeof(TPMT_PUBLIC) on the wire tops out well below this.
constexpr std::size_t kMaxTpmPublicBytes = 1024;
constexpr std::size_t kMaxCertificateBytes = 16 * 1024;
// A credential is at most the size of the largest digest (TPM2B_DIGEST).
constexpr std::size_t kMaxSecretBytes = 64;

// PEM (what tpm2_getekcertificate | openssl x509 writes) or base64 DER (the NV
// index contents as they are). Only the encoding is undone here: the certificate
// is parsed once, where it is checked.
Result<Bytes> CertificateDer(std::string_view text) {
  if (text.size() > 2 * kMaxCertificateBytes) return InvalidArgument("ek_certificate is too large");
  if (text.find("-----BEGIN") == std::string_view::npos) {
    auto der = Base64Decode(text);
    if (!der.ok()) return der.error().WithContext("ek_certificate (PEM or base64 DER)");
    return der;
  }
  ossl::BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  if (!bio) return ossl::LastError("BIO_new_mem_buf");
  unsigned char* data = nullptr;
  long length = 0;
  char* name = nullptr;
  char* header = nullptr;
  if (PEM_read_bio(bio.get(), &name, &header, &data, &length) != 1) {
    return ossl::LastError("ek_certificate: malformed PEM", ErrorCode::kInvalidArgument);
  }
  const bool is_certificate = std::string_view(name) == PEM_STRING_X509;
  Bytes der(data, data + length);
  OPENSSL_free(name);
  OPENSSL_free(header);
  OPENSSL_free(data);
  if (!is_certificate) return InvalidArgument("ek_certificate: the PEM block is not a CERTIFICATE");
  return der;
}

}  // namespace

Result<AikChallengeRequest> ParseAikChallengeRequest(const http::HttpRequest& request) {
  VTPMD_ASSIGN_OR_RETURN(auto body, ParseJsonObject(request));
  VTPMD_RETURN_IF_ERROR(
      RejectUnknownFields(body, {"instance_id", "ek_algorithm", "ek_certificate", "ek_public", "aik_public"}));
  AikChallengeRequest out;
  VTPMD_ASSIGN_OR_RETURN(auto instance_id, OptionalString(body, "instance_id"));
  if (instance_id) {
    auto canonical = CanonicalUuid(*instance_id);
    if (!canonical.ok()) return canonical.error().WithContext("instance_id");
    out.instance_id = std::move(*canonical);
  }
  VTPMD_ASSIGN_OR_RETURN(out.ek_algorithm, OptionalString(body, "ek_algorithm"));
  if (out.ek_algorithm && !out.instance_id) return InvalidArgument("ek_algorithm selects an instance's EK");
  VTPMD_ASSIGN_OR_RETURN(auto certificate_text, OptionalString(body, "ek_certificate"));
  if (certificate_text) {
    VTPMD_ASSIGN_OR_RETURN(Bytes der, CertificateDer(*certificate_text));
    out.ek_certificate_der = std::move(der);
  }
  if (!out.instance_id && !out.ek_certificate_der) {
    return InvalidArgument("name the TPM: instance_id for a vTPM of this host, or its ek_certificate");
  }
  VTPMD_ASSIGN_OR_RETURN(out.ek_public, OptionalBase64Field(body, "ek_public", kMaxTpmPublicBytes));
  VTPMD_ASSIGN_OR_RETURN(out.aik_public, Base64Field(body, "aik_public", kMaxTpmPublicBytes));
  return out;
}

Result<ActivationRequest> ParseActivationRequest(const http::HttpRequest& request) {
  VTPMD_ASSIGN_OR_RETURN(auto body, ParseJsonObject(request));
  VTPMD_RETURN_IF_ERROR(RejectUnknownFields(body, {"secret"}));
  VTPMD_ASSIGN_OR_RETURN(Bytes secret, Base64Field(body, "secret", kMaxSecretBytes));
  ActivationRequest out{SecretBytes::CopyFrom(secret)};
  OPENSSL_cleanse(secret.data(), secret.size());
  return out;
}

}  // namespace vtpmd::api
