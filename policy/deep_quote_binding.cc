#include "policy/deep_quote_binding.h"

#include <limits>
#include <string>

#include "core/crypto.h"
#include "core/uuid.h"

namespace vtpmd::policy {
namespace {

Status AppendLengthPrefixed(Bytes& out, ByteView field, std::string_view what) {
  if (field.size() > std::numeric_limits<std::uint16_t>::max()) {
    return InvalidArgument(std::string(what) + " is " + std::to_string(field.size()) +
                           " bytes; a deep-quote binding field holds at most 65535");
  }
  out.push_back(static_cast<std::uint8_t>(field.size() >> 8U));
  out.push_back(static_cast<std::uint8_t>(field.size() & 0xffU));
  out.insert(out.end(), field.begin(), field.end());
  return Ok();
}

}  // namespace

Result<Bytes> UuidBytes(std::string_view uuid) {
  VTPMD_ASSIGN_OR_RETURN(std::string canonical, CanonicalUuid(uuid));
  std::string hex;
  hex.reserve(32);
  for (char c : canonical) {
    if (c != '-') hex.push_back(c);
  }
  return HexDecode(hex);
}

Result<Bytes> EncodeDeepQuoteBinding(const DeepQuoteBinding& binding) {
  auto instance_id = UuidBytes(binding.instance_id);
  if (!instance_id.ok()) return instance_id.error().WithContext("deep-quote binding instance id");
  VTPMD_ASSIGN_OR_RETURN(Bytes attest_digest, Sha256(binding.guest_attest));

  Bytes out;
  out.reserve(kDeepQuoteBindLabel.size() + 4 * 2 + binding.nonce.size() + instance_id->size() +
              binding.ek_name.size() + binding.aik_name.size() + attest_digest.size());
  const ByteView label = AsBytes(kDeepQuoteBindLabel);
  out.insert(out.end(), label.begin(), label.end());
  VTPMD_RETURN_IF_ERROR(AppendLengthPrefixed(out, binding.nonce, "nonce"));
  VTPMD_RETURN_IF_ERROR(AppendLengthPrefixed(out, *instance_id, "instance id"));
  VTPMD_RETURN_IF_ERROR(AppendLengthPrefixed(out, binding.ek_name, "EK name"));
  VTPMD_RETURN_IF_ERROR(AppendLengthPrefixed(out, binding.aik_name, "AIK name"));
  out.insert(out.end(), attest_digest.begin(), attest_digest.end());
  return out;
}

Result<Bytes> DeepQuoteLeaf(const DeepQuoteBinding& binding) {
  VTPMD_ASSIGN_OR_RETURN(Bytes encoded, EncodeDeepQuoteBinding(binding));
  return Sha256(encoded);
}

}  // namespace vtpmd::policy
