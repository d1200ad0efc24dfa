#include "server/http/router.h"

#include <algorithm>

#include "server/http/problem.h"

namespace vtpmd::http {
namespace {

struct Segment {
  std::string_view text;  // literal text, or the parameter name
  bool is_param = false;
};

// Splits "/a/b" into {"a", "b"}; the views point into `path`.
std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t start = 1;
  while (true) {
    const std::size_t slash = path.find('/', start);
    out.push_back(path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) return out;
    start = slash + 1;
  }
}

bool IsToken(std::string_view method) {
  return !method.empty() && std::all_of(method.begin(), method.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

}  // namespace

struct Router::Pattern {
  std::string text;
  std::vector<Segment> segments;  // views into `text`
  std::vector<std::pair<std::string, AnyHandler>> methods;

  bool SameShape(const Pattern& other) const {
    return std::equal(segments.begin(), segments.end(), other.segments.begin(), other.segments.end(),
                      [](const Segment& a, const Segment& b) {
                        return a.is_param == b.is_param && (a.is_param || a.text == b.text);
                      });
  }

  // Literal-before-parameter, segment by segment.
  bool MoreSpecificThan(const Pattern& other) const {
    for (std::size_t i = 0; i < segments.size() && i < other.segments.size(); ++i) {
      if (segments[i].is_param != other.segments[i].is_param) return !segments[i].is_param;
    }
    return false;
  }
};

std::string_view PathParams::Get(std::string_view name) const {
  for (const auto& [key, value] : values_) {
    if (key == name) return value;
  }
  return {};
}

Router::Router() = default;
Router::~Router() = default;

Status Router::Add(std::string_view method, std::string_view pattern, RouteHandler handler) {
  return AddHandler(method, pattern, std::move(handler));
}

Status Router::AddDeferred(std::string_view method, std::string_view pattern, DeferredRouteHandler handler) {
  return AddHandler(method, pattern, std::move(handler));
}

Status Router::AddHandler(std::string_view method, std::string_view pattern_text, AnyHandler handler) {
  if (!IsToken(method)) return InvalidArgument("route method must be an upper-case token: " + std::string(method));
  if (pattern_text.empty() || pattern_text.front() != '/') {
    return InvalidArgument("route pattern must start with '/': " + std::string(pattern_text));
  }
  auto pattern = std::make_unique<Pattern>();
  pattern->text = std::string(pattern_text);
  for (std::string_view segment : SplitPath(pattern->text)) {
    const bool opens = !segment.empty() && segment.front() == '{';
    const bool closes = !segment.empty() && segment.back() == '}';
    if (opens != closes || (opens && segment.size() < 3)) {
      return InvalidArgument("malformed parameter segment in route pattern " + pattern->text);
    }
    if (!opens && segment.find_first_of("{}") != std::string_view::npos) {
      return InvalidArgument("braces must enclose a whole segment in route pattern " + pattern->text);
    }
    Segment parsed{opens ? segment.substr(1, segment.size() - 2) : segment, opens};
    for (const Segment& earlier : pattern->segments) {
      if (parsed.is_param && earlier.is_param && earlier.text == parsed.text) {
        return InvalidArgument("duplicate parameter name in route pattern " + pattern->text);
      }
    }
    pattern->segments.push_back(parsed);
  }

  for (auto& existing : patterns_) {
    if (!existing->SameShape(*pattern)) continue;
    if (existing->text != pattern->text) {
      return InvalidArgument("route pattern " + pattern->text + " conflicts with " + existing->text);
    }
    for (const auto& entry : existing->methods) {
      if (entry.first == method) return AlreadyExists("route already registered: " + std::string(method) + " " + pattern->text);
    }
    existing->methods.emplace_back(std::string(method), std::move(handler));
    return Ok();
  }
  pattern->methods.emplace_back(std::string(method), std::move(handler));
  patterns_.push_back(std::move(pattern));
  return Ok();
}

const Router::Pattern* Router::Match(std::string_view path, PathParams& params) const {
  if (path.empty() || path.front() != '/') return nullptr;
  const std::vector<std::string_view> parts = SplitPath(path);
  const Pattern* best = nullptr;
  for (const auto& pattern : patterns_) {
    if (pattern->segments.size() != parts.size()) continue;
    bool matches = true;
    for (std::size_t i = 0; i < parts.size() && matches; ++i) {
      const Segment& segment = pattern->segments[i];
      matches = segment.is_param ? !parts[i].empty() : segment.text == parts[i];
    }
    if (matches && (best == nullptr || pattern->MoreSpecificThan(*best))) best = pattern.get();
  }
  if (best == nullptr) return nullptr;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (best->segments[i].is_param) params.Add(best->segments[i].text, parts[i]);
  }
  return best;
}

void Router::Dispatch(const HttpRequest& request, Responder respond) const {
  PathParams params;
  const Pattern* pattern = Match(request.path, params);
  if (pattern == nullptr) return respond(ProblemResponse(404, "No resource at this path.", request.path));

  const std::string_view route = pattern->text;
  for (const auto& [method, handler] : pattern->methods) {
    if (method != request.method) continue;
    auto complete = [respond = std::move(respond), route, path = request.path](Result<HttpResponse> result) {
      HttpResponse response = result.ok() ? std::move(result).value() : ProblemResponse(result.error(), path);
      response.route = route;
      respond(std::move(response));
    };
    if (const auto* now = std::get_if<RouteHandler>(&handler)) return complete((*now)(request, params));
    return std::get<DeferredRouteHandler>(handler)(request, params, std::move(complete));
  }
  std::string allow;
  for (const auto& entry : pattern->methods) {
    if (!allow.empty()) allow += ", ";
    allow += entry.first;
  }
  HttpResponse response = ProblemResponse(405, "Method " + request.method + " is not allowed here; see Allow.", request.path);
  response.headers.emplace_back("Allow", std::move(allow));
  response.route = route;
  respond(std::move(response));
}

}  // namespace vtpmd::http
