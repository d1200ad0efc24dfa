#pragma once
// RFC 9562 UUIDs in their canonical text form: ids of instances and of the VMs
// they belong to.

#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/random.h"
#include "core/result.h"

namespace vtpmd {

// A random (version 4) UUID, lower-case.
Result<std::string> NewUuid(Rng& rng);
// A time-ordered (version 7) UUID for `now`: 48 bits of Unix milliseconds, then 74
// random bits. Ids made in time order sort in time order, so a table keyed by them
// appends to its index instead of writing pages all over it.
Result<std::string> NewTimeOrderedUuid(Rng& rng, TimePoint now);
// Accepts 8-4-4-4-12 hex digits in either case; returns it lower-cased. Anything
// else (braces, missing dashes, other lengths) is InvalidArgument.
Result<std::string> CanonicalUuid(std::string_view text);

}  // namespace vtpmd
