#include "server/cli/argument_checks.h"

#include <algorithm>

namespace vtpmd::cli {

bool IsDecimal(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace vtpmd::cli
