#include "ca/credential_file.h"

#include <tss2/tss2_tpm2_types.h>

#include <string>

#include "core/byte_reader.h"
#include "core/crypto.h"

namespace vtpmd::ca {
namespace {

constexpr std::size_t kMaxIdObject = sizeof(TPM2B_ID_OBJECT::credential);
constexpr std::size_t kMaxEncryptedSecret = sizeof(TPM2B_ENCRYPTED_SECRET::secret);
// encIdentity is a TPM2B_DIGEST encrypted in CFB mode, which keeps its length.
constexpr std::size_t kMinEncIdentity = sizeof(UINT16);
constexpr std::size_t kMaxEncIdentity = sizeof(TPM2B_DIGEST);

bool IsDigestSize(std::size_t size) {
  for (HashAlg alg : {HashAlg::kSha1, HashAlg::kSha256, HashAlg::kSha384, HashAlg::kSha512}) {
    if (DigestSize(alg) == size) return true;
  }
  return false;
}

Status CheckIdObject(ByteView id_object) {
  if (id_object.size() > kMaxIdObject) return InvalidArgument("credential ID object is too large");
  ByteReader reader(id_object);
  auto hmac = reader.Sized16();
  if (!hmac.ok()) return InvalidArgument("credential ID object is truncated");
  if (!IsDigestSize(hmac->size())) return InvalidArgument("credential integrity HMAC is not digest-sized");
  if (reader.remaining() < kMinEncIdentity || reader.remaining() > kMaxEncIdentity) {
    return InvalidArgument("credential encIdentity has an impossible size");
  }
  return Ok();
}

Status CheckEncryptedSecret(ByteView secret) {
  if (secret.empty()) return InvalidArgument("credential encrypted secret is empty");
  if (secret.size() > kMaxEncryptedSecret) return InvalidArgument("credential encrypted secret is too large");
  return Ok();
}

void AppendU32(Bytes& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

void AppendSized16(Bytes& out, ByteView data) {
  out.push_back(static_cast<std::uint8_t>(data.size() >> 8));
  out.push_back(static_cast<std::uint8_t>(data.size() & 0xff));
  out.insert(out.end(), data.begin(), data.end());
}

}  // namespace

Result<Bytes> EncodeCredentialFile(const CredentialBlob& blob) {
  VTPMD_RETURN_IF_ERROR(CheckIdObject(blob.id_object));
  VTPMD_RETURN_IF_ERROR(CheckEncryptedSecret(blob.encrypted_secret));
  Bytes out;
  AppendU32(out, kCredentialFileMagic);
  AppendU32(out, kCredentialFileVersion);
  AppendSized16(out, blob.id_object);
  AppendSized16(out, blob.encrypted_secret);
  return out;
}

Result<CredentialBlob> ParseCredentialFile(ByteView file) {
  ByteReader reader(file);
  auto magic = reader.U32();
  if (!magic.ok()) return InvalidArgument("credential file is truncated");
  if (*magic != kCredentialFileMagic) return InvalidArgument("not a tpm2-tools credential file (wrong magic)");
  auto version = reader.U32();
  if (!version.ok()) return InvalidArgument("credential file is truncated");
  if (*version != kCredentialFileVersion) {
    return Unsupported("unsupported credential file version " + std::to_string(*version));
  }
  auto id_object = reader.Sized16();
  if (!id_object.ok()) return InvalidArgument("credential file ID object is truncated");
  VTPMD_RETURN_IF_ERROR(CheckIdObject(*id_object));
  auto secret = reader.Sized16();
  if (!secret.ok()) return InvalidArgument("credential file encrypted secret is truncated");
  VTPMD_RETURN_IF_ERROR(CheckEncryptedSecret(*secret));
  VTPMD_RETURN_IF_ERROR(reader.ExpectEnd("credential file"));
  return CredentialBlob{Bytes(id_object->begin(), id_object->end()), Bytes(secret->begin(), secret->end())};
}

}  // namespace vtpmd::ca
