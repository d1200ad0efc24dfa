#include "server/app/event_log.h"

#include <algorithm>
#include <chrono>

#include "core/bytes.h"

namespace vtpmd::app {
namespace {

constexpr std::string_view kColumns = "seq, id, type, subject, data_json, created_at, instance_id, vm_id";

Event ReadEvent(const Statement& row) {
  return {row.Int(0),  row.Text(1), row.Text(2), row.Text(3), row.Text(4), row.Int(5),
          {row.IsNull(6) ? std::string() : row.Text(6), row.IsNull(7) ? std::string() : row.Text(7)}};
}

}  // namespace

bool EventTypeMatches(const std::vector<std::string>& patterns, std::string_view type) {
  for (std::string_view pattern : patterns) {
    if (pattern == "*" || pattern == type) return true;
    // "instance.migration.*" covers "instance.migration.started", not "instance.migration".
    if (pattern.size() >= 2 && pattern.ends_with(".*") && type.size() > pattern.size() - 1 &&
        type.starts_with(pattern.substr(0, pattern.size() - 1))) {
      return true;
    }
  }
  return false;
}

bool EventSelected(const std::vector<std::string>& types, const std::vector<std::string>& vm_ids,
                   const std::vector<std::string>& instance_ids, const Event& event) {
  const auto among = [](const std::vector<std::string>& items, const std::string& item) {
    return items.empty() || std::find(items.begin(), items.end(), item) != items.end();
  };
  return EventTypeMatches(types, event.type) && among(vm_ids, event.scope.vm_id) &&
         among(instance_ids, event.scope.instance_id);
}

Result<std::unique_ptr<EventLog>> EventLog::Open(Store& store, const Clock& clock, Rng& rng) {
  std::unique_ptr<EventLog> log(new EventLog(store, clock, rng, 0));
  VTPMD_ASSIGN_OR_RETURN(std::int64_t last, log->LastSeq());
  log->durable_seq_ = last;
  return log;
}

void EventLog::Flushed(std::int64_t seq) {
  std::int64_t known = durable_seq_.load();
  while (known < seq && !durable_seq_.compare_exchange_weak(known, seq)) {
  }
  feed_.Published();
}

Status EventLog::Record(std::string_view type, std::string_view subject, std::string_view data_json,
                        const EventScope& scope) {
  VTPMD_ASSIGN_OR_RETURN(Bytes id, rng_.Generate(16));
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(clock_.Now().time_since_epoch()).count();
  // An event that names only its instance gets the instance's VM from the store, so
  // VM filters select it too.
  VTPMD_ASSIGN_OR_RETURN(auto insert, store_.Prepare(
      "INSERT INTO events(id, type, subject, data_json, created_at, instance_id, vm_id) "
      "VALUES(?1, ?2, ?3, ?4, ?5, ?6, COALESCE(?7, (SELECT vm_id FROM instances WHERE id = ?6))) RETURNING seq"));
  insert.Bind(1, HexEncode(id)).Bind(2, type).Bind(3, subject).Bind(4, data_json).Bind(5, std::int64_t{now});
  if (!scope.instance_id.empty()) insert.Bind(6, scope.instance_id);
  if (!scope.vm_id.empty()) insert.Bind(7, scope.vm_id);
  VTPMD_ASSIGN_OR_RETURN(bool row, insert.Step());
  if (!row) return Internal("the event insert returned no seq");
  const std::int64_t seq = insert.Int(0);
  VTPMD_ASSIGN_OR_RETURN(bool more, insert.Step());
  if (more) return Internal("the event insert returned more than one row");
  store_.AfterDurable([this, seq] { Flushed(seq); });
  return Ok();
}

Result<EventPage> EventLog::List(const EventQuery& query) const {
  // Type patterns are matched here rather than in SQL: there are few, and a page
  // that filters everything out still advances the caller's cursor.
  VTPMD_ASSIGN_OR_RETURN(auto select, store_.Prepare("SELECT " + std::string(kColumns) +
                                                     " FROM events WHERE seq > ? AND seq <= ? "
                                                     "AND (? = '' OR subject = ?) ORDER BY seq LIMIT ?"));
  select.Bind(1, query.after_seq).Bind(2, durable_seq_.load()).Bind(3, query.subject).Bind(4, query.subject)
      .Bind(5, static_cast<std::int64_t>(query.limit));
  EventPage page;
  page.next_after = query.after_seq;
  while (true) {
    VTPMD_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) break;
    Event event = ReadEvent(select);
    page.next_after = event.seq;
    if (query.types.empty() || EventTypeMatches(query.types, event.type)) page.events.push_back(std::move(event));
  }
  return page;
}

Result<Event> EventLog::Get(std::string_view id) const {
  VTPMD_ASSIGN_OR_RETURN(auto select,
                         store_.Prepare("SELECT " + std::string(kColumns) + " FROM events WHERE id = ? AND seq <= ?"));
  select.Bind(1, id).Bind(2, durable_seq_.load());
  VTPMD_ASSIGN_OR_RETURN(bool row, select.Step());
  if (!row) return NotFound("no event " + std::string(id));
  return ReadEvent(select);
}

Result<std::int64_t> EventLog::LastSeq() const {
  VTPMD_ASSIGN_OR_RETURN(auto select, store_.Prepare("SELECT COALESCE(MAX(seq), 0) FROM events"));
  VTPMD_ASSIGN_OR_RETURN(bool row, select.Step());
  if (!row) return Internal("no row from MAX(seq)");
  return select.Int(0);
}

}  // namespace vtpmd::app
