#include "policy/reference_policy.h"

#include <algorithm>
#include <array>

#include <boost/json/parse.hpp>

#include <charconv>
#include <initializer_list>

#include "policy/event_log.h"
#include "policy/event_types.h"

namespace vtpmd::policy {
namespace {

constexpr std::array<HashAlg, 4> kBanks = {HashAlg::kSha1, HashAlg::kSha256, HashAlg::kSha384, HashAlg::kSha512};
// Sections nest five levels deep (section, pcrs, bank, PCR, digests); anything
// deeper is refused by the fields long before this.
constexpr unsigned kMaxJsonDepth = 8;

// Counts what a JSON Schema validator would see across the whole document.
struct ParseState {
  std::size_t digests = 0;
};

Error FieldError(std::string_view path, std::string_view problem) {
  return InvalidArgument(std::string(path) + ": " + std::string(problem));
}

Status RejectUnknownFields(const boost::json::object& object, std::string_view path,
                           std::initializer_list<std::string_view> allowed) {
  for (const auto& [key, value] : object) {
    if (std::find(allowed.begin(), allowed.end(), std::string_view(key)) == allowed.end()) {
      return FieldError(path, "unknown field '" + std::string(key) + "'");
    }
  }
  return Ok();
}

// An object with 1 or more members, as every level of a section must be: an empty
// one would read as a rule while it constrains nothing.
Result<const boost::json::object*> NonEmptyObject(const boost::json::value& value, std::string_view path) {
  if (!value.is_object()) return FieldError(path, "must be an object");
  if (value.as_object().empty()) return FieldError(path, "must not be empty");
  return &value.as_object();
}

std::size_t CodePoints(std::string_view utf8) {
  // Boost.JSON hands out valid UTF-8 only; a code point is a byte that is not a
  // continuation byte.
  return static_cast<std::size_t>(
      std::count_if(utf8.begin(), utf8.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xc0) != 0x80; }));
}

bool IsLowerHex(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

Result<HashAlg> Bank(std::string_view name, std::string_view path) {
  for (HashAlg bank : kBanks) {
    if (HashAlgName(bank) == name) return bank;
  }
  return FieldError(path, "unknown bank '" + std::string(name) + "' (sha1, sha256, sha384 or sha512)");
}

// "0" to "23", without leading zeros, so that one PCR has one spelling.
Result<unsigned> PcrIndex(std::string_view text, std::string_view path) {
  unsigned pcr = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), pcr);
  if (ec != std::errc() || end != text.data() + text.size() || pcr > kMaxPcrIndex ||
      (text.size() > 1 && text.front() == '0')) {
    return FieldError(path, "'" + std::string(text) + "' is not a PCR index 0 to 23");
  }
  return pcr;
}

Result<AllowedDigests> Digests(const boost::json::value& value, HashAlg bank, std::string_view path,
                               ParseState& state) {
  if (!value.is_array()) return FieldError(path, "must be an array of hex digests");
  const boost::json::array& items = value.as_array();
  if (items.empty() || items.size() > kMaxAllowedDigestsPerRule) {
    return FieldError(path, "must list 1 to " + std::to_string(kMaxAllowedDigestsPerRule) + " digests");
  }
  state.digests += items.size();
  if (state.digests > kMaxDigestsPerPolicy) {
    return FieldError(path, "a policy lists at most " + std::to_string(kMaxDigestsPerPolicy) + " digests");
  }
  const std::size_t hex_size = 2 * DigestSize(bank);
  AllowedDigests out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string item_path = std::string(path) + "[" + std::to_string(i) + "]";
    if (!items[i].is_string()) return FieldError(item_path, "must be a string");
    const std::string_view text = items[i].as_string();
    if (text.size() != hex_size || !IsLowerHex(text)) {
      return FieldError(item_path, "must be " + std::to_string(hex_size) + " lower-case hex digits (a " +
                                       std::string(HashAlgName(bank)) + " digest)");
    }
    VTPMD_ASSIGN_OR_RETURN(Bytes digest, HexDecode(text));
    if (!out.insert(std::move(digest)).second) return FieldError(item_path, "repeats an earlier digest");
  }
  return out;
}

