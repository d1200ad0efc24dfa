#pragma once
// Checks of command-line values that end up in a request path or query, made
// before anything is sent so a value cannot turn into another request.

#include <string_view>

namespace vtpmd::cli {

// One or more ASCII digits: a seq, a count, a paging cursor.
bool IsDecimal(std::string_view text);

}  // namespace vtpmd::cli
