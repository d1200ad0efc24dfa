#include "server/cli/subscription_commands.h"

#include <boost/json.hpp>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <sstream>

#include "core/uuid.h"
#include "server/cli/argument_checks.h"
#include "server/cli/json_fields.h"

namespace vtpmd::cli {
namespace {

// A list field joined by commas, "" when absent or empty.
std::string JoinedList(const boost::json::value& v, std::string_view key) {
  const auto* field = v.is_object() ? v.as_object().if_contains(key) : nullptr;
  if (field == nullptr || !field->is_array()) return "";
  std::string out;
  for (const auto& item : field->as_array()) {
    if (!out.empty()) out += ",";
    out += item.is_string() ? std::string(item.as_string()) : boost::json::serialize(item);
  }
  return out;
}

Result<boost::json::array> NonEmptyList(std::string_view flag, const std::string& text) {
  boost::json::array list = CommaSeparated(text);
  if (list.empty()) return InvalidArgument("--" + std::string(flag) + " needs at least one value");
  return list;
}

// Attempts are stamped in milliseconds; people read UTC to the millisecond.
std::string UtcFromUnixMilliseconds(const boost::json::value& v, std::string_view key) {
  const auto* field = v.is_object() ? v.as_object().if_contains(key) : nullptr;
  if (field == nullptr || !field->is_int64()) return Str(v, key);
  const std::int64_t ms = field->as_int64();
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm utc{};
  if (::gmtime_r(&seconds, &utc) == nullptr) return std::to_string(ms);
  char stamp[32];
  const std::size_t length = std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
  char millis[8];
  std::snprintf(millis, sizeof millis, ".%03dZ", static_cast<int>(ms % 1000));
  return std::string(stamp, length) + millis;
}

}  // namespace

boost::json::array CommaSeparated(std::string_view text) {
  boost::json::array out;
  while (!text.empty()) {
    const auto comma = text.find(',');
    if (comma != 0) out.push_back(boost::json::string(text.substr(0, comma)));
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
  }
  return out;
}

Result<boost::json::object> SubscriptionCreateRequest(const std::string& url, const std::string& types,
                                                      const std::optional<std::string>& vms,
                                                      const std::optional<std::string>& instances) {
  VTPMD_ASSIGN_OR_RETURN(boost::json::array event_types, NonEmptyList("types", types));
  boost::json::object request{{"url", url}, {"event_types", std::move(event_types)}};
  if (vms) {
    VTPMD_ASSIGN_OR_RETURN(request["vm_ids"], NonEmptyList("vms", *vms));
  }
  if (instances) {
    VTPMD_ASSIGN_OR_RETURN(request["instance_ids"], NonEmptyList("instances", *instances));
  }
  return request;
}

Result<std::string> SubscriptionPath(std::string_view id) {
  auto canonical = CanonicalUuid(id);
  if (!canonical.ok()) return InvalidArgument("a subscription id is a UUID, not " + std::string(id));
  return "/v1/subscriptions/" + *canonical;
}

Result<std::string> DeliveriesTarget(std::string_view id, const std::optional<std::string>& before,
                                     const std::optional<std::string>& limit) {
  VTPMD_ASSIGN_OR_RETURN(std::string target, SubscriptionPath(id));
  target += "/deliveries";
  char separator = '?';
  for (const auto& [name, value] : {std::pair{"before", &before}, std::pair{"limit", &limit}}) {
    if (!*value) continue;
    if (!IsDecimal(**value)) return InvalidArgument(std::string("--") + name + " must be a positive integer");
    target += separator + std::string(name) + "=" + **value;
    separator = '&';
  }
  return target;
}

Result<std::string> RedeliverTarget(std::string_view event_id) {
  // Event ids are hex; anything else would be a path of its own.
  const auto hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); };
  if (event_id.empty() || !std::all_of(event_id.begin(), event_id.end(), hex)) {
    return InvalidArgument("an event id is hex digits, not " + std::string(event_id));
  }
  return "/v1/events/" + std::string(event_id) + "/redeliver";
}

