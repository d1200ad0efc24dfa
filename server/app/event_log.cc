#include "server/app/event_log.h"

#include <chrono>

#include "core/bytes.h"

namespace vtpmd::app {

Status EventLog::Record(std::string_view type, std::string_view subject, std::string_view data_json) {
  VTPMD_ASSIGN_OR_RETURN(Bytes id, rng_.Generate(16));
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(clock_.Now().time_since_epoch()).count();
  VTPMD_ASSIGN_OR_RETURN(auto insert, store_.Prepare(
      "INSERT INTO events(id, type, subject, data_json, created_at) VALUES(?, ?, ?, ?, ?)"));
  return insert.Bind(1, HexEncode(id)).Bind(2, type).Bind(3, subject).Bind(4, data_json).Bind(5, std::int64_t{now}).Run();
}

Result<std::vector<Event>> EventLog::List(std::int64_t after_seq, std::size_t limit, std::string_view subject) const {
  VTPMD_ASSIGN_OR_RETURN(auto select, store_.Prepare(
      "SELECT seq, id, type, subject, data_json, created_at FROM events "
      "WHERE seq > ? AND (? = '' OR subject = ?) ORDER BY seq LIMIT ?"));
  select.Bind(1, after_seq).Bind(2, subject).Bind(3, subject).Bind(4, static_cast<std::int64_t>(limit));
  std::vector<Event> out;
  while (true) {
    VTPMD_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) break;
    out.push_back({select.Int(0), select.Text(1), select.Text(2), select.Text(3), select.Text(4), select.Int(5)});
  }
  return out;
}

}  // namespace vtpmd::app
