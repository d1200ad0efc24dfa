// Hex and base64 decoders (nonces and TPM structures arrive in JSON this way). They
// are strict, so whatever decodes must re-encode to the input.
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/bytes.h"

namespace {

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = vtpmd::AsChars(vtpmd::ByteView(data, size));
  if (auto hex = vtpmd::HexDecode(text); hex.ok() && vtpmd::HexEncode(*hex) != Lower(text)) __builtin_trap();
  if (auto b64 = vtpmd::Base64Decode(text); b64.ok() && vtpmd::Base64Encode(*b64) != text) __builtin_trap();
  if (auto url = vtpmd::Base64UrlDecode(text); url.ok() && vtpmd::Base64UrlEncode(*url) != text) __builtin_trap();
  return 0;
}
