#pragma once
// TPM 2.0 structures on the wire (big-endian, as the TPM and tpm2-tools write them),
// parsed with libtss2-mu. Parsers take untrusted bytes: they reject trailing bytes,
// inconsistent sizes and algorithms we do not handle.

#include <tss2/tss2_tpm2_types.h>

#include "core/bytes.h"
#include "core/crypto.h"
#include "core/result.h"

namespace vtpmd::tpm {

// A TPM2B_PUBLIC (`tpm2_createak -u`, `tpm2_readpublic -o`): u16 size || TPMT_PUBLIC.
Result<TPM2B_PUBLIC> ParsePublic(ByteView data);
// A bare TPMT_PUBLIC, as hashed into an object's name.
Result<TPMT_PUBLIC> ParsePublicArea(ByteView data);
Result<Bytes> MarshalPublic(const TPM2B_PUBLIC& pub);
Result<Bytes> MarshalPublicArea(const TPMT_PUBLIC& area);

// A TPMS_ATTEST (`tpm2_quote -m`); its magic must be TPM2_GENERATED_VALUE, which is
// what stops a TPM-signed external digest from passing as TPM-generated evidence.
Result<TPMS_ATTEST> ParseAttest(ByteView data);
// The structure alone, magic and type unchecked, for a verifier that names each
// problem itself (policy/quote_verifier.h); anything else uses ParseAttest.
Result<TPMS_ATTEST> ParseAttestStructure(ByteView data);
Result<Bytes> MarshalAttest(const TPMS_ATTEST& attest);

// A TPMT_SIGNATURE (`tpm2_quote -s`, tss format): RSASSA, RSAPSS or ECDSA only.
Result<TPMT_SIGNATURE> ParseSignature(ByteView data);
Result<Bytes> MarshalSignature(const TPMT_SIGNATURE& signature);
// The hash a signature was made over, from its scheme; fails for other schemes.
Result<HashAlg> SignatureHashAlg(const TPMT_SIGNATURE& signature);

}  // namespace vtpmd::tpm
