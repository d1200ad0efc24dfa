#pragma once
// An attestation identity key's public area that a privacy CA is willing to
// certify: a restricted signing key that never leaves its TPM, whose private part
// the TPM generated, of a strength we accept.

#include <tss2/tss2_tpm2_types.h>

#include "core/bytes.h"
#include "core/result.h"

namespace vtpmd::ca {

class AikPublic {
 public:
  // Accepts a TPM2B_PUBLIC (what `tpm2_createak -u` and `tpm2_readpublic -o` write:
  // u16 size || TPMT_PUBLIC) or a bare TPMT_PUBLIC. Input whose first u16 equals the
  // length of the rest is taken as a TPM2B_PUBLIC; a bare area never is one of
  // those, since a key we accept is far longer than such an area could be
  // (3 or 37 bytes). Malformed bytes are kInvalidArgument; a well-formed area that
  // is not an acceptable AIK is kUnsupported, with a message naming the reason.
  static Result<AikPublic> Create(ByteView tpm_public);
  // For bytes Create accepted earlier and vtpmd stored itself: the same checks
  // except rebuilding the public key (and its curve check), which costs the most.
  static Result<AikPublic> Recall(ByteView accepted);

  AikPublic(AikPublic&&) = default;
  AikPublic& operator=(AikPublic&&) = default;

  const TPMT_PUBLIC& area() const { return area_; }
  // nameAlg (u16) || H(TPMT_PUBLIC): what MakeCredential binds the credential to.
  const Bytes& name() const { return name_; }

 private:
  AikPublic(const TPMT_PUBLIC& area, Bytes name) : area_(area), name_(std::move(name)) {}
  static Result<AikPublic> Check(ByteView tpm_public, bool build_key);

  TPMT_PUBLIC area_;
  Bytes name_;
};

}  // namespace vtpmd::ca
