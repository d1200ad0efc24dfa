#include "server/api/ek_certificate_requests.h"

#include <openssl/err.h>

#include <boost/json.hpp>

#include <algorithm>
#include <array>

#include "core/bytes.h"
#include "core/tpm_ek_template.h"
#include "core/tpm_keys.h"
#include "core/uuid.h"
#include "server/api/json_io.h"

namespace vtpmd::api {
namespace {

constexpr std::size_t kRsa2048Bits = 2048;
constexpr std::uint32_t kDefaultExponent = 65537;
constexpr std::size_t kMaxModelLength = 64;
constexpr std::string_view kTcgIdPrefix = "id:";  // as swtpm_setup and EK certificates write them

struct Curve {
  std::string_view algorithm;
  TPMI_ECC_CURVE curve;
  std::size_t coordinate_bytes;
  std::string_view name;
};
constexpr std::array<Curve, 2> kCurves = {{
    {"ecc-nist-p256", TPM2_ECC_NIST_P256, 32, "NIST P-256"},
    {"ecc-nist-p384", TPM2_ECC_NIST_P384, 48, "NIST P-384"},
}};

Result<Bytes> HexField(const boost::json::object& object, std::string_view key, std::size_t max_bytes) {
  VTPMD_ASSIGN_OR_RETURN(std::string text, RequiredString(object, key));
  if (text.size() > 2 * max_bytes) {
    return InvalidArgument(std::string(key) + " is longer than " + std::to_string(max_bytes) + " bytes");
  }
  auto bytes = HexDecode(text);
  if (!bytes.ok()) return bytes.error().WithContext(key);
  if (bytes->empty()) return InvalidArgument(std::string(key) + " is empty");
  return bytes;
}

// OpenSSL's own validation on top of ours: an odd composite modulus without small
// factors, or a point on the curve.
Status CheckPublicKey(EVP_PKEY* key, std::string_view what) {
  ossl::PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  if (!ctx) return ossl::LastError("EVP_PKEY_CTX_new_from_pkey");
  if (EVP_PKEY_public_check(ctx.get()) != 1) {
    ERR_clear_error();
    return Unsupported(std::string(what));
  }
  return Ok();
}

Result<ossl::PkeyPtr> RsaEk(const boost::json::object& ek) {
  VTPMD_RETURN_IF_ERROR(RejectUnknownFields(ek, {"algorithm", "modulus", "exponent"}));
  VTPMD_ASSIGN_OR_RETURN(Bytes modulus, HexField(ek, "modulus", TPM2_MAX_RSA_KEY_BYTES));
  VTPMD_ASSIGN_OR_RETURN(std::optional<std::int64_t> exponent, OptionalInteger(ek, "exponent"));
  if (exponent && (*exponent < 1 || *exponent > 0xffffffff)) {
    return InvalidArgument("exponent must be an integer from 1 to 4294967295");
  }
  const std::size_t bits = BitLength(modulus);
  if (bits != kRsa2048Bits) {
    return Unsupported("rsa2048 needs a 2048-bit modulus; this one has " + std::to_string(bits) + " bits");
  }
  // The default template's public area with this modulus: what the TPM reports.
  TPMT_PUBLIC area = tpm::EkRsaTemplate().publicArea;
  const std::size_t size = kRsa2048Bits / 8;
  area.unique.rsa.size = static_cast<UINT16>(size);
  std::copy(modulus.end() - static_cast<std::ptrdiff_t>(size), modulus.end(), area.unique.rsa.buffer);
  const auto e = static_cast<std::uint32_t>(exponent.value_or(kDefaultExponent));
  area.parameters.rsaDetail.exponent = e == kDefaultExponent ? 0 : e;
  VTPMD_ASSIGN_OR_RETURN(ossl::PkeyPtr key, tpm::PublicKeyFromTpm(area));
  auto templated = tpm::EkPublicFromKey(key.get());  // exponent 65537: template L-1
  if (!templated.ok()) return std::move(templated).error();
  VTPMD_RETURN_IF_ERROR(CheckPublicKey(key.get(), "the modulus is not a valid RSA public key"));
  return key;
}

Result<ossl::PkeyPtr> EccEk(const boost::json::object& ek, const Curve& curve) {
  VTPMD_RETURN_IF_ERROR(RejectUnknownFields(ek, {"algorithm", "x", "y"}));
  VTPMD_ASSIGN_OR_RETURN(Bytes x, HexField(ek, "x", curve.coordinate_bytes));
  VTPMD_ASSIGN_OR_RETURN(Bytes y, HexField(ek, "y", curve.coordinate_bytes));
  TPMT_PUBLIC area = tpm::EkEccTemplate().publicArea;
  area.parameters.eccDetail.curveID = curve.curve;
  area.unique.ecc.x.size = static_cast<UINT16>(x.size());
  std::copy(x.begin(), x.end(), area.unique.ecc.x.buffer);
  area.unique.ecc.y.size = static_cast<UINT16>(y.size());
  std::copy(y.begin(), y.end(), area.unique.ecc.y.buffer);
  const std::string off_curve = "(x, y) is not a point on " + std::string(curve.name);
  auto key = tpm::PublicKeyFromTpm(area);
  if (!key.ok()) return Unsupported(off_curve);
  if (curve.curve == TPM2_ECC_NIST_P256) {
    // The default template L-2; P-384 has no low-range template to hold it to.
    auto templated = tpm::EkPublicFromKey(key->get());
    if (!templated.ok()) return std::move(templated).error();
  }
  VTPMD_RETURN_IF_ERROR(CheckPublicKey(key->get(), off_curve));
  return key;
}

Result<ossl::PkeyPtr> EkPublic(const boost::json::object& ek, std::string& algorithm) {
  VTPMD_ASSIGN_OR_RETURN(algorithm, RequiredString(ek, "algorithm"));
  if (algorithm == "rsa2048") return RsaEk(ek);
  for (const Curve& curve : kCurves) {
    if (algorithm == curve.algorithm) return EccEk(ek, curve);
  }
  return Unsupported("EK algorithm '" + algorithm + "' is not certified here (rsa2048, ecc-nist-p256, ecc-nist-p384)");
}

// "id:" and eight hex digits: a TPM property as the TCG EK Credential Profile writes it.
Result<std::optional<std::uint32_t>> TcgIdField(const boost::json::object& body, std::string_view key) {
  VTPMD_ASSIGN_OR_RETURN(std::optional<std::string> text, OptionalString(body, key));
  if (!text) return std::optional<std::uint32_t>();
  const Error malformed =
      InvalidArgument(std::string(key) + " must be \"id:\" and 8 hexadecimal digits, e.g. \"id:00001014\"");
  if (text->size() != kTcgIdPrefix.size() + 8 || !text->starts_with(kTcgIdPrefix)) return malformed;
  auto bytes = HexDecode(std::string_view(*text).substr(kTcgIdPrefix.size()));
  if (!bytes.ok()) return malformed;
  std::uint32_t value = 0;
  for (std::uint8_t b : *bytes) value = (value << 8) | b;
  return std::optional<std::uint32_t>(value);
}

Result<std::optional<std::string>> ModelField(const boost::json::object& body) {
  VTPMD_ASSIGN_OR_RETURN(std::optional<std::string> model, OptionalString(body, "model"));
  if (!model) return model;
  if (model->empty() || model->size() > kMaxModelLength) return InvalidArgument("model must be 1 to 64 characters");
  for (char c : *model) {
    if (c < 0x20 || c > 0x7e) return InvalidArgument("model must be printable ASCII");
  }
  return model;
}

}  // namespace

Result<EkCertificateRequestBody> ParseEkCertificateRequest(const http::HttpRequest& request) {
  VTPMD_ASSIGN_OR_RETURN(auto body, ParseJsonObject(request));
  VTPMD_RETURN_IF_ERROR(RejectUnknownFields(body, {"ek_public", "vm_id", "manufacturer", "model", "firmware_version"}));
  const auto* ek = body.if_contains("ek_public");
  if (ek == nullptr || ek->is_null()) return InvalidArgument("missing field 'ek_public'");
  if (!ek->is_object()) return InvalidArgument("field 'ek_public' must be an object");

  // The malformed (400) before the unsupported (422): the key is checked last.
  EkCertificateRequestBody out;
  VTPMD_ASSIGN_OR_RETURN(std::optional<std::string> vm_id, OptionalString(body, "vm_id"));
  if (vm_id) {
    auto canonical = CanonicalUuid(*vm_id);
    if (!canonical.ok()) return canonical.error().WithContext("vm_id");
    out.vm_id = std::move(*canonical);
  }
  VTPMD_ASSIGN_OR_RETURN(out.manufacturer, TcgIdField(body, "manufacturer"));
  VTPMD_ASSIGN_OR_RETURN(out.model, ModelField(body));
  VTPMD_ASSIGN_OR_RETURN(out.firmware_version, TcgIdField(body, "firmware_version"));
  auto key = EkPublic(ek->as_object(), out.algorithm);
  if (!key.ok()) return key.error().WithContext("ek_public");
  out.ek_public = std::move(*key);
  return out;
}

}  // namespace vtpmd::api
