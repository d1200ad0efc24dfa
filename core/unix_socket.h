#pragma once
// AF_UNIX addresses, built once and checked: a path that does not fit sun_path is
// an error, never silently truncated into the name of some other socket.

#include <sys/socket.h>
#include <sys/un.h>

#include <filesystem>

#include "core/result.h"

namespace vtpmd {

Result<sockaddr_un> UnixSocketAddress(const std::filesystem::path& path);

}  // namespace vtpmd
