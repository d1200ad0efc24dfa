#pragma once
// A benchmark's own --name=value flag, taken out of argv before Google Benchmark
// sees the rest (it refuses flags it does not know).

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>

namespace vtpmd::bench {

inline std::optional<std::string> TakeFlag(int& argc, char** argv, std::string_view name) {
  const std::string prefix = "--" + std::string(name) + "=";
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg(argv[i]);
    if (!arg.starts_with(prefix)) continue;
    std::string value(arg.substr(prefix.size()));
    std::copy(argv + i + 1, argv + argc, argv + i);
    --argc;
    return value;
  }
  return std::nullopt;
}

}  // namespace vtpmd::bench
