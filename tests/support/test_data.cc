#include "tests/support/test_data.h"

#include <fstream>
#include <iterator>

namespace vtpmd::testing {

std::string TestDataPath(std::string_view relative_path) {
  return std::string(VTPMD_TEST_DATA_DIR) + "/" + std::string(relative_path);
}

Result<Bytes> ReadTestData(std::string_view relative_path) {
  const std::string path = TestDataPath(relative_path);
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot open test data " + path);
  Bytes data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return data;
}

}  // namespace vtpmd::testing
