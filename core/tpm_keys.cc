#include "core/tpm_keys.h"

#include <openssl/core_names.h>
#include <openssl/param_build.h>

namespace vtpmd::tpm {
namespace {

using ParamBuildPtr = ossl::Owned<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>;
using ParamsPtr = ossl::Owned<OSSL_PARAM, OSSL_PARAM_free>;

constexpr std::uint32_t kDefaultRsaExponent = 65537;

struct Curve {
  const char* group_name;
  int nid;
  std::size_t field_bytes;
};

Result<Curve> CurveFromTpm(TPMI_ECC_CURVE curve) {
  switch (curve) {
    case TPM2_ECC_NIST_P256: return Curve{"P-256", NID_X9_62_prime256v1, 32};
    case TPM2_ECC_NIST_P384: return Curve{"P-384", NID_secp384r1, 48};
    default: return Unsupported("unsupported TPM ECC curve");
  }
}

Result<ossl::PkeyPtr> PublicKeyFromParams(const char* key_type, OSSL_PARAM_BLD* build) {
  VTPMD_ASSIGN_OR_RETURN(ParamsPtr params,
                         ossl::CheckPtr(ParamsPtr(OSSL_PARAM_BLD_to_param(build)), "OSSL_PARAM_BLD_to_param"));
  VTPMD_ASSIGN_OR_RETURN(
      ossl::PkeyCtxPtr ctx,
      ossl::CheckPtr(ossl::PkeyCtxPtr(EVP_PKEY_CTX_new_from_name(nullptr, key_type, nullptr)), "EVP_PKEY_CTX_new"));
  VTPMD_RETURN_IF_ERROR(ossl::Check(EVP_PKEY_fromdata_init(ctx.get()), "EVP_PKEY_fromdata_init"));
  EVP_PKEY* key = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return ossl::LastError("TPM public key rejected", ErrorCode::kInvalidArgument);
  }
  return ossl::PkeyPtr(key);
}

Result<ossl::PkeyPtr> RsaPublicKey(const TPMT_PUBLIC& area) {
  const TPMS_RSA_PARMS& params = area.parameters.rsaDetail;
  const TPM2B_PUBLIC_KEY_RSA& modulus = area.unique.rsa;
  if (params.keyBits < kMinRsaKeyBits) return Unsupported("RSA key shorter than 2048 bits");
  if (static_cast<unsigned>(modulus.size) * 8 != params.keyBits) {
    return InvalidArgument("RSA modulus size does not match keyBits");
  }
  VTPMD_ASSIGN_OR_RETURN(
      ossl::BignumPtr n,
      ossl::CheckPtr(ossl::BignumPtr(BN_bin2bn(modulus.buffer, modulus.size, nullptr)), "BN_bin2bn"));
  VTPMD_ASSIGN_OR_RETURN(ossl::BignumPtr e, ossl::CheckPtr(ossl::BignumPtr(BN_new()), "BN_new"));
  VTPMD_RETURN_IF_ERROR(ossl::Check(BN_set_word(e.get(), RsaExponent(params)), "BN_set_word"));
  VTPMD_ASSIGN_OR_RETURN(ParamBuildPtr build,
                         ossl::CheckPtr(ParamBuildPtr(OSSL_PARAM_BLD_new()), "OSSL_PARAM_BLD_new"));
  VTPMD_RETURN_IF_ERROR(ossl::Check(OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_RSA_N, n.get()), "push n"));
  VTPMD_RETURN_IF_ERROR(ossl::Check(OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_RSA_E, e.get()), "push e"));
  return PublicKeyFromParams("RSA", build.get());
}

Status AppendCoordinate(const TPM2B_ECC_PARAMETER& coordinate, std::size_t field_bytes, Bytes& point) {
  if (coordinate.size == 0 || coordinate.size > field_bytes) return InvalidArgument("bad ECC point coordinate size");
  point.insert(point.end(), field_bytes - coordinate.size, 0);  // the TPM may drop leading zero bytes
  point.insert(point.end(), coordinate.buffer, coordinate.buffer + coordinate.size);
  return Ok();
}

Result<ossl::PkeyPtr> EccPublicKey(const TPMT_PUBLIC& area) {
  VTPMD_ASSIGN_OR_RETURN(Curve curve, CurveFromTpm(area.parameters.eccDetail.curveID));
  VTPMD_ASSIGN_OR_RETURN(EccPoint ecc, EccPointFromTpm(area));
  const Bytes& point = ecc.point;
  VTPMD_ASSIGN_OR_RETURN(ParamBuildPtr build,
                         ossl::CheckPtr(ParamBuildPtr(OSSL_PARAM_BLD_new()), "OSSL_PARAM_BLD_new"));
  VTPMD_RETURN_IF_ERROR(ossl::Check(
      OSSL_PARAM_BLD_push_utf8_string(build.get(), OSSL_PKEY_PARAM_GROUP_NAME, curve.group_name, 0), "push group"));
  VTPMD_RETURN_IF_ERROR(
      ossl::Check(OSSL_PARAM_BLD_push_octet_string(build.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()),
                  "push point"));
  return PublicKeyFromParams("EC", build.get());
}

}  // namespace

Result<EccPoint> EccPointFromTpm(const TPMT_PUBLIC& area) {
  if (area.type != TPM2_ALG_ECC) return InvalidArgument("not an ECC key");
  VTPMD_ASSIGN_OR_RETURN(Curve curve, CurveFromTpm(area.parameters.eccDetail.curveID));
  Bytes point = {POINT_CONVERSION_UNCOMPRESSED};
  VTPMD_RETURN_IF_ERROR(AppendCoordinate(area.unique.ecc.x, curve.field_bytes, point));
  VTPMD_RETURN_IF_ERROR(AppendCoordinate(area.unique.ecc.y, curve.field_bytes, point));
  return EccPoint{curve.nid, std::move(point)};
}

std::uint32_t RsaExponent(const TPMS_RSA_PARMS& params) {
  return params.exponent == 0 ? kDefaultRsaExponent : params.exponent;
}

Result<ossl::PkeyPtr> PublicKeyFromTpm(const TPMT_PUBLIC& area) {
  switch (area.type) {
    case TPM2_ALG_RSA: return RsaPublicKey(area);
    case TPM2_ALG_ECC: return EccPublicKey(area);
    default: return Unsupported("TPM object is not an RSA or ECC key");
  }
}

}  // namespace vtpmd::tpm
