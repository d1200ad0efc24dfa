#pragma once
// Reading the small files an operator hands us (config, PEM bundles, tokens), with a
// size bound so that a wrong path (a device, a huge log) fails instead of eating memory.

#include <cstddef>
#include <filesystem>
#include <string>

#include "core/result.h"

namespace vtpmd {

Result<std::string> ReadSmallFile(const std::filesystem::path& path, std::size_t max_bytes);

// Creates `dir` (and its parents) if missing and sets exactly `mode` on it, also
// when it existed with a looser one: directories holding keys, TPM state or
// VM-facing sockets must not stay readable by others from an earlier run.
Status CreateDirectoryWithMode(const std::filesystem::path& dir,
                               std::filesystem::perms mode = std::filesystem::perms::owner_all);

}  // namespace vtpmd
