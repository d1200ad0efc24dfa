#pragma once
// Pure request -> response dispatch, no I/O. Patterns are matched segment by
// segment ("/v1/instances/{id}/stop"); a literal segment beats a parameter, so
// "/v1/instances/stats" wins over "/v1/instances/{id}" for that path.

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/result.h"
#include "server/http/http_types.h"

namespace vtpmd::http {

class PathParams {
 public:
  void Add(std::string_view name, std::string_view value) { values_.emplace_back(name, value); }
  // The raw (not percent-decoded) segment; empty if the pattern has no such name,
  // which a matched pattern rules out for its own parameters.
  std::string_view Get(std::string_view name) const;
  std::size_t size() const { return values_.size(); }

 private:
  std::vector<std::pair<std::string_view, std::string_view>> values_;
};

// Answers before it returns.
using RouteHandler = std::function<Result<HttpResponse>(const HttpRequest&, const PathParams&)>;
// Completes a deferred route, once, from any thread.
using RouteCompletion = std::function<void(Result<HttpResponse>)>;
// May complete after it returns; the request and params live only for the call.
using DeferredRouteHandler = std::function<void(const HttpRequest&, const PathParams&, RouteCompletion)>;

class Router {
 public:
  Router();
  ~Router();
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // Fails on a malformed pattern, a duplicate (method, pattern), or a pattern
  // that differs from an existing one only in parameter names.
  Status Add(std::string_view method, std::string_view pattern, RouteHandler handler);
  Status AddDeferred(std::string_view method, std::string_view pattern, DeferredRouteHandler handler);

  // 404 problem for an unknown path, 405 (+ Allow) for a known path with another
  // method, the handler's Error as a problem. response.route is the pattern.
  void Dispatch(const HttpRequest& request, Responder respond) const;

 private:
  struct Pattern;
  using AnyHandler = std::variant<RouteHandler, DeferredRouteHandler>;
  Status AddHandler(std::string_view method, std::string_view pattern, AnyHandler handler);
  const Pattern* Match(std::string_view path, PathParams& params) const;

  std::vector<std::unique_ptr<Pattern>> patterns_;
};

}  // namespace vtpmd::http
