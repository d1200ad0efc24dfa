#pragma once
// Reading the server's JSON answers for printing: a missing or differently shaped
// field prints as empty rather than failing the command that already succeeded.

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include <string>
#include <string_view>

namespace vtpmd::cli {

// The field as text: strings as they are, anything else as JSON, absent as "".
std::string Str(const boost::json::value& v, std::string_view key);
// The field if it is an array, else an empty one.
const boost::json::array& Arr(const boost::json::value& v, std::string_view key);

}  // namespace vtpmd::cli
