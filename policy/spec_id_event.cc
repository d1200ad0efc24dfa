#include "policy/spec_id_event.h"

#include <algorithm>
#include <string>
#include <string_view>

#include "core/byte_reader.h"
#include "policy/digest_algorithm.h"

namespace vtpmd::policy {
namespace {

constexpr std::string_view kSignature("Spec ID Event03\0", 16);

Status CheckAlgorithm(const SpecIdAlgorithm& algorithm, const std::vector<SpecIdAlgorithm>& earlier) {
  const std::string name = DigestAlgorithmName(algorithm.algorithm_id);
  if (std::any_of(earlier.begin(), earlier.end(),
                  [&](const SpecIdAlgorithm& other) { return other.algorithm_id == algorithm.algorithm_id; })) {
    return InvalidArgument(name + " is listed twice");
  }
  if (algorithm.digest_size == 0 || algorithm.digest_size > kMaxDigestSize) {
    return InvalidArgument(name + " has an impossible digest size " + std::to_string(algorithm.digest_size));
  }
  const auto known = KnownDigestSize(algorithm.algorithm_id);
  if (known && *known != algorithm.digest_size) {
    return InvalidArgument(name + " has digest size " + std::to_string(algorithm.digest_size) + ", not " +
                           std::to_string(*known));
  }
  return Ok();
}

Result<SpecIdEvent> ReadSpecIdEvent(ByteReader& reader) {
  VTPMD_ASSIGN_OR_RETURN(ByteView signature, reader.Take(kSignature.size()));
  if (AsChars(signature) != kSignature) return InvalidArgument("not a Spec ID Event03");
  SpecIdEvent out;
  VTPMD_ASSIGN_OR_RETURN(out.platform_class, reader.U32Le());
  VTPMD_ASSIGN_OR_RETURN(out.spec_version_minor, reader.U8());
  VTPMD_ASSIGN_OR_RETURN(out.spec_version_major, reader.U8());
  VTPMD_ASSIGN_OR_RETURN(out.spec_errata, reader.U8());
  VTPMD_ASSIGN_OR_RETURN(out.uintn_size, reader.U8());
  if (out.uintn_size != 1 && out.uintn_size != 2) {
    return InvalidArgument("uintnSize " + std::to_string(out.uintn_size) + " is neither 1 nor 2");
  }
  VTPMD_ASSIGN_OR_RETURN(std::uint32_t count, reader.U32Le());
  if (count == 0 || count > kMaxLogAlgorithms) {
    return InvalidArgument(std::to_string(count) + " algorithms listed (1 to " + std::to_string(kMaxLogAlgorithms) +
                           " accepted)");
  }
  for (std::uint32_t i = 0; i < count; ++i) {
    SpecIdAlgorithm algorithm;
    VTPMD_ASSIGN_OR_RETURN(algorithm.algorithm_id, reader.U16Le());
    VTPMD_ASSIGN_OR_RETURN(algorithm.digest_size, reader.U16Le());
    VTPMD_RETURN_IF_ERROR(CheckAlgorithm(algorithm, out.algorithms));
    out.algorithms.push_back(algorithm);
  }
  VTPMD_ASSIGN_OR_RETURN(std::uint8_t vendor_info_size, reader.U8());
  VTPMD_ASSIGN_OR_RETURN(ByteView vendor_info, reader.Take(vendor_info_size));
  out.vendor_info.assign(vendor_info.begin(), vendor_info.end());
  VTPMD_RETURN_IF_ERROR(reader.ExpectEnd("the vendor info"));
  return out;
}

}  // namespace

bool HasSpecIdEvent03Signature(ByteView event_data) {
  return event_data.size() >= kSignature.size() && AsChars(event_data.first(kSignature.size())) == kSignature;
}

Result<SpecIdEvent> ParseSpecIdEvent(ByteView event_data) {
  ByteReader reader(event_data);
  auto event = ReadSpecIdEvent(reader);
  if (!event.ok()) return event.error().WithContext("malformed Spec ID event");
  return event;
}

}  // namespace vtpmd::policy
