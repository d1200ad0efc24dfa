#include "core/tpm_keys.h"

#include <openssl/core_names.h>
#include <openssl/param_build.h>

namespace vtpmd::tpm {
namespace {

using ParamBuildPtr = ossl::Owned<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>;
using ParamsPtr = ossl::Owned<OSSL_PARAM, OSSL_PARAM_free>;

constexpr std::uint32_t kDefaultRsaExponent = 65537;

struct Curve {
  int nid;
  std::size_t field_bytes;
};

Result<Curve> CurveFromTpm(TPMI_ECC_CURVE curve) {
  switch (curve) {
    case TPM2_ECC_NIST_P256: return Curve{NID_X9_62_prime256v1, 32};
    case TPM2_ECC_NIST_P384: return Curve{NID_secp384r1, 48};
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

// The curve's domain parameters as a key without a point. OpenSSL 3 builds a group
// from its name at a cost (Montgomery set-up, inverses) several times that of
// copying one, so keys are made from these, built once per curve.
ossl::PkeyPtr CurveParameters(const char* group_name) {
  ossl::PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* parameters = nullptr;
  if (!ctx || EVP_PKEY_paramgen_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_group_name(ctx.get(), group_name) != 1 || EVP_PKEY_paramgen(ctx.get(), &parameters) != 1) {
    return nullptr;
  }
  return ossl::PkeyPtr(parameters);
}

Result<const EVP_PKEY*> CurveParametersFor(TPMI_ECC_CURVE curve) {
  // Never freed: a thread still verifying at exit must not find them gone.
  static const EVP_PKEY* const p256 = CurveParameters("P-256").release();
  static const EVP_PKEY* const p384 = CurveParameters("P-384").release();
  const EVP_PKEY* parameters = nullptr;
  switch (curve) {
    case TPM2_ECC_NIST_P256: parameters = p256; break;
    case TPM2_ECC_NIST_P384: parameters = p384; break;
    default: return Unsupported("unsupported TPM ECC curve");
  }
  if (parameters == nullptr) return Internal("OpenSSL could not set up the curve's parameters");
  return parameters;
}

Result<ossl::PkeyPtr> EccPublicKey(const TPMT_PUBLIC& area) {
  VTPMD_ASSIGN_OR_RETURN(const EVP_PKEY* parameters, CurveParametersFor(area.parameters.eccDetail.curveID));
  VTPMD_ASSIGN_OR_RETURN(EccPoint ecc, EccPointFromTpm(area));
  VTPMD_ASSIGN_OR_RETURN(ossl::PkeyPtr key, ossl::CheckPtr(ossl::PkeyPtr(EVP_PKEY_new()), "EVP_PKEY_new"));
  VTPMD_RETURN_IF_ERROR(ossl::Check(EVP_PKEY_copy_parameters(key.get(), parameters), "EVP_PKEY_copy_parameters"));
  // Decoding the point checks that it lies on the curve.
  if (EVP_PKEY_set1_encoded_public_key(key.get(), ecc.point.data(), ecc.point.size()) != 1) {
    return ossl::LastError("TPM public key rejected", ErrorCode::kInvalidArgument);
  }
  return key;
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
