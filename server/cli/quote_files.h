#pragma once
// Writes a platform quote as the files tpm2-tools' `tpm2_checkquote` reads, so a
// challenger can check vtpmd's evidence with a tool that is not ours:
//   tpm2_checkquote -u ak.pem -m quote.msg -s quote.sig -f quote.pcrs -g sha256 -q $(cat nonce.hex)

#include <boost/json/object.hpp>

#include <filesystem>

#include "core/result.h"

namespace vtpmd::cli {

// `quote` is the JSON answer of POST /v1/platform/quote for `nonce_hex`.
Status WriteQuoteFiles(const boost::json::object& quote, std::string_view nonce_hex, const std::filesystem::path& dir);

}  // namespace vtpmd::cli
