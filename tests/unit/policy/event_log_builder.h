#pragma once
// Writes event logs for tests: well-formed ones event by event, and malformed ones
// by raw bytes where a test needs them.

#include <cstdint>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "policy/event_log.h"
#include "policy/spec_id_event.h"

namespace vtpmd::testing {

void PutLittleEndian(Bytes& out, std::uint64_t value, std::size_t width);
Bytes Utf16Le(std::u16string_view text);

// TCG_EfiSpecIDEventStruct with the given algorithm table.
Bytes SpecIdEventData(const std::vector<policy::SpecIdAlgorithm>& algorithms, std::uint8_t uintn_size = 2);
// "StartupLocality\0" || locality.
Bytes StartupLocalityData(std::uint8_t locality);
// UEFI_VARIABLE_DATA for a variable of EFI_GLOBAL_VARIABLE.
Bytes UefiVariableDataFor(std::u16string_view name, ByteView value);

class EventLogBuilder {
 public:
  static EventLogBuilder Sha1();
  // Opens the log with a Spec ID event listing `algorithms`.
  static EventLogBuilder CryptoAgile(std::vector<policy::SpecIdAlgorithm> algorithms);
  static EventLogBuilder Sha1AndSha256();

  // An event whose digests are the hashes of its data (filler bytes for an
  // algorithm core/crypto.h does not implement); EV_NO_ACTION gets zeros.
  EventLogBuilder& Add(std::uint32_t pcr, std::uint32_t type, ByteView data);
  // An event with the given digests, in the current format.
  EventLogBuilder& AddWithDigests(std::uint32_t pcr, std::uint32_t type,
                                  const std::vector<policy::EventDigest>& digests, ByteView data);
  EventLogBuilder& AppendRaw(ByteView bytes);

  const Bytes& bytes() const { return bytes_; }
  // The log's length after each event: the prefixes that are complete logs.
  const std::vector<std::size_t>& event_ends() const { return event_ends_; }
  // The digests Add() gives an event of `type` with `data`.
  std::vector<policy::EventDigest> DigestsFor(std::uint32_t type, ByteView data) const;

 private:
  void AddSha1Format(std::uint32_t pcr, std::uint32_t type, ByteView digest, ByteView data);

  Bytes bytes_;
  std::vector<policy::SpecIdAlgorithm> algorithms_;  // empty: the SHA-1 format
  std::vector<std::size_t> event_ends_;
};

}  // namespace vtpmd::testing
