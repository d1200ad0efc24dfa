// What a guest and its swtpm send through the relay: TPM command headers, control
// requests (code + body) and swtpm's control answers. Any bytes must yield a value or
// an Error, never a crash or an out-of-bounds read.

#include <cstddef>
#include <cstdint>

#include "core/byte_reader.h"
#include "vtpm/relay/control_protocol.h"
#include "vtpm/relay/tpm_frame.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const vtpmd::ByteView input(data, size);
  (void)vtpmd::vtpm::ParseTpmHeader(input);

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
