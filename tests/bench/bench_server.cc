// Stand-in for vtpmd in tests/bench/http_bench.sh until the real binary takes its
// place: the production transport, router, metrics and access log (written to
// --access-log, /dev/null by default, so formatting and write() are still paid),
// serving GET /healthz and GET /metrics.
//
//   vtpmd_bench_server --listen 127.0.0.1:8443 --cert cert.pem --key key.pem [--threads N]

#include <fcntl.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <charconv>
#include <cstdio>
#include <cstring>
#include <string>

#include "server/http/https_server.h"
#include "server/http/router.h"

namespace {

using namespace vtpmd;
using namespace vtpmd::http;

Result<std::string> ReadFile(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return NotFound("cannot read " + path);
  std::string contents;
  char buffer[4096];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, file)) > 0) contents.append(buffer, n);
  std::fclose(file);
  return contents;
}

HttpResponse Ok200(std::string content_type, std::string body) {
  HttpResponse response;
  response.content_type = std::move(content_type);
  response.body = std::move(body);
  return response;
}

Result<unsigned> ParseNumber(std::string_view text, unsigned max) {
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value > max) {
    return InvalidArgument("not a number up to " + std::to_string(max) + ": " + std::string(text));
  }
  return value;
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "vtpmd_bench_server: %s\n", message.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string listen = "127.0.0.1:8443", cert_path, key_path, access_log_path = "/dev/null";
  unsigned threads = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--listen") {
      listen = value;
    } else if (flag == "--cert") {
      cert_path = value;
    } else if (flag == "--key") {
      key_path = value;
    } else if (flag == "--access-log") {
      access_log_path = value;
    } else if (flag == "--threads") {
      auto n = ParseNumber(value, 256);
      if (!n.ok()) return Fail(n.error().message());
      threads = *n;
    } else {
      return Fail("unknown flag " + flag);
    }
  }
  if (argc % 2 == 0) return Fail("flags take one value each");
  const std::size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return Fail("--listen wants HOST:PORT");
  auto port = ParseNumber(std::string_view(listen).substr(colon + 1), 65535);
  if (!port.ok()) return Fail(port.error().message());
  auto cert = ReadFile(cert_path);
  auto key = ReadFile(key_path);
  if (!cert.ok() || !key.ok()) return Fail("--cert and --key must name readable PEM files");

  const int log_fd = ::open(access_log_path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (log_fd < 0) return Fail("cannot open access log " + access_log_path + ": " + std::strerror(errno));
  AccessLog access_log(log_fd);
  Metrics metrics;
  Router router;
  Status routes = router.Add("GET", "/healthz", [](const HttpRequest&, const PathParams&) -> Result<HttpResponse> {
    return Ok200("application/json", R"({"status":"ok"})");
  });
  if (routes.ok()) {
    routes = router.Add("GET", "/metrics", [&metrics](const HttpRequest&, const PathParams&) -> Result<HttpResponse> {
      return Ok200("text/plain; version=0.0.4", metrics.Render());
    });
  }
  if (!routes.ok()) return Fail(routes.error().message());

  ServerOptions options;
  options.host = listen.substr(0, colon);
  options.port = static_cast<std::uint16_t>(*port);
  options.threads = threads;
  options.tls.certificate_chain_pem = std::move(cert).value();
  options.tls.private_key_pem = SecretBytes::CopyFrom(AsBytes(*key));
  OPENSSL_cleanse(key->data(), key->size());
  auto server = HttpsServer::Create(std::move(options), [&router](const HttpRequest& r) { return router.Dispatch(r); },
                                    &access_log, &metrics);
  if (!server.ok()) return Fail(server.error().message());
  std::printf("listening on https://%s:%u\n", listen.substr(0, colon).c_str(), (*server)->port());
  std::fflush(stdout);
  (*server)->Run();
  ::close(log_fd);
  return 0;
}