Result<boost::json::object> RedeliverRequest(const std::optional<std::string>& subscription_id) {
  boost::json::object request;
  if (subscription_id) {
    auto canonical = CanonicalUuid(*subscription_id);
    if (!canonical.ok()) return InvalidArgument("--subscription must be a subscription id (a UUID)");
    request["subscription_id"] = *canonical;
  }
  return request;
}

std::string SubscriptionLine(const boost::json::value& subscription) {
  std::string line = Str(subscription, "id") + "  " + Str(subscription, "state");
  if (const std::string detail = Str(subscription, "state_detail"); !detail.empty()) line += " (" + detail + ")";
  line += "  " + Str(subscription, "url") + "  types " + JoinedList(subscription, "event_types");
  if (const std::string vms = JoinedList(subscription, "vm_ids"); !vms.empty()) line += "  vms " + vms;
  if (const std::string instances = JoinedList(subscription, "instance_ids"); !instances.empty()) {
    line += "  instances " + instances;
  }
  return line + "\n";
}

std::string SubscriptionDetailText(const boost::json::value& subscription) {
  std::ostringstream out;
  out << SubscriptionLine(subscription) << "  created " << Str(subscription, "created_at") << "\n";
  if (const std::string until = Str(subscription, "previous_secret_valid_until"); !until.empty()) {
    out << "  previous secret still signs until " << until << "\n";
  }
  const auto* delivery = subscription.is_object() ? subscription.as_object().if_contains("delivery") : nullptr;
  if (delivery == nullptr) return out.str();
  out << "  settled through event seq " << Str(*delivery, "cursor") << "; failed attempts at the head "
      << Str(*delivery, "failed_attempts_at_head") << ", failure streak " << Str(*delivery, "failure_streak");
  if (const std::string next = Str(*delivery, "next_attempt_at"); !next.empty()) out << "; next attempt " << next;
  out << "\n";
  return out.str();
}

void PrintSubscriptionSecret(const boost::json::value& answer, std::string_view what_happened) {
  std::cout << SubscriptionLine(answer);
  std::cerr << what_happened << " the signing secret of subscription " << Str(answer, "id")
            << "; it is shown only once\n";
  if (const std::string until = Str(answer, "previous_secret_valid_until"); !until.empty()) {
    std::cerr << "the previous secret still signs until " << until << "\n";
  }
  std::cout << Str(answer, "secret") << "\n";
}

std::string DeliveriesText(const boost::json::value& page) {
  std::ostringstream out;
  const auto* deliveries = page.is_object() ? page.as_object().if_contains("deliveries") : nullptr;
  if (deliveries != nullptr && deliveries->is_array()) {
    for (const auto& attempt : deliveries->as_array()) {
      out << Str(attempt, "seq") << "  " << UtcFromUnixMilliseconds(attempt, "attempted_at_ms") << "  event "
          << Str(attempt, "event_id") << " (seq " << Str(attempt, "event_seq") << ")  attempt "
          << Str(attempt, "attempt") << "  " << Str(attempt, "outcome");
      if (const std::string status = Str(attempt, "http_status"); !status.empty()) out << "  HTTP " << status;
      if (const std::string error = Str(attempt, "error"); !error.empty()) out << "  " << error;
      out << "  " << Str(attempt, "latency_us") << " us\n";
    }
  }
  if (const std::string before = Str(page, "next_before"); !before.empty()) {
    out << "(older attempts with --before " << before << ")\n";
  }
  return out.str();
}

std::string RedeliveredText(std::string_view event_id, const boost::json::value& answer) {
  const std::string queued = JoinedList(answer, "subscriptions");
  if (queued.empty()) return "no subscription selects event " + std::string(event_id) + "\n";
  return "event " + std::string(event_id) + " queued again for " + queued + "\n";
}

}  // namespace vtpmd::cli
