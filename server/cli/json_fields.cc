#include "server/cli/json_fields.h"

#include <boost/json.hpp>

namespace vtpmd::cli {

std::string Str(const boost::json::value& v, std::string_view key) {
  const auto* field = v.is_object() ? v.as_object().if_contains(key) : nullptr;
  if (field == nullptr) return "";
  return field->is_string() ? std::string(field->as_string()) : boost::json::serialize(*field);
}

const boost::json::array& Arr(const boost::json::value& v, std::string_view key) {
  static const boost::json::array kEmpty;
  const auto* field = v.is_object() ? v.as_object().if_contains(key) : nullptr;
  return field != nullptr && field->is_array() ? field->as_array() : kEmpty;
}

}  // namespace vtpmd::cli
