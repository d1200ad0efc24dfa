#include "vtpm/nv_index.h"

#include <algorithm>
#include <limits>

#include "vtpm/esys_context.h"
#include "vtpm/tpm_handles.h"

namespace vtpmd::vtpm {
namespace {

constexpr TPMA_NV kCertificateAttributes =
    TPMA_NV_PPWRITE | TPMA_NV_PPREAD | TPMA_NV_OWNERREAD | TPMA_NV_AUTHREAD | TPMA_NV_NO_DA | TPMA_NV_PLATFORMCREATE;

Status CheckNvHandle(TPM2_HANDLE index, std::uint32_t chunk_size) {
  if ((index >> TPM2_HR_SHIFT) != TPM2_HT_NV_INDEX) {
    return InvalidArgument(HandleHex(index) + " is not an NV index handle");
  }
  if (chunk_size == 0) return Internal("NV buffer size is zero");
  return Ok();
}

Result<TPMS_NV_PUBLIC> ReadNvPublic(ESYS_CONTEXT* esys, ESYS_TR nv) {
  TPM2B_NV_PUBLIC* raw = nullptr;
  VTPMD_RETURN_IF_ERROR(CheckTss(Esys_NV_ReadPublic(esys, nv, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &raw, nullptr),
                                 "TPM2_NV_ReadPublic"));
  EsysOwned<TPM2B_NV_PUBLIC> pub(raw);
  return pub->nvPublic;
}

Result<ESYS_TR> OpenIndex(ESYS_CONTEXT* esys, TPM2_HANDLE index) {
  ESYS_TR tr = ESYS_TR_NONE;
  VTPMD_RETURN_IF_ERROR(CheckTss(Esys_TR_FromTPMPublic(esys, index, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &tr),
                                 "opening NV index " + HandleHex(index)));
  return tr;
}

// Returns the index's handle, defined with `size` bytes and the certificate attributes.
Result<ESYS_TR> DefineCertificateIndex(ESYS_CONTEXT* esys, TPM2_HANDLE index, std::uint16_t size) {
  VTPMD_ASSIGN_OR_RETURN(bool exists, HandleExists(esys, index));
  if (exists) {
    VTPMD_ASSIGN_OR_RETURN(ESYS_TR existing, OpenIndex(esys, index));
    ScopedTr guard(esys, existing, ScopedTr::Release::kClose);
    VTPMD_ASSIGN_OR_RETURN(TPMS_NV_PUBLIC pub, ReadNvPublic(esys, existing));
    if (pub.dataSize == size && (pub.attributes & ~TPMA_NV_WRITTEN) == kCertificateAttributes) {
      return guard.Keep();
    }
    // UndefineSpace invalidates the ESYS_TR itself.
    ESYS_TR doomed = guard.Keep();
    VTPMD_RETURN_IF_ERROR(
        CheckTss(Esys_NV_UndefineSpace(esys, ESYS_TR_RH_PLATFORM, doomed, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE),
                 "TPM2_NV_UndefineSpace(" + HandleHex(index) + ")"));
  }
  TPM2B_AUTH no_auth{};
  TPM2B_NV_PUBLIC pub{};
  pub.nvPublic.nvIndex = index;
  pub.nvPublic.nameAlg = TPM2_ALG_SHA256;
  pub.nvPublic.attributes = kCertificateAttributes;
  pub.nvPublic.dataSize = size;
  ESYS_TR tr = ESYS_TR_NONE;
  VTPMD_RETURN_IF_ERROR(CheckTss(
      Esys_NV_DefineSpace(esys, ESYS_TR_RH_PLATFORM, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &no_auth, &pub, &tr),
      "TPM2_NV_DefineSpace(" + HandleHex(index) + ")"));
  return tr;
}

Result<Bytes> ReadContents(ESYS_CONTEXT* esys, ESYS_TR tr, TPM2_HANDLE index, std::uint16_t data_size,
                           std::uint32_t chunk_size) {
  Bytes out;
  out.reserve(data_size);
  while (out.size() < data_size) {
    const auto offset = static_cast<std::uint16_t>(out.size());
    const auto size = static_cast<std::uint16_t>(std::min<std::size_t>(chunk_size, data_size - out.size()));
    TPM2B_MAX_NV_BUFFER* raw = nullptr;
    // AUTHREAD with the index's own (empty) auth, as tpm2_nvread does by default.
    VTPMD_RETURN_IF_ERROR(
        CheckTss(Esys_NV_Read(esys, tr, tr, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, size, offset, &raw),
                 "TPM2_NV_Read(" + HandleHex(index) + ")"));
    EsysOwned<TPM2B_MAX_NV_BUFFER> chunk(raw);
    if (chunk->size != size) return Internal("TPM2_NV_Read returned a short chunk");
    out.insert(out.end(), chunk->buffer, chunk->buffer + chunk->size);
  }
  return out;
}

Status CheckCertificate(TPM2_HANDLE index, ByteView der, std::uint32_t chunk_size) {
  VTPMD_RETURN_IF_ERROR(CheckNvHandle(index, chunk_size));
  if (der.empty() || der.size() > std::numeric_limits<std::uint16_t>::max()) {
    return InvalidArgument("NV certificate size out of range");
  }
  return Ok();
}

Status WriteContents(ESYS_CONTEXT* esys, ESYS_TR tr, TPM2_HANDLE index, ByteView der, std::uint32_t chunk_size) {
  const std::size_t max_chunk = std::min<std::size_t>(chunk_size, sizeof(TPM2B_MAX_NV_BUFFER::buffer));
  for (std::size_t offset = 0; offset < der.size(); offset += max_chunk) {
    TPM2B_MAX_NV_BUFFER chunk{};
    chunk.size = static_cast<std::uint16_t>(std::min(max_chunk, der.size() - offset));
    std::copy_n(der.begin() + static_cast<std::ptrdiff_t>(offset), chunk.size, chunk.buffer);
    VTPMD_RETURN_IF_ERROR(CheckTss(Esys_NV_Write(esys, ESYS_TR_RH_PLATFORM, tr, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                                                 ESYS_TR_NONE, &chunk, static_cast<std::uint16_t>(offset)),
                                   "TPM2_NV_Write(" + HandleHex(index) + ")"));
  }
  return Ok();
}

// True when the index is exactly what EnsureNvCertificate would have made.
Result<bool> HoldsCertificate(ESYS_CONTEXT* esys, ESYS_TR tr, const TPMS_NV_PUBLIC& pub, ByteView der,
                              std::uint32_t chunk_size) {
  if (pub.attributes != (kCertificateAttributes | TPMA_NV_WRITTEN) || pub.dataSize != der.size() ||
      pub.nameAlg != TPM2_ALG_SHA256 || pub.authPolicy.size != 0) {
    return false;
  }
  Result<Bytes> contents = ReadContents(esys, tr, pub.nvIndex, pub.dataSize, chunk_size);
  if (!contents.ok()) {
    // A refused read (an auth value was set) means guests cannot read it either.
    if (contents.error().code() == ErrorCode::kUnavailable) return std::move(contents).error();
    return false;
  }
  return std::equal(contents->begin(), contents->end(), der.begin(), der.end());
}

}  // namespace

Result<std::optional<Bytes>> ReadNvIndex(ESYS_CONTEXT* esys, TPM2_HANDLE index, std::uint32_t chunk_size) {
  VTPMD_RETURN_IF_ERROR(CheckNvHandle(index, chunk_size));
  VTPMD_ASSIGN_OR_RETURN(bool exists, HandleExists(esys, index));
  if (!exists) return std::optional<Bytes>();
  VTPMD_ASSIGN_OR_RETURN(ESYS_TR tr, OpenIndex(esys, index));
  ScopedTr guard(esys, tr, ScopedTr::Release::kClose);
  VTPMD_ASSIGN_OR_RETURN(TPMS_NV_PUBLIC pub, ReadNvPublic(esys, tr));
  if ((pub.attributes & TPMA_NV_WRITTEN) == 0) return std::optional<Bytes>();
  VTPMD_ASSIGN_OR_RETURN(Bytes contents, ReadContents(esys, tr, index, pub.dataSize, chunk_size));
  return std::optional<Bytes>(std::move(contents));
}

Status WriteNvCertificate(ESYS_CONTEXT* esys, TPM2_HANDLE index, ByteView der, std::uint32_t chunk_size) {
  VTPMD_RETURN_IF_ERROR(CheckCertificate(index, der, chunk_size));
  VTPMD_ASSIGN_OR_RETURN(ESYS_TR tr, DefineCertificateIndex(esys, index, static_cast<std::uint16_t>(der.size())));
  ScopedTr guard(esys, tr, ScopedTr::Release::kClose);
  return WriteContents(esys, tr, index, der, chunk_size);
}

Result<bool> EnsureNvCertificate(ESYS_CONTEXT* esys, TPM2_HANDLE index, ByteView der, std::uint32_t chunk_size) {
  VTPMD_RETURN_IF_ERROR(CheckCertificate(index, der, chunk_size));
  VTPMD_ASSIGN_OR_RETURN(bool exists, HandleExists(esys, index));
  if (exists) {
    VTPMD_ASSIGN_OR_RETURN(ESYS_TR existing, OpenIndex(esys, index));
    ScopedTr guard(esys, existing, ScopedTr::Release::kClose);
    VTPMD_ASSIGN_OR_RETURN(TPMS_NV_PUBLIC pub, ReadNvPublic(esys, existing));
    VTPMD_ASSIGN_OR_RETURN(bool current, HoldsCertificate(esys, existing, pub, der, chunk_size));
    if (current) return false;
    // The index's auth value is invisible in its public area, so a mismatch of
    // any kind is repaired by a fresh definition rather than an overwrite.
    const ESYS_TR owner = (pub.attributes & TPMA_NV_PLATFORMCREATE) != 0 ? ESYS_TR_RH_PLATFORM : ESYS_TR_RH_OWNER;
    VTPMD_RETURN_IF_ERROR(
        CheckTss(Esys_NV_UndefineSpace(esys, owner, guard.Keep(), ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE),
                 "TPM2_NV_UndefineSpace(" + HandleHex(index) + ")"));
  }
  VTPMD_ASSIGN_OR_RETURN(ESYS_TR tr, DefineCertificateIndex(esys, index, static_cast<std::uint16_t>(der.size())));
  ScopedTr guard(esys, tr, ScopedTr::Release::kClose);
  VTPMD_RETURN_IF_ERROR(WriteContents(esys, tr, index, der, chunk_size));
  return true;
}

}  // namespace vtpmd::vtpm
