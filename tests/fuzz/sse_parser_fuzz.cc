// The SSE parser reads bytes from the server: any input, in any split, must parse
// without crashing, stay within its bounds, and give the same events whole or split.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "server/cli/sse_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  vtpmd::cli::SseParser whole;
  const auto expected = whole.Feed(bytes);

  // The first byte picks where to split the rest.
  const std::size_t split = size == 0 ? 0 : data[0] % (size + 1);
  vtpmd::cli::SseParser pieces;
  auto events = pieces.Feed(bytes.substr(0, split));
  const auto rest = pieces.Feed(bytes.substr(split));
  events.insert(events.end(), rest.begin(), rest.end());

  if (whole.failed() != pieces.failed()) std::abort();
  if (whole.failed()) return 0;
  if (events.size() != expected.size()) std::abort();
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (events[i].id != expected[i].id || events[i].event != expected[i].event || events[i].data != expected[i].data) {
      std::abort();
    }
    if (events[i].data.size() > vtpmd::cli::SseParser::kMaxEventBytes) std::abort();
  }
  return 0;
}