Result<std::map<HashAlg, std::map<unsigned, AllowedDigests>>> Pcrs(const boost::json::value& value,
                                                                   std::string_view path, ParseState& state) {
  VTPMD_ASSIGN_OR_RETURN(const boost::json::object* banks, NonEmptyObject(value, path));
  std::map<HashAlg, std::map<unsigned, AllowedDigests>> out;
  for (const auto& [bank_name, pcrs_value] : *banks) {
    const std::string bank_path = std::string(path) + "." + std::string(bank_name);
    VTPMD_ASSIGN_OR_RETURN(HashAlg bank, Bank(bank_name, path));
    VTPMD_ASSIGN_OR_RETURN(const boost::json::object* pcrs, NonEmptyObject(pcrs_value, bank_path));
    std::map<unsigned, AllowedDigests>& bank_rules = out[bank];
    for (const auto& [pcr_name, digests] : *pcrs) {
      VTPMD_ASSIGN_OR_RETURN(unsigned pcr, PcrIndex(pcr_name, bank_path));
      VTPMD_ASSIGN_OR_RETURN(bank_rules[pcr], Digests(digests, bank, bank_path + "." + std::string(pcr_name), state));
    }
  }
  return out;
}

Result<std::map<std::uint32_t, std::map<HashAlg, AllowedDigests>>> Events(const boost::json::value& value,
                                                                          std::string_view path, ParseState& state) {
  VTPMD_ASSIGN_OR_RETURN(const boost::json::object* types, NonEmptyObject(value, path));
  std::map<std::uint32_t, std::map<HashAlg, AllowedDigests>> out;
  for (const auto& [type_name, banks_value] : *types) {
    const std::string type_path = std::string(path) + "." + std::string(type_name);
    const std::optional<std::uint32_t> type = EventTypeFromName(type_name);
    if (!type) return FieldError(path, "unknown event type '" + std::string(type_name) + "'");
    if (*type == kEvNoAction) return FieldError(type_path, "EV_NO_ACTION events are never extended into a PCR");
    VTPMD_ASSIGN_OR_RETURN(const boost::json::object* banks, NonEmptyObject(banks_value, type_path));
    std::map<HashAlg, AllowedDigests>& type_rules = out[*type];
    for (const auto& [bank_name, digests] : *banks) {
      VTPMD_ASSIGN_OR_RETURN(HashAlg bank, Bank(bank_name, type_path));
      VTPMD_ASSIGN_OR_RETURN(type_rules[bank], Digests(digests, bank, type_path + "." + std::string(bank_name), state));
    }
  }
  return out;
}

Result<ReferenceValues> Section(const boost::json::value& value, std::string_view path, ParseState& state) {
  VTPMD_ASSIGN_OR_RETURN(const boost::json::object* section, NonEmptyObject(value, path));
  VTPMD_RETURN_IF_ERROR(RejectUnknownFields(*section, path, {"pcrs", "events"}));
  ReferenceValues out;
  if (const auto* pcrs = section->if_contains("pcrs")) {
    VTPMD_ASSIGN_OR_RETURN(out.pcrs, Pcrs(*pcrs, std::string(path) + ".pcrs", state));
  }
  if (const auto* events = section->if_contains("events")) {
    VTPMD_ASSIGN_OR_RETURN(out.events, Events(*events, std::string(path) + ".events", state));
  }
  return out;
}

Result<std::string> StringField(const boost::json::object& json, std::string_view key) {
  const auto* value = json.if_contains(key);
  if (value == nullptr) return FieldError(key, "is missing");
  if (!value->is_string()) return FieldError(key, "must be a string");
  return std::string(value->as_string());
}

