#pragma once
// Deterministic test bytes: start, start + step, start + 2·step, ... (mod 256).

#include <cstddef>
#include <cstdint>

#include "core/bytes.h"

namespace vtpmd::testing {

inline Bytes Pattern(std::size_t size, std::uint8_t start, std::size_t step = 1) {
  Bytes out(size);
  for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<std::uint8_t>(start + i * step);
  return out;
}

}  // namespace vtpmd::testing
