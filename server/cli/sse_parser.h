#pragma once
// Server-Sent Events, read incrementally (the WHATWG "event stream interpretation"):
// feed the bytes as they arrive, in any split; each blank line dispatches the event
// gathered so far. Lines end in \n, \r\n or \r; a line starting with ':' is a
// comment (a heartbeat); "data" lines join with \n; an event without data is not
// dispatched. Bytes from the server are untrusted: lines and events are bounded.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vtpmd::cli {

struct SseEvent {
  std::string id;     // the last event id seen on the stream, as the standard carries it over
  std::string event;  // the type; "message" when the event named none
  std::string data;
};

class SseParser {
 public:
  // Bytes held for one line or one event's data; beyond it the parser fails.
  static constexpr std::size_t kMaxEventBytes = 1024 * 1024;

  // The events completed by `bytes`, oldest first; empty once failed.
  std::vector<SseEvent> Feed(std::string_view bytes);
  bool failed() const { return failed_; }
  // The id to resume from (Last-Event-ID), once any was seen.
  const std::optional<std::string>& last_event_id() const { return last_event_id_; }
  // The server's requested reconnection delay in milliseconds, once any was seen.
  std::optional<unsigned long> retry_ms() const { return retry_ms_; }

 private:
  void Line(std::string_view line, std::vector<SseEvent>& out);
  void Field(std::string_view name, std::string_view value);
  void Dispatch(std::vector<SseEvent>& out);

  std::string line_;
  bool after_cr_ = false;  // a \n right after \r ends nothing
  bool failed_ = false;
  std::string event_;
  std::string data_;
  bool has_data_ = false;
  std::optional<std::string> last_event_id_;
  std::optional<unsigned long> retry_ms_;
};

}  // namespace vtpmd::cli
