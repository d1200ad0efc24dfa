#include "vtpm/relay/tpm_frame.h"

#include <string>

#include "core/byte_reader.h"

namespace vtpmd::vtpm {
namespace {

constexpr std::uint16_t kTpm12ResponseTag = 0x00C4;  // TPM_TAG_RSP_COMMAND

void PutBigEndian(Bytes& out, std::uint64_t value, int width) {
  for (int shift = (width - 1) * 8; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(value >> shift));
}

}  // namespace

Result<TpmHeader> ParseTpmHeader(ByteView bytes) {
  ByteReader reader(bytes);
  TpmHeader header{};
  VTPMD_ASSIGN_OR_RETURN(header.tag, reader.U16());
  VTPMD_ASSIGN_OR_RETURN(header.size, reader.U32());
  VTPMD_ASSIGN_OR_RETURN(header.code, reader.U32());
  return header;
}

bool IsTpm2CommandTag(std::uint16_t tag) {
  return tag == kTpmStNoSessions || tag == kTpmStSessions;
}

Bytes TpmErrorResponse(std::uint16_t request_tag, std::uint32_t rc) {
  // TPM 1.2 request tags are 0x00C1..0x00C3.
  const bool tpm12_request = (request_tag & 0xFF00) == 0 && request_tag >= 0x00C1 && request_tag <= 0x00C3;
  Bytes out;
  out.reserve(kTpmHeaderSize);
  PutBigEndian(out, tpm12_request ? kTpm12ResponseTag : kTpmStNoSessions, 2);
  PutBigEndian(out, kTpmHeaderSize, 4);
  PutBigEndian(out, rc, 4);
  return out;
}

Status CheckWholeCommand(ByteView command, std::size_t max_size) {
  VTPMD_ASSIGN_OR_RETURN(TpmHeader header, ParseTpmHeader(command));
  if (!IsTpm2CommandTag(header.tag)) return InvalidArgument("TPM command has an unknown tag");
  if (header.size != command.size()) {
    return InvalidArgument("TPM command size field " + std::to_string(header.size) + " does not match its length " +
                           std::to_string(command.size()));
  }
  if (command.size() > max_size)
    return InvalidArgument("TPM command larger than " + std::to_string(max_size) + " bytes");
  return Ok();
}

}  // namespace vtpmd::vtpm
