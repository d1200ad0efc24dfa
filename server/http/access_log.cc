#include "server/http/access_log.h"

#include <cerrno>
#include <charconv>
#include <string>

namespace vtpmd::http {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// Bytes outside printable ASCII are written as \u00XX: peer-supplied strings (user
// agents) need not be UTF-8, and the line must stay valid JSON whatever they hold.
void AppendEscaped(std::string& out, std::string_view text) {
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20 || byte >= 0x7f) {
      out += "\\u00";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    } else {
      out += c;
    }
  }
}

void AppendString(std::string& out, std::string_view key, std::string_view value) {
  out += ",\"";
  out += key;
  out += "\":\"";
  AppendEscaped(out, value);
  out += '"';
}

template <typename Int>
void AppendInt(std::string& out, Int value, int width = 0) {
  char buffer[24];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  for (auto digits = end - buffer; digits < width; ++digits) out += '0';
  out.append(buffer, end);
}

// RFC 3339, UTC, milliseconds: 2024-05-01T12:34:56.789Z.
void AppendTimestamp(std::string& out, TimePoint time) {
  using namespace std::chrono;
  const auto millis = floor<milliseconds>(time);
  const auto day = floor<days>(millis);
  const year_month_day date{day};
  const hh_mm_ss clock{millis - day};
  AppendInt(out, static_cast<int>(date.year()), 4);
  out += '-';
  AppendInt(out, static_cast<unsigned>(date.month()), 2);
  out += '-';
  AppendInt(out, static_cast<unsigned>(date.day()), 2);
  out += 'T';
  AppendInt(out, clock.hours().count(), 2);
  out += ':';
  AppendInt(out, clock.minutes().count(), 2);
  out += ':';
  AppendInt(out, clock.seconds().count(), 2);
  out += '.';
  AppendInt(out, clock.subseconds().count(), 3);
  out += 'Z';
}

}  // namespace

void AccessLog::Write(const AccessLogEntry& entry) const {
  thread_local std::string line;
  line.clear();
  line += "{\"time\":\"";
  AppendTimestamp(line, entry.time);
  line += '"';
  AppendString(line, "request_id", entry.request_id);
  AppendString(line, "peer", entry.peer);
  AppendString(line, "method", entry.method);
  AppendString(line, "route", entry.route);
  line += ",\"status\":";
  AppendInt(line, entry.status);
  line += ",\"bytes\":";
  AppendInt(line, entry.bytes);
  line += ",\"duration_us\":";
  AppendInt(line, entry.duration.count());
  AppendString(line, "user_agent", entry.user_agent.substr(0, kMaxUserAgent));
  line += "}\n";

  std::size_t written = 0;
  while (written < line.size()) {
    const ssize_t n = ::write(fd_, line.data() + written, line.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    written += static_cast<std::size_t>(n);
  }
}

}  // namespace vtpmd::http
