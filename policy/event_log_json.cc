#include "policy/event_log_json.h"

#include <boost/json.hpp>

#include <cstdio>
#include <string>
#include <variant>

#include "policy/digest_algorithm.h"
#include "policy/event_types.h"

namespace vtpmd::policy {
namespace {


template <typename... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <typename... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;  // clang 14 does not deduce aggregates yet

std::string Hex64(std::uint64_t value) {
  char text[24];
  std::snprintf(text, sizeof(text), "0x%016llx", static_cast<unsigned long long>(value));
  return text;
}

boost::json::object SpecIdJson(const SpecIdEvent& spec_id) {
  boost::json::array algorithms;
  for (const auto& algorithm : spec_id.algorithms) {
    algorithms.push_back(boost::json::object{{"algorithm", DigestAlgorithmName(algorithm.algorithm_id)},
                                             {"digest_size", algorithm.digest_size}});
  }
  return {
      {"platform_class", spec_id.platform_class},
      {"spec_version", std::to_string(spec_id.spec_version_major) + "." + std::to_string(spec_id.spec_version_minor)},
      {"spec_errata", spec_id.spec_errata},
      {"uintn_size", spec_id.uintn_size},
      {"algorithms", std::move(algorithms)},
      {"vendor_info", HexEncode(spec_id.vendor_info)}};
}

boost::json::object UefiVariableJson(const UefiVariableData& variable) {
  boost::json::object out{{"guid", variable.variable_guid},
                          {"name", variable.unicode_name},
                          {"data_length", variable.variable_data.size()},
                          {"data", HexEncode(variable.variable_data)}};
  if (variable.trailing_bytes != 0) out["trailing_bytes"] = variable.trailing_bytes;
  return out;
}

boost::json::object NoActionJson(const NoActionEvent& no_action) {
  boost::json::object out{{"signature", no_action.signature}};
  if (no_action.startup_locality) out["startup_locality"] = *no_action.startup_locality;
  return out;
}

// null for events without a decoded form.
boost::json::value DecodedJson(const DecodedEventData& decoded) {
  return std::visit(Overloaded{
                        [](std::monostate) -> boost::json::value { return nullptr; },
                        [](const EventText& text) -> boost::json::value {
                          return {{"text", text.text}};
                        },
                        [](const SeparatorValue& separator) -> boost::json::value {
                          return {{"separator", separator.value}};
                        },
                        [](const FirmwareBlob& blob) -> boost::json::value {
                          return {{"firmware_blob", {{"base", Hex64(blob.base)}, {"length", blob.length}}}};
                        },
                        [](const TaggedEvent& tagged) -> boost::json::value {
                          return {{"tagged_event", {{"id", tagged.id}, {"data", HexEncode(tagged.data)}}}};
                        },
                        [](const UefiVariableData& variable) -> boost::json::value {
                          return {{"uefi_variable", UefiVariableJson(variable)}};
                        },
                        [](const NoActionEvent& no_action) -> boost::json::value {
                          return {{"no_action", NoActionJson(no_action)}};
                        },
                    },
                    decoded);
}

boost::json::object EventJson(const Event& event) {
  boost::json::object digests;
  for (const auto& digest : event.digests)
    digests[DigestAlgorithmName(digest.algorithm_id)] = HexEncode(digest.value);
  boost::json::object out{{"sequence", event.sequence},
                          {"pcr", event.pcr},
                          {"type", EventTypeName(event.type)},
                          {"type_value", event.type},
                          {"digests", std::move(digests)},
                          {"data", HexEncode(event.data)}};
  if (boost::json::value decoded = DecodedJson(event.decoded); !decoded.is_null()) out["decoded"] = std::move(decoded);
  if (!event.decode_problem.empty()) out["decode_problem"] = event.decode_problem;
  return out;
}

}  // namespace

boost::json::object EventLogJson(const EventLog& log) {
  boost::json::object out{{"format", EventLogFormatName(log.format())}};
  if (log.spec_id()) out["spec_id"] = SpecIdJson(*log.spec_id());
  if (log.startup_locality()) out["startup_locality"] = *log.startup_locality();
  boost::json::array events;
  for (const Event& event : log.events()) events.push_back(EventJson(event));
  out["events"] = std::move(events);
  return out;
}

boost::json::object PcrValuesJsonObject(const PcrValues& values) {
  boost::json::object pcrs;
  for (const auto& [bank, bank_values] : values) {
    boost::json::object bank_json;
    for (const auto& [pcr, value] : bank_values) bank_json[std::to_string(pcr)] = HexEncode(value);
    pcrs[HashAlgName(bank)] = std::move(bank_json);
  }
  return pcrs;
}

}  // namespace vtpmd::policy
