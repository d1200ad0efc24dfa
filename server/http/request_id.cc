#include "server/http/request_id.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <thread>

#include "core/random.h"

namespace vtpmd::http {
namespace {

std::uint64_t SeedFromOs() {
  std::uint64_t seed = 0;
  OsRng rng;
  if (rng.Fill({reinterpret_cast<std::uint8_t*>(&seed), sizeof seed}).ok()) return seed;
  // Ids only need to differ between threads and runs; time and thread id do that
  // if the DRBG is unavailable, which would fail far louder elsewhere anyway.
  return static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
         std::hash<std::thread::id>{}(std::this_thread::get_id());
}

// splitmix64: a bijection on the counter, so one thread never repeats an id.
std::uint64_t Mix(std::uint64_t x) {
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
  return x ^ (x >> 31);
}

}  // namespace

std::string NextRequestId() {
  thread_local std::uint64_t state = SeedFromOs();
  state += 0x9e3779b97f4a7c15u;
  std::uint64_t value = Mix(state);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(16, '0');
  for (std::size_t i = 16; i-- > 0; value >>= 4) id[i] = kHex[value & 0xf];
  return id;
}

}  // namespace vtpmd::http
