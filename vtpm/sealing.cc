#include "vtpm/sealing.h"

#include <openssl/crypto.h>
#include <tss2/tss2_mu.h>

#include <algorithm>

#include "core/byte_reader.h"
#include "vtpm/esys_context.h"
#include "vtpm/tpm_templates.h"

namespace vtpmd::vtpm {
namespace {

template <typename T>
struct Cleansed {
  T value{};
  Cleansed() = default;
  Cleansed(const Cleansed&) = delete;
  Cleansed& operator=(const Cleansed&) = delete;
  ~Cleansed() { OPENSSL_cleanse(&value, sizeof(value)); }
};

struct SealedBlob {
  TPM2B_PUBLIC public_area{};
  TPM2B_PRIVATE private_area{};
};

Result<SealedBlob> ParseBlob(ByteView blob) {
  ByteReader reader(blob);
  VTPMD_ASSIGN_OR_RETURN(TPM2B_PUBLIC pub,
                         reader.Unmarshal<TPM2B_PUBLIC>(Tss2_MU_TPM2B_PUBLIC_Unmarshal, "sealed blob public area"));
  VTPMD_ASSIGN_OR_RETURN(TPM2B_PRIVATE priv,
                         reader.Unmarshal<TPM2B_PRIVATE>(Tss2_MU_TPM2B_PRIVATE_Unmarshal, "sealed blob private area"));
  VTPMD_RETURN_IF_ERROR(reader.ExpectEnd("sealed blob"));
  return SealedBlob{pub, priv};
}

}  // namespace

Result<Bytes> SealUnderKey(ESYS_CONTEXT* esys, ESYS_TR parent, const SecretBytes& secret) {
  if (secret.empty() || secret.size() > kMaxSealedSize) {
    return InvalidArgument("sealed data must be 1.." + std::to_string(kMaxSealedSize) + " bytes");
  }
  Cleansed<TPM2B_SENSITIVE_CREATE> sensitive;
  sensitive.value.sensitive.data.size = static_cast<std::uint16_t>(secret.size());
  std::copy_n(secret.data(), secret.size(), sensitive.value.sensitive.data.buffer);
  const TPM2B_PUBLIC tmpl = SealedDataTemplate();
  TPM2B_DATA outside_info{};
  TPML_PCR_SELECTION creation_pcrs{};
  TPM2B_PRIVATE* private_raw = nullptr;
  TPM2B_PUBLIC* public_raw = nullptr;
  VTPMD_RETURN_IF_ERROR(
      CheckTss(Esys_Create(esys, parent, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &sensitive.value, &tmpl,
                           &outside_info, &creation_pcrs, &private_raw, &public_raw, nullptr, nullptr, nullptr),
               "TPM2_Create(sealed data)"));
  EsysOwned<TPM2B_PRIVATE> priv(private_raw);
  EsysOwned<TPM2B_PUBLIC> pub(public_raw);

  Bytes blob(sizeof(TPM2B_PUBLIC) + sizeof(TPM2B_PRIVATE));
  std::size_t offset = 0;
  VTPMD_RETURN_IF_ERROR(CheckTss(Tss2_MU_TPM2B_PUBLIC_Marshal(pub.get(), blob.data(), blob.size(), &offset),
                                 "marshalling sealed public area"));
  VTPMD_RETURN_IF_ERROR(CheckTss(Tss2_MU_TPM2B_PRIVATE_Marshal(priv.get(), blob.data(), blob.size(), &offset),
                                 "marshalling sealed private area"));
  blob.resize(offset);
  return blob;
}

Result<SecretBytes> UnsealUnderKey(ESYS_CONTEXT* esys, ESYS_TR parent, ByteView blob) {
  VTPMD_ASSIGN_OR_RETURN(SealedBlob parsed, ParseBlob(blob));
  if (parsed.public_area.publicArea.type != TPM2_ALG_KEYEDHASH) {
    return InvalidArgument("sealed blob does not hold a sealed-data object");
  }
  ESYS_TR object = ESYS_TR_NONE;
  TSS2_RC rc = Esys_Load(esys, parent, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &parsed.private_area,
                         &parsed.public_area, &object);
  if (rc != TSS2_RC_SUCCESS) {
    Status loaded = CheckTss(rc, "TPM2_Load(sealed data)", ErrorCode::kFailedPrecondition);
    if (loaded.error().code() == ErrorCode::kUnavailable) return std::move(loaded).error();
    return loaded.error().WithContext("sealed data was not made by this TPM, or was altered");
  }
  ScopedTr guard(esys, object, ScopedTr::Release::kFlush);
  TPM2B_SENSITIVE_DATA* raw = nullptr;
  rc = Esys_Unseal(esys, object, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &raw);
  EsysOwned<TPM2B_SENSITIVE_DATA> data(raw);
  VTPMD_RETURN_IF_ERROR(CheckTss(rc, "TPM2_Unseal"));
  SecretBytes secret = SecretBytes::CopyFrom(ByteView(data->buffer, data->size));
  OPENSSL_cleanse(data.get(), sizeof(*data));
  return secret;
}

}  // namespace vtpmd::vtpm
