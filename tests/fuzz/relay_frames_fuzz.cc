// What a guest and its swtpm send through the relay: TPM command headers, a guest's
// command stream arriving in pieces, control requests (code + body) and swtpm's
// control answers. Any bytes must yield a value or an Error, never a crash or an
// out-of-bounds read; every command the stream hands on is whole and within its
// limit, and the stream never holds more than the limit allows.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "core/byte_reader.h"
#include "vtpm/relay/control_protocol.h"
#include "vtpm/relay/tpm_frame.h"

namespace {

// The input's first byte picks the command limit and the size of the pieces the
// rest arrives in, as recv() may cut a guest's stream anywhere.
void FrameGuestStream(vtpmd::ByteView input) {
  using Kind = vtpmd::vtpm::TpmCommandStream::Next::Kind;
  if (input.empty()) return;
  const std::size_t max_command_size = (input[0] & 1) != 0 ? 64 : 8192;
  const std::size_t piece = 1 + (input[0] >> 1);
  vtpmd::vtpm::TpmCommandStream stream(max_command_size);
  std::size_t offset = 1;
  while (true) {
    const auto next = stream.Examine();
    switch (next.kind) {
      case Kind::kCommand:
        if (!vtpmd::vtpm::CheckWholeCommand(stream.TakeCommand(), max_command_size).ok()) __builtin_trap();
        break;
      case Kind::kRefuse:
        if (next.then_close) return;
        stream.SkipCommand();
        break;
      case Kind::kNeedBytes: {
        if (next.room == 0 || next.room > std::max(max_command_size, vtpmd::vtpm::TpmCommandStream::kReadAhead)) {
          __builtin_trap();
        }
        if (offset >= input.size()) return;
        const std::size_t count = std::min({next.room, piece, input.size() - offset});
        std::memcpy(stream.Space(next.room).data(), input.data() + offset, count);
        stream.Received(count);
        offset += count;
        break;
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const vtpmd::ByteView input(data, size);
  (void)vtpmd::vtpm::ParseTpmHeader(input);
  FrameGuestStream(input);

  vtpmd::ByteReader reader(input);
  auto code = reader.U32();
  if (!code.ok()) return 0;
  const vtpmd::vtpm::ControlCommand* command = vtpmd::vtpm::FindControlCommand(*code);
  if (command == nullptr) return 0;
  const vtpmd::ByteView rest = input.subspan(reader.offset());
  const vtpmd::ByteView body = rest.first(std::min(rest.size(), command->body_max));
  if (body.size() >= command->body_min) {
    (void)vtpmd::vtpm::LocalAnswer(*command, body);
    (void)vtpmd::vtpm::BackendControlRequest(*command, body, 4096);
  }
  // The same bytes as swtpm's answer to that command.
  if (vtpmd::vtpm::ControlResponseComplete(*command, rest)) {
    (void)vtpmd::vtpm::GuestControlResponse(*command, rest, 4096);
  }
  return 0;
}
