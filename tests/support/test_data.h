#pragma once
// Read-only access to the committed test vectors under tests/data/.

#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/result.h"

namespace vtpmd::testing {

// `relative_path` is relative to tests/data, e.g. "tpm/ak.pub".
std::string TestDataPath(std::string_view relative_path);
Result<Bytes> ReadTestData(std::string_view relative_path);

}  // namespace vtpmd::testing
