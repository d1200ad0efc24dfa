#pragma once
// RFC 9562 UUIDs in their canonical text form: ids of instances and of the VMs
// they belong to.

#include <string>
#include <string_view>

#include "core/random.h"
#include "core/result.h"

namespace vtpmd {

// A random (version 4) UUID, lower-case.
Result<std::string> NewUuid(Rng& rng);
// Accepts 8-4-4-4-12 hex digits in either case; returns it lower-cased. Anything
// else (braces, missing dashes, other lengths) is InvalidArgument.
Result<std::string> CanonicalUuid(std::string_view text);

}  // namespace vtpmd
