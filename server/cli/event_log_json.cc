#include "server/cli/event_log_json.h"

#include <boost/json.hpp>

#include <cstdio>
#include <string>
#include <variant>

#include "core/file_io.h"
#include "policy/digest_algorithm.h"
#include "policy/event_log.h"
#include "policy/event_log_replay.h"
#include "policy/event_types.h"

namespace vtpmd::cli {
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

boost::json::object SpecIdJson(const policy::SpecIdEvent& spec_id) {
  boost::json::array algorithms;
  for (const auto& algorithm : spec_id.algorithms) {
    algorithms.push_back(boost::json::object{{"algorithm", policy::DigestAlgorithmName(algorithm.algorithm_id)},
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

boost::json::object UefiVariableJson(const policy::UefiVariableData& variable) {
  boost::json::object out{{"guid", variable.variable_guid},
                          {"name", variable.unicode_name},
                          {"data_length", variable.variable_data.size()},
                          {"data", HexEncode(variable.variable_data)}};
  if (variable.trailing_bytes != 0) out["trailing_bytes"] = variable.trailing_bytes;
  return out;
}

boost::json::object NoActionJson(const policy::NoActionEvent& no_action) {
  boost::json::object out{{"signature", no_action.signature}};
  if (no_action.startup_locality) out["startup_locality"] = *no_action.startup_locality;
  return out;
}

// null for events without a decoded form.
boost::json::value DecodedJson(const policy::DecodedEventData& decoded) {
  return std::visit(Overloaded{
                        [](std::monostate) -> boost::json::value { return nullptr; },
                        [](const policy::EventText& text) -> boost::json::value {
                          return {{"text", text.text}};
                        },
                        [](const policy::SeparatorValue& separator) -> boost::json::value {
                          return {{"separator", separator.value}};
                        },
                        [](const policy::FirmwareBlob& blob) -> boost::json::value {
                          return {{"firmware_blob", {{"base", Hex64(blob.base)}, {"length", blob.length}}}};
                        },
                        [](const policy::TaggedEvent& tagged) -> boost::json::value {
                          return {{"tagged_event", {{"id", tagged.id}, {"data", HexEncode(tagged.data)}}}};
                        },
                        [](const policy::UefiVariableData& variable) -> boost::json::value {
                          return {{"uefi_variable", UefiVariableJson(variable)}};
                        },
                        [](const policy::NoActionEvent& no_action) -> boost::json::value {
                          return {{"no_action", NoActionJson(no_action)}};
                        },
                    },
                    decoded);
}

boost::json::object EventJson(const policy::Event& event) {
  boost::json::object digests;
  for (const auto& digest : event.digests)
    digests[policy::DigestAlgorithmName(digest.algorithm_id)] = HexEncode(digest.value);
  boost::json::object out{{"sequence", event.sequence},
                          {"pcr", event.pcr},
                          {"type", policy::EventTypeName(event.type)},
                          {"type_value", event.type},
                          {"digests", std::move(digests)},
                          {"data", HexEncode(event.data)}};
  if (boost::json::value decoded = DecodedJson(event.decoded); !decoded.is_null()) out["decoded"] = std::move(decoded);
  if (!event.decode_problem.empty()) out["decode_problem"] = event.decode_problem;
  return out;
}

Result<policy::EventLog> ReadEventLog(const std::filesystem::path& file) {
  VTPMD_ASSIGN_OR_RETURN(std::string bytes, ReadSmallFile(file, policy::kMaxEventLogSize));
  auto log = policy::EventLog::Parse(AsBytes(bytes));
  if (!log.ok()) return log.error().WithContext(file.string());
  return log;
}

}  // namespace

Result<boost::json::object> EventLogShowJson(const std::filesystem::path& file) {
  VTPMD_ASSIGN_OR_RETURN(policy::EventLog log, ReadEventLog(file));
  boost::json::object out{{"format", policy::EventLogFormatName(log.format())}};
  if (log.spec_id()) out["spec_id"] = SpecIdJson(*log.spec_id());
  if (log.startup_locality()) out["startup_locality"] = *log.startup_locality();
  boost::json::array events;
  for (const policy::Event& event : log.events()) events.push_back(EventJson(event));
  out["events"] = std::move(events);
  return out;
}

Result<boost::json::object> EventLogReplayJson(const std::filesystem::path& file) {
  VTPMD_ASSIGN_OR_RETURN(policy::EventLog log, ReadEventLog(file));
  VTPMD_ASSIGN_OR_RETURN(policy::PcrValues replayed, policy::ReplayEventLog(log));
  boost::json::object pcrs;
  for (const auto& [bank, values] : replayed) {
    boost::json::object bank_json;
    for (const auto& [pcr, value] : values) bank_json[std::to_string(pcr)] = HexEncode(value);
    pcrs[HashAlgName(bank)] = std::move(bank_json);
  }
  return boost::json::object{{"pcrs", std::move(pcrs)}};
}

}  // namespace vtpmd::cli