boost::json::array DigestsJson(const AllowedDigests& digests) {
  boost::json::array out;
  for (const Bytes& digest : digests) out.emplace_back(HexEncode(digest));
  return out;
}

boost::json::object SectionJson(const ReferenceValues& section) {
  boost::json::object out;
  if (!section.pcrs.empty()) {
    boost::json::object banks;
    for (const auto& [bank, pcrs] : section.pcrs) {
      boost::json::object bank_json;
      for (const auto& [pcr, digests] : pcrs) bank_json[std::to_string(pcr)] = DigestsJson(digests);
      banks[HashAlgName(bank)] = std::move(bank_json);
    }
    out["pcrs"] = std::move(banks);
  }
  if (!section.events.empty()) {
    boost::json::object types;
    for (const auto& [type, banks] : section.events) {
      boost::json::object banks_json;
      for (const auto& [bank, digests] : banks) banks_json[HashAlgName(bank)] = DigestsJson(digests);
      types[EventTypeName(type)] = std::move(banks_json);
    }
    out["events"] = std::move(types);
  }
  return out;
}

}  // namespace

Status ValidatePolicyName(std::string_view name) {
  const auto allowed_first = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  const auto allowed = [&](char c) { return allowed_first(c) || c == '.' || c == '_' || c == '-'; };
  if (name.empty() || name.size() > kMaxPolicyNameLength || !allowed_first(name.front()) ||
      !std::all_of(name.begin(), name.end(), allowed)) {
    return InvalidArgument("a policy name is 1 to 63 of a-z, 0-9, '.', '_' and '-', starting with a letter or digit");
  }
  return Ok();
}

Result<PolicyDocument> ParsePolicyDocument(const boost::json::object& json) {
  VTPMD_RETURN_IF_ERROR(RejectUnknownFields(json, "policy", {"name", "description", "guest", "platform"}));
  PolicyDocument out;
  VTPMD_ASSIGN_OR_RETURN(out.name, StringField(json, "name"));
  VTPMD_RETURN_IF_ERROR(ValidatePolicyName(out.name));
  if (json.contains("description")) {
    VTPMD_ASSIGN_OR_RETURN(out.description, StringField(json, "description"));
    if (CodePoints(out.description) > kMaxPolicyDescriptionLength) {
      return FieldError("description", "is longer than " + std::to_string(kMaxPolicyDescriptionLength) + " characters");
    }
  }
  ParseState state;
  if (const auto* guest = json.if_contains("guest")) {
    VTPMD_ASSIGN_OR_RETURN(out.guest, Section(*guest, "guest", state));
  }
  if (const auto* platform = json.if_contains("platform")) {
    VTPMD_ASSIGN_OR_RETURN(out.platform, Section(*platform, "platform", state));
  }
  if (!out.guest && !out.platform) return InvalidArgument("a policy needs a guest or a platform section");
  return out;
}

Result<PolicyDocument> ParsePolicyDocumentJson(std::string_view text) {
  if (text.size() > kMaxPolicyDocumentSize) {
    return InvalidArgument("a policy document is at most " + std::to_string(kMaxPolicyDocumentSize) + " bytes");
  }
  boost::json::parse_options options;
  options.max_depth = kMaxJsonDepth;
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(text, ec, {}, options);
  if (ec) return InvalidArgument("malformed JSON: " + ec.message());
  if (!value.is_object()) return InvalidArgument("a policy document is a JSON object");
  return ParsePolicyDocument(value.as_object());
}

boost::json::object PolicyDocumentJson(const PolicyDocument& document) {
  boost::json::object out{{"name", document.name}};
  if (!document.description.empty()) out["description"] = document.description;
  if (document.guest) out["guest"] = SectionJson(*document.guest);
  if (document.platform) out["platform"] = SectionJson(*document.platform);
  return out;
}

}  // namespace vtpmd::policy
