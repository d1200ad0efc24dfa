#include "vtpm/credential_activation.h"

#include <openssl/crypto.h>

#include <algorithm>

#include "vtpm/esys_context.h"

namespace vtpmd::vtpm {
namespace {

Result<ESYS_TR> StartEndorsementPolicySession(ESYS_CONTEXT* esys) {
  const TPMT_SYM_DEF no_encryption{.algorithm = TPM2_ALG_NULL, .keyBits = {}, .mode = {}};
  ESYS_TR session = ESYS_TR_NONE;
  VTPMD_RETURN_IF_ERROR(CheckTss(Esys_StartAuthSession(esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                                                       ESYS_TR_NONE, nullptr, TPM2_SE_POLICY, &no_encryption,
                                                       TPM2_ALG_SHA256, &session),
                                 "TPM2_StartAuthSession", ErrorCode::kUnavailable));
  return session;
}

}  // namespace

Result<SecretBytes> ActivateCredential(ESYS_CONTEXT* esys, ESYS_TR attestation_key, ESYS_TR endorsement_key,
                                       ByteView id_object, ByteView encrypted_secret) {
  TPM2B_ID_OBJECT credential{};
  TPM2B_ENCRYPTED_SECRET secret{};
  if (id_object.empty() || id_object.size() > sizeof(credential.credential) || encrypted_secret.empty() ||
      encrypted_secret.size() > sizeof(secret.secret)) {
    return InvalidArgument("credential blob or encrypted secret does not fit the TPM's structures");
  }
  credential.size = static_cast<std::uint16_t>(id_object.size());
  std::copy(id_object.begin(), id_object.end(), credential.credential);
  secret.size = static_cast<std::uint16_t>(encrypted_secret.size());
  std::copy(encrypted_secret.begin(), encrypted_secret.end(), secret.secret);

  VTPMD_ASSIGN_OR_RETURN(ESYS_TR session_tr, StartEndorsementPolicySession(esys));
  ScopedTr session(esys, session_tr, ScopedTr::Release::kFlush);
  TPM2B_TIMEOUT* timeout = nullptr;
  TPMT_TK_AUTH* ticket = nullptr;
  VTPMD_RETURN_IF_ERROR(CheckTss(Esys_PolicySecret(esys, ESYS_TR_RH_ENDORSEMENT, session_tr, ESYS_TR_PASSWORD,
                                                   ESYS_TR_NONE, ESYS_TR_NONE, nullptr, nullptr, nullptr, 0, &timeout,
                                                   &ticket),
                                 "TPM2_PolicySecret(endorsement)"));
  EsysOwned<TPM2B_TIMEOUT> owned_timeout(timeout);
  EsysOwned<TPMT_TK_AUTH> owned_ticket(ticket);

  TPM2B_DIGEST* recovered = nullptr;
  VTPMD_RETURN_IF_ERROR(CheckTss(Esys_ActivateCredential(esys, attestation_key, endorsement_key, ESYS_TR_PASSWORD,
                                                         session_tr, ESYS_TR_NONE, &credential, &secret, &recovered),
                                 "TPM2_ActivateCredential", ErrorCode::kUnsupported));
  EsysOwned<TPM2B_DIGEST> owned_recovered(recovered);
  SecretBytes out = SecretBytes::CopyFrom(ByteView(recovered->buffer, recovered->size));
  OPENSSL_cleanse(recovered->buffer, sizeof(recovered->buffer));
  return out;
}

}  // namespace vtpmd::vtpm
