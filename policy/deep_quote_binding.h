#pragma once
// The leaf a deep quote binds into the platform quote (docs/attestation.md, "Deep
// quotes: batching and proofs"): what the platform TPM vouches for, through the
// Merkle root it quotes, about one guest attestation of an instance hosted here.
//
// Encoding (the leaf is SHA-256 of these bytes, 32 bytes):
//
//   "vtpmd-bind"                 10 ASCII bytes, no terminator (domain separation)
//   u16 len ‖ nonce              the challenger's nonce
//   u16 len ‖ instance id        0x0010 ‖ the instance's UUID as 16 bytes (RFC 9562
//                                byte order: the hex digits of the text form, in order)
//   u16 len ‖ EK' name           TPM name of the guest's EK: nameAlg (u16) ‖ digest
//   u16 len ‖ AIK' name          TPM name of the guest's AIK
//   SHA-256(guest TPMS_ATTEST)   32 bytes: the marshalled attestation the AIK signed
//
// Every u16 is big-endian. Each variable field carries its length, so no two
// different bindings encode to the same bytes (moving a byte from the nonce to the
// EK name changes the leaf); the attestation digest is last and of fixed size.

#include <string_view>

#include "core/bytes.h"
#include "core/result.h"

namespace vtpmd::policy {

inline constexpr std::string_view kDeepQuoteBindLabel = "vtpmd-bind";

struct DeepQuoteBinding {
  ByteView nonce;
  // The instance's id in its canonical text form (8-4-4-4-12 hex digits, either case).
  std::string_view instance_id;
  ByteView ek_name;
  ByteView aik_name;
  ByteView guest_attest;  // marshalled TPMS_ATTEST, hashed into the leaf
};

// The encoding above, before hashing. InvalidArgument for an instance id that is
// not a UUID or a length-prefixed field longer than 65535 bytes.
Result<Bytes> EncodeDeepQuoteBinding(const DeepQuoteBinding& binding);
// SHA-256 of EncodeDeepQuoteBinding: the leaf the Merkle tree hashes (as
// MerkleLeafHash(leaf), policy/merkle_tree.h).
Result<Bytes> DeepQuoteLeaf(const DeepQuoteBinding& binding);

// The 16 bytes of a UUID in its text form (any case); InvalidArgument otherwise.
Result<Bytes> UuidBytes(std::string_view uuid);

}  // namespace vtpmd::policy
