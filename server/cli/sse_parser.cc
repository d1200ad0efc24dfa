#include "server/cli/sse_parser.h"

#include <algorithm>
#include <charconv>

namespace vtpmd::cli {

std::vector<SseEvent> SseParser::Feed(std::string_view bytes) {
  std::vector<SseEvent> out;
  for (const char c : bytes) {
    if (failed_) return {};
    if (c == '\n' && after_cr_) {
      after_cr_ = false;
      continue;
    }
    after_cr_ = c == '\r';
    if (c == '\r' || c == '\n') {
      Line(line_, out);
      line_.clear();
      continue;
    }
    if (line_.size() >= kMaxEventBytes) {
      failed_ = true;
      return {};
    }
    line_ += c;
  }
  return failed_ ? std::vector<SseEvent>() : out;
}

void SseParser::Line(std::string_view line, std::vector<SseEvent>& out) {
  if (line.empty()) return Dispatch(out);
  if (line.front() == ':') return;  // a comment: heartbeats
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) return Field(line, "");
  std::string_view value = line.substr(colon + 1);
  if (value.starts_with(' ')) value.remove_prefix(1);
  Field(line.substr(0, colon), value);
}

void SseParser::Field(std::string_view name, std::string_view value) {
  if (name == "event") {
    event_ = std::string(value);
  } else if (name == "data") {
    if (data_.size() + value.size() + 1 > kMaxEventBytes) {
      failed_ = true;
      return;
    }
    if (has_data_) data_ += '\n';
    data_.append(value);
    has_data_ = true;
  } else if (name == "id") {
    // An id with NUL is ignored, as the standard says.
    if (value.find('\0') == std::string_view::npos) last_event_id_ = std::string(value);
  } else if (name == "retry") {
    unsigned long ms = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), ms);
    const bool digits = std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!value.empty() && digits && ec == std::errc() && end == value.data() + value.size()) retry_ms_ = ms;
  }
  // Other fields are ignored.
}

void SseParser::Dispatch(std::vector<SseEvent>& out) {
  if (has_data_) {
    out.push_back({last_event_id_.value_or(""), event_.empty() ? "message" : event_, std::move(data_)});
  }
  event_.clear();
  data_.clear();
  has_data_ = false;
}

}  // namespace vtpmd::cli
