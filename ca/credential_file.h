#pragma once
// The credential file of tpm2-tools 5.x (`tpm2_makecredential -o`,
// `tpm2_activatecredential -i`), all integers big-endian:
//   u32 magic 0xBADCC0DE || u32 version 1 || TPM2B_ID_OBJECT || TPM2B_ENCRYPTED_SECRET
// where each TPM2B is a u16 size and that many bytes.

#include <cstdint>

#include "ca/credential_blob.h"
#include "core/bytes.h"
#include "core/result.h"

namespace vtpmd::ca {

inline constexpr std::uint32_t kCredentialFileMagic = 0xBADCC0DE;
inline constexpr std::uint32_t kCredentialFileVersion = 1;

// Fails on a blob no TPM would accept (see ParseCredentialFile).
Result<Bytes> EncodeCredentialFile(const CredentialBlob& blob);

// Strict: refuses another magic or version, sizes beyond the TPM's structures, an
// ID object that is not integrityHMAC (a digest-sized TPM2B) || encIdentity (an
// encrypted TPM2B_DIGEST), an empty secret, and trailing bytes.
Result<CredentialBlob> ParseCredentialFile(ByteView file);

}  // namespace vtpmd::ca
