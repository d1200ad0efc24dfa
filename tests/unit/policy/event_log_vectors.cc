#include "tests/unit/policy/event_log_vectors.h"

#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <filesystem>

#include "tests/support/test_data.h"

namespace vtpmd::testing {
namespace {

constexpr char kDirectory[] = "eventlogs";

Result<policy::PcrBankValues> ParseBank(const boost::json::object& values) {
  policy::PcrBankValues out;
  for (const auto& [key, value] : values) {
    unsigned pcr = 0;
    const auto [end, error] = std::from_chars(key.data(), key.data() + key.size(), pcr);
    if (error != std::errc() || end != key.data() + key.size() || !value.is_string()) {
      return InvalidArgument("PCR \"" + std::string(key) + "\" is not a number with a hex string");
    }
    VTPMD_ASSIGN_OR_RETURN(out[pcr], HexDecode(value.as_string()));
  }
  return out;
}

Result<EventLogVector> ParseVector(std::string name, const boost::json::value& entry) {
  const auto* object = entry.if_object();
  const auto* file = object != nullptr ? object->if_contains("file") : nullptr;
  const auto* banks = object != nullptr ? object->if_contains("banks") : nullptr;
  if (file == nullptr || !file->is_string() || banks == nullptr || !banks->is_object()) {
    return InvalidArgument(name + " lacks a file or banks");
  }
  EventLogVector out{std::move(name), std::string(kDirectory) + "/" + std::string(file->as_string()), {}};
  for (const auto& [bank_name, values] : banks->as_object()) {
    VTPMD_ASSIGN_OR_RETURN(HashAlg bank, HashAlgFromName(bank_name));
    if (!values.is_object()) return InvalidArgument(out.name + " bank " + std::string(bank_name) + " is not an object");
    VTPMD_ASSIGN_OR_RETURN(out.expected[bank], ParseBank(values.as_object()));
  }
  return out;
}

}  // namespace

Result<std::vector<EventLogVector>> LoadEventLogVectors() {
  VTPMD_ASSIGN_OR_RETURN(Bytes text, ReadTestData(std::string(kDirectory) + "/expected-pcrs.json"));
  boost::system::error_code ec;
  const boost::json::value json = boost::json::parse(AsChars(text), ec);
  if (ec || !json.is_object()) return InvalidArgument("expected-pcrs.json is not a JSON object");
  std::vector<EventLogVector> out;
  for (const auto& [name, entry] : json.as_object()) {
    VTPMD_ASSIGN_OR_RETURN(EventLogVector vector, ParseVector(std::string(name), entry));
    out.push_back(std::move(vector));
  }
  return out;
}

std::vector<std::string> EventLogFiles() {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(TestDataPath(kDirectory), ec)) {
    if (entry.path().extension() == ".bin")
      out.push_back(std::string(kDirectory) + "/" + entry.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace vtpmd::testing
