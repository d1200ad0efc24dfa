#include "tests/unit/policy/event_log_builder.h"

#include <tss2/tss2_tpm2_types.h>

#include <utility>

#include "core/crypto.h"
#include "core/tpm_alg.h"
#include "policy/event_types.h"

namespace vtpmd::testing {
namespace {

constexpr std::size_t kSha1Size = 20;
// EFI_GLOBAL_VARIABLE, 8be4df61-93ca-11d2-aa0d-00e098032b8c, as laid out in memory.
constexpr std::uint8_t kEfiGlobalVariable[16] = {0x61, 0xdf, 0xe4, 0x8b, 0xca, 0x93, 0xd2, 0x11,
                                                 0xaa, 0x0d, 0x00, 0xe0, 0x98, 0x03, 0x2b, 0x8c};

void Append(Bytes& out, ByteView data) {
  out.insert(out.end(), data.begin(), data.end());
}

}  // namespace

void PutLittleEndian(Bytes& out, std::uint64_t value, std::size_t width) {
  for (std::size_t i = 0; i < width; ++i) out.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
}

Bytes Utf16Le(std::u16string_view text) {
  Bytes out;
  for (char16_t unit : text) PutLittleEndian(out, unit, 2);
  return out;
}

Bytes SpecIdEventData(const std::vector<policy::SpecIdAlgorithm>& algorithms, std::uint8_t uintn_size) {
  Bytes out;
  Append(out, AsBytes(std::string_view("Spec ID Event03\0", 16)));
  PutLittleEndian(out, 0, 4);  // platformClass: client
  out.insert(out.end(), {0, 2, 0, uintn_size});
  PutLittleEndian(out, algorithms.size(), 4);
  for (const auto& algorithm : algorithms) {
    PutLittleEndian(out, algorithm.algorithm_id, 2);
    PutLittleEndian(out, algorithm.digest_size, 2);
  }
  out.push_back(0);  // no vendor info
  return out;
}

Bytes StartupLocalityData(std::uint8_t locality) {
  Bytes out;
  Append(out, AsBytes(std::string_view("StartupLocality\0", 16)));
  out.push_back(locality);
  return out;
}

Bytes UefiVariableDataFor(std::u16string_view name, ByteView value) {
  Bytes out(std::begin(kEfiGlobalVariable), std::end(kEfiGlobalVariable));
  PutLittleEndian(out, name.size(), 8);
  PutLittleEndian(out, value.size(), 8);
  Append(out, Utf16Le(name));
  Append(out, value);
  return out;
}

EventLogBuilder EventLogBuilder::Sha1() {
  return EventLogBuilder();
}

EventLogBuilder EventLogBuilder::CryptoAgile(std::vector<policy::SpecIdAlgorithm> algorithms) {
  EventLogBuilder builder;
  builder.AddSha1Format(0, policy::kEvNoAction, Bytes(kSha1Size, 0), SpecIdEventData(algorithms));
  builder.algorithms_ = std::move(algorithms);
  return builder;
}

EventLogBuilder EventLogBuilder::Sha1AndSha256() {
  return CryptoAgile({{TPM2_ALG_SHA1, 20}, {TPM2_ALG_SHA256, 32}});
}

std::vector<policy::EventDigest> EventLogBuilder::DigestsFor(std::uint32_t type, ByteView data) const {
  const std::vector<policy::SpecIdAlgorithm> sha1_only = {{TPM2_ALG_SHA1, kSha1Size}};
  std::vector<policy::EventDigest> out;
  for (const auto& algorithm : algorithms_.empty() ? sha1_only : algorithms_) {
    auto hash = tpm::HashAlgFromTpm(algorithm.algorithm_id);
    Bytes digest(algorithm.digest_size, type == policy::kEvNoAction ? 0x00 : 0x5a);
    if (hash.ok() && type != policy::kEvNoAction) digest = *Digest(*hash, data);
    out.push_back(policy::EventDigest{algorithm.algorithm_id, std::move(digest)});
  }
  return out;
}

EventLogBuilder& EventLogBuilder::Add(std::uint32_t pcr, std::uint32_t type, ByteView data) {
  return AddWithDigests(pcr, type, DigestsFor(type, data), data);
}

EventLogBuilder& EventLogBuilder::AddWithDigests(std::uint32_t pcr, std::uint32_t type,
                                                 const std::vector<policy::EventDigest>& digests, ByteView data) {
  if (algorithms_.empty()) {
    AddSha1Format(pcr, type, digests.at(0).value, data);
    return *this;
  }
  PutLittleEndian(bytes_, pcr, 4);
  PutLittleEndian(bytes_, type, 4);
  PutLittleEndian(bytes_, digests.size(), 4);
  for (const auto& digest : digests) {
    PutLittleEndian(bytes_, digest.algorithm_id, 2);
    Append(bytes_, digest.value);
  }
  PutLittleEndian(bytes_, data.size(), 4);
  Append(bytes_, data);
  event_ends_.push_back(bytes_.size());
  return *this;
}

EventLogBuilder& EventLogBuilder::AppendRaw(ByteView bytes) {
  Append(bytes_, bytes);
  return *this;
}

void EventLogBuilder::AddSha1Format(std::uint32_t pcr, std::uint32_t type, ByteView digest, ByteView data) {
  PutLittleEndian(bytes_, pcr, 4);
  PutLittleEndian(bytes_, type, 4);
  Append(bytes_, digest);
  PutLittleEndian(bytes_, data.size(), 4);
  Append(bytes_, data);
  event_ends_.push_back(bytes_.size());
}

}  // namespace vtpmd::testing
