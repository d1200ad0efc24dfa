#pragma once
// Reading the small files an operator hands us (config, PEM bundles, tokens), with a
// size bound so that a wrong path (a device, a huge log) fails instead of eating memory.

#include <cstddef>
#include <filesystem>
#include <string>

#include "core/result.h"

namespace vtpmd {

Result<std::string> ReadSmallFile(const std::filesystem::path& path, std::size_t max_bytes);

}  // namespace vtpmd
