#pragma once
// NV indices holding certificates, read and written in chunks of at most
// TPM2_PT_NV_BUFFER_MAX bytes (a certificate is usually larger than one command).

#include <tss2/tss2_esys.h>

#include <cstdint>
#include <optional>

#include "core/bytes.h"
#include "core/result.h"

namespace vtpmd::vtpm {

// nullopt when the index is not defined or was never written.
Result<std::optional<Bytes>> ReadNvIndex(ESYS_CONTEXT* esys, TPM2_HANDLE index, std::uint32_t chunk_size);

// Defines the index under the platform hierarchy with the attributes TPM vendors
// use for EK certificates (readable by owner and with the index's empty auth,
// writable only with platform auth, never write-locked), redefining it if its
// size or attributes differ, then writes `der`.
Status WriteNvCertificate(ESYS_CONTEXT* esys, TPM2_HANDLE index, ByteView der, std::uint32_t chunk_size);

// For a TPM whose other users are not trusted (a vTPM's guest): leaves the index
// alone only if it holds exactly `der`, with the certificate attributes, no
// policy, and readable with its empty auth as guests read it; anything else found
// there is undefined and replaced. True when it wrote.
Result<bool> EnsureNvCertificate(ESYS_CONTEXT* esys, TPM2_HANDLE index, ByteView der, std::uint32_t chunk_size);

}  // namespace vtpmd::vtpm
