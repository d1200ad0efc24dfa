#pragma once
// vtpmctl's view of the REST API: where the server is, how to trust it, which token
// to present, and the translation of problem documents into errors and exit codes.

#include <boost/json/value.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "core/secret_bytes.h"
#include "server/http/https_client.h"

namespace vtpmd::cli {

// Exit codes, stable for scripts.
inline constexpr int kExitOk = 0;
inline constexpr int kExitServerError = 1;  // the server answered with a problem
inline constexpr int kExitUsage = 2;
inline constexpr int kExitUnreachable = 3;  // connection, TLS or trust failure
inline constexpr int kExitDenied = 4;       // 401 or 403

int ExitCodeFor(const Error& error);

struct ClientSettings {
  std::string url = "https://127.0.0.1:8443";
  std::optional<std::string> ca_file;  // PEM trust anchor (the vtpmd root CA)
  bool insecure = false;
  std::optional<SecretBytes> token;
};

class ApiClient {
 public:
  static Result<std::unique_ptr<ApiClient>> Connect(ClientSettings settings);

  // Parsed JSON of a 2xx answer (null for 204). A problem document becomes an Error
  // carrying its detail; connection failures are kUnavailable.
  Result<boost::json::value> Call(std::string_view method, std::string_view target,
                                  const std::optional<boost::json::value>& body = std::nullopt);

  // GETs a streamed answer (Server-Sent Events): its 2xx body goes to `on_chunk` as
  // it arrives, until the server ends it or `on_chunk` returns false. A problem is an
  // Error as in Call(); a connection that fails or drops is kUnavailable.
  Status Stream(std::string_view target, const http::HeaderList& headers,
                const std::function<bool(std::string_view)>& on_chunk);

 private:
  ApiClient(std::unique_ptr<http::HttpsClient> client, std::optional<SecretBytes> token)
      : client_(std::move(client)), token_(std::move(token)) {}

  http::HeaderList WithToken(http::HeaderList headers) const;

  std::unique_ptr<http::HttpsClient> client_;
  std::optional<SecretBytes> token_;
};

}  // namespace vtpmd::cli
