#pragma once
// UEFI strings (CHAR16) are UTF-16LE; we show them as UTF-8.

#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/result.h"

namespace vtpmd::policy {

// Strict: refuses an odd number of bytes and unpaired surrogates.
Result<std::u32string> DecodeUtf16Le(ByteView data);
std::string EncodeUtf8(std::u32string_view code_points);

}  // namespace vtpmd::policy
