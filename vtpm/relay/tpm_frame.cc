#include "vtpm/relay/tpm_frame.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <string>
#include <utility>

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

TpmCommandStream::Next TpmCommandStream::Examine() const {
  using Kind = Next::Kind;
  if (filled_ < kTpmHeaderSize) {
    // Reading beyond this command is harmless (the rest waits here), as long as
    // the buffer never holds more than one command's worth.
    const std::size_t limit = std::max(kTpmHeaderSize, std::min(kReadAhead, max_command_size_));
    return {.kind = Kind::kNeedBytes, .room = limit - filled_};
  }
  const TpmHeader header = ParseTpmHeader(ByteView(buffer_).first(kTpmHeaderSize)).value();
  // Beyond the limit or below the header the stream cannot be resynchronised:
  // answer like a TPM would, then hang up.
  if (header.size < kTpmHeaderSize || header.size > max_command_size_) {
    return {.kind = Kind::kRefuse, .tag = header.tag, .rc = kTpmRcCommandSize, .then_close = true};
  }
  if (filled_ < header.size) return {.kind = Kind::kNeedBytes, .room = header.size - filled_};
  if (!IsTpm2CommandTag(header.tag)) return {.kind = Kind::kRefuse, .tag = header.tag, .rc = kTpmRcBadTag};
  return {.kind = Kind::kCommand};
}

std::span<std::uint8_t> TpmCommandStream::Space(std::size_t room) {
  if (buffer_.size() < filled_ + room) buffer_.resize(filled_ + room);
  return std::span(buffer_).subspan(filled_, room);
}

void TpmCommandStream::Received(std::size_t count) {
  assert(filled_ + count <= buffer_.size());
  filled_ += count;
}

std::size_t TpmCommandStream::FrontSize() const {
  return ParseTpmHeader(ByteView(buffer_).first(filled_)).value().size;
}

Bytes TpmCommandStream::TakeCommand() {
  const std::size_t size = FrontSize();
  assert(size <= filled_);
  if (size == filled_) {
    // The usual case: the buffer holds exactly this command and goes with it.
    Bytes command = std::exchange(buffer_, Bytes());
    command.resize(size);
    filled_ = 0;
    return command;
  }
  Bytes command(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(size));
  Consume(size);
  return command;
}

void TpmCommandStream::SkipCommand() {
  Consume(FrontSize());
}

void TpmCommandStream::Consume(std::size_t count) {
  assert(count <= filled_);
  if (count == filled_) {
    buffer_ = Bytes();  // an idle connection holds no buffer
  } else {
    std::memmove(buffer_.data(), buffer_.data() + count, filled_ - count);
  }
  filled_ -= count;
}

}  // namespace vtpmd::vtpm
