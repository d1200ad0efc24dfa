#include "vtpm/relay/control_protocol.h"

#include <algorithm>
#include <array>

#include "core/byte_reader.h"

namespace vtpmd::vtpm {
namespace {

using namespace swtpm_ctrl;

constexpr std::size_t kResultSize = 4;
constexpr std::size_t kCapabilitySize = 8;
// Locality 4 belongs to the CPU's dynamic root of trust; no guest software may
// speak with it (it could reset and extend the DRTM PCRs 17..22).
constexpr std::uint8_t kMaxGuestLocality = 3;

constexpr std::uint64_t kPassedCapabilities = kCapInit | kCapGetTpmEstablished | kCapSetLocality |
                                              kCapResetTpmEstablished | kCapStop | kCapGetConfig | kCapSetBufferSize;
constexpr std::uint64_t kRelayCapabilities = kCapShutdown | kCapSetDataFd;

constexpr ControlHandling kForward = ControlHandling::kForward;
constexpr ControlHandling kAnswer = ControlHandling::kAnswer;

// {code, body_min, body_max, handling, answer_result, response_size}
constexpr std::array<ControlCommand, 16> kCommands = {{
    {kGetCapability, 0, 0, kForward, 0, kCapabilitySize},
    {kInit, 4, 4, kForward, 0, 4},
    {kShutdown, 0, 0, kAnswer, kSuccess, 0},
    {kGetTpmEstablished, 0, 0, kForward, 0, 8},  // result, bit, 3 bytes padding
    {kSetLocality, 1, 4, kForward, 0, 4},
    {kHashStart, 0, 0, kAnswer, kBadOrdinal, 0},
    {kHashEnd, 0, 0, kAnswer, kBadOrdinal, 0},
    {kCancelTpmCmd, 0, 0, kAnswer, kFail, 0},
    {kStoreVolatile, 0, 0, kAnswer, kBadOrdinal, 0},
    {kResetTpmEstablished, 1, 4, kForward, 0, 4},
    {kGetStateBlob, 12, 12, kAnswer, kBadOrdinal, 0},  // state_flags, type, offset
    {kStop, 0, 0, kForward, 0, 4},
    {kGetConfig, 0, 0, kForward, 0, 8},  // result, flags
    {kSetDataFd, 0, 0, ControlHandling::kSetDataFd, 0, 0},
    {kSetBufferSize, 4, 4, kForward, 0, 16},      // result, buffersize, minsize, maxsize
    {kGetInfo, 16, 16, kAnswer, kBadOrdinal, 0},  // flags (u64), offset, pad
}};

constexpr bool BodiesFit() {
  for (const ControlCommand& command : kCommands) {
    if (command.body_min > command.body_max || command.body_max > kMaxControlBodySize) return false;
  }
  return true;
}
static_assert(BodiesFit());

void PutU32(Bytes& out, std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(value >> shift));
}

void PutU64(Bytes& out, std::uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(value >> shift));
}

std::uint32_t ClampSize(std::uint32_t size, std::size_t max_command_size) {
  return static_cast<std::uint32_t>(std::min<std::size_t>(size, max_command_size));
}

Result<Bytes> FilterCapabilities(ByteView backend_response) {
  ByteReader reader(backend_response);
  VTPMD_ASSIGN_OR_RETURN(std::uint64_t caps, reader.U64());
  VTPMD_RETURN_IF_ERROR(reader.ExpectEnd("swtpm capabilities"));
  Bytes out;
  PutU64(out, (caps & kPassedCapabilities) | kRelayCapabilities);
  return out;
}

Result<Bytes> ClampBufferSizes(ByteView backend_response, std::size_t max_command_size) {
  ByteReader reader(backend_response);
  VTPMD_ASSIGN_OR_RETURN(std::uint32_t result, reader.U32());
  if (result != kSuccess) return Bytes(backend_response.begin(), backend_response.end());
  VTPMD_ASSIGN_OR_RETURN(std::uint32_t buffer_size, reader.U32());
  VTPMD_ASSIGN_OR_RETURN(std::uint32_t min_size, reader.U32());
  VTPMD_ASSIGN_OR_RETURN(std::uint32_t max_size, reader.U32());
  VTPMD_RETURN_IF_ERROR(reader.ExpectEnd("swtpm buffer sizes"));
  Bytes out;
  PutU32(out, result);
  PutU32(out, ClampSize(buffer_size, max_command_size));
  PutU32(out, min_size);
  PutU32(out, ClampSize(max_size, max_command_size));
  return out;
}

}  // namespace

const ControlCommand* FindControlCommand(std::uint32_t code) {
  for (const ControlCommand& command : kCommands) {
    if (command.code == code) return &command;
  }
  return nullptr;
}

std::optional<std::uint32_t> LocalAnswer(const ControlCommand& command, ByteView body) {
  if (command.handling == ControlHandling::kAnswer) return command.answer_result;
  const bool names_locality = command.code == kSetLocality || command.code == kResetTpmEstablished;
  if (names_locality && (body.empty() || body[0] > kMaxGuestLocality)) return kBadLocality;
  return std::nullopt;
}

Bytes ControlResult(std::uint32_t result) {
  Bytes out;
  PutU32(out, result);
  return out;
}

Bytes BackendControlRequest(const ControlCommand& command, ByteView body, std::size_t max_command_size) {
  Bytes out;
  PutU32(out, command.code);
  ByteReader reader(body);
  auto requested = reader.U32();
  if (command.code == kSetBufferSize && requested.ok()) {
    // 0 queries the current size; anything else may not exceed what the relay
    // forwards, or the TPM would advertise commands the relay then refuses.
    PutU32(out, ClampSize(*requested, max_command_size));
    return out;
  }
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

bool ControlResponseComplete(const ControlCommand& command, ByteView received) {
  if (command.code == kGetCapability) return received.size() >= kCapabilitySize;
  if (received.size() < kResultSize) return false;
  const bool failed = received[0] != 0 || received[1] != 0 || received[2] != 0 || received[3] != 0;
  return failed || received.size() >= command.response_size;
}

Result<Bytes> GuestControlResponse(const ControlCommand& command, ByteView backend_response,
                                   std::size_t max_command_size) {
  if (command.code == kGetCapability) return FilterCapabilities(backend_response);
  if (command.code == kSetBufferSize) return ClampBufferSizes(backend_response, max_command_size);
  return Bytes(backend_response.begin(), backend_response.end());
}

}  // namespace vtpmd::vtpm
