#pragma once
// A POST request with a JSON body, as the request decoders under test receive it.

#include <string>
#include <utility>

#include "server/http/http_types.h"

namespace vtpmd::api::testing {

inline http::HttpRequest Json(std::string body) {
  http::HttpRequest request;
  request.method = "POST";
  request.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
  request.body = std::move(body);
  return request;
}

}  // namespace vtpmd::api::testing
