#include "server/app/config.h"

#include <boost/json.hpp>

#include <charconv>
#include <string_view>

#include "core/file_io.h"

namespace vtpmd::app {
namespace {

constexpr std::size_t kMaxConfigFileBytes = 1024 * 1024;

template <typename Int>
Result<Int> ParseInteger(std::string_view text, std::string_view what, Int min, Int max) {
  Int value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    return InvalidArgument(std::string(what) + ": expected an integer in [" + std::to_string(min) + ", " +
                           std::to_string(max) + "], got '" + std::string(text) + "'");
  }
  return value;
}

Status ParseListen(std::string_view text, Config& config) {
  // host:port, with [v6]:port for IPv6 literals.
  std::string_view host;
  std::string_view port;
  if (text.starts_with('[')) {
    const auto close = text.find("]:");
    if (close == std::string_view::npos) return InvalidArgument("listen: expected [ipv6]:port");
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return InvalidArgument("listen: expected host:port");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (host.empty()) return InvalidArgument("listen: empty host");
  VTPMD_ASSIGN_OR_RETURN(config.listen_port, ParseInteger<std::uint16_t>(port, "listen port", 0, 65535));
  config.listen_host = std::string(host);
  return Ok();
}

std::vector<std::string> SplitCommaList(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

// One setter per option, shared by the config file (key) and the flags (--key).
Status SetOption(std::string_view key, std::string_view value, Config& config) {
  if (key == "data-dir") {
    if (value.empty()) return InvalidArgument("data-dir: empty path");
    config.data_dir = std::string(value);
  } else if (key == "socket-dir") {
    if (value.empty()) return InvalidArgument("socket-dir: empty path");
    config.socket_dir = std::string(value);
  } else if (key == "listen") {
    return ParseListen(value, config);
  } else if (key == "platform-tpm") {
    if (value.empty()) return InvalidArgument("platform-tpm: empty TCTI");
    config.platform_tpm = std::string(value);
  } else if (key == "platform-quote-latency-ms") {
    VTPMD_ASSIGN_OR_RETURN(auto ms, ParseInteger<int>(value, key, 0, 10000));
    config.platform_quote_latency = std::chrono::milliseconds(ms);
  } else if (key == "deep-quote-window-ms") {
    VTPMD_ASSIGN_OR_RETURN(auto ms, ParseInteger<int>(value, key, 0, 1000));
    config.deep_quote_window = std::chrono::milliseconds(ms);
  } else if (key == "deep-quote-max-batch") {
    VTPMD_ASSIGN_OR_RETURN(config.deep_quote_max_batch, ParseInteger<std::size_t>(value, key, 1, 65536));
  } else if (key == "deep-quote-max-in-flight") {
    VTPMD_ASSIGN_OR_RETURN(config.deep_quote_max_in_flight, ParseInteger<std::size_t>(value, key, 1, 256));
  } else if (key == "ca-algorithm") {
    config.ca_algorithm = std::string(value);
  } else if (key == "tls-dns-names") {
    config.tls_dns_names = SplitCommaList(value);
  } else if (key == "tls-ip-addresses") {
    config.tls_ip_addresses = SplitCommaList(value);
  } else if (key == "tls-certificate") {
    config.tls_certificate = std::string(value);
  } else if (key == "tls-private-key") {
    config.tls_private_key = std::string(value);
  } else if (key == "manufacturer-roots") {
    config.manufacturer_roots = std::string(value);
  } else if (key == "threads") {
    VTPMD_ASSIGN_OR_RETURN(config.threads, ParseInteger<unsigned>(value, key, 0, 256));
  } else if (key == "header-limit") {
    VTPMD_ASSIGN_OR_RETURN(config.header_limit, ParseInteger<std::size_t>(value, key, 1024, 1024 * 1024));
  } else if (key == "body-limit") {
    VTPMD_ASSIGN_OR_RETURN(config.body_limit, ParseInteger<std::size_t>(value, key, 1024, 64 * 1024 * 1024));
  } else if (key == "read-timeout") {
    VTPMD_ASSIGN_OR_RETURN(auto s, ParseInteger<int>(value, key, 1, 3600));
    config.read_timeout = std::chrono::seconds(s);
  } else if (key == "idle-timeout") {
    VTPMD_ASSIGN_OR_RETURN(auto s, ParseInteger<int>(value, key, 1, 3600));
    config.idle_timeout = std::chrono::seconds(s);
  } else if (key == "max-pipelined") {
    VTPMD_ASSIGN_OR_RETURN(config.max_pipelined, ParseInteger<std::size_t>(value, key, 1, 1024));
  } else if (key == "max-connections") {
    VTPMD_ASSIGN_OR_RETURN(config.max_connections, ParseInteger<std::size_t>(value, key, 1, 1000000));
  } else if (key == "access-log") {
    if (value != "true" && value != "false") return InvalidArgument("access-log: expected true or false");
    config.access_log = value == "true";
  } else if (key == "webhook-allow-loopback" || key == "webhook-allow-http-loopback") {
    if (value != "true" && value != "false") return InvalidArgument(std::string(key) + ": expected true or false");
    (key == "webhook-allow-loopback" ? config.webhook_allow_loopback : config.webhook_allow_http_loopback) =
        value == "true";
  } else if (key == "webhook-allowed-networks") {
    config.webhook_allowed_networks = SplitCommaList(value);
  } else if (key == "webhook-ca-file") {
    config.webhook_ca_file = std::string(value);
  } else if (key == "webhook-timeout-ms") {
    VTPMD_ASSIGN_OR_RETURN(auto ms, ParseInteger<int>(value, key, 100, 120000));
    config.webhook_timeout = std::chrono::milliseconds(ms);
  } else if (key == "webhook-retry-first-ms") {
    VTPMD_ASSIGN_OR_RETURN(auto ms, ParseInteger<int>(value, key, 10, 3600 * 1000));
    config.webhook_retry_first = std::chrono::milliseconds(ms);
  } else if (key == "webhook-retry-max-ms") {
    VTPMD_ASSIGN_OR_RETURN(auto ms, ParseInteger<int>(value, key, 10, 24 * 3600 * 1000));
    config.webhook_retry_max = std::chrono::milliseconds(ms);
  } else if (key == "webhook-retry-horizon") {
    VTPMD_ASSIGN_OR_RETURN(auto s, ParseInteger<int>(value, key, 1, 30 * 24 * 3600));
    config.webhook_retry_horizon = std::chrono::seconds(s);
  } else if (key == "attestation-retention") {
    VTPMD_ASSIGN_OR_RETURN(auto s, ParseInteger<int>(value, key, 1, 3650 * 24 * 3600));
    config.attestation_retention = std::chrono::seconds(s);
  } else if (key == "webhook-attempt-retention") {
    VTPMD_ASSIGN_OR_RETURN(auto s, ParseInteger<int>(value, key, 1, 3650 * 24 * 3600));
    config.webhook_attempt_retention = std::chrono::seconds(s);
  } else if (key == "webhook-disable-after-failures") {
    VTPMD_ASSIGN_OR_RETURN(config.webhook_disable_after_failures,
                           ParseInteger<std::int64_t>(value, key, 1, 1000000));
  } else if (key == "webhook-threads") {
    VTPMD_ASSIGN_OR_RETURN(config.webhook_threads, ParseInteger<unsigned>(value, key, 1, 64));
  } else if (key == "webhook-secret-grace") {
    VTPMD_ASSIGN_OR_RETURN(auto s, ParseInteger<int>(value, key, 0, 30 * 24 * 3600));
    config.webhook_secret_grace = std::chrono::seconds(s);
  } else if (key == "stream-heartbeat-ms") {
    VTPMD_ASSIGN_OR_RETURN(auto ms, ParseInteger<int>(value, key, 10, 3600 * 1000));
    config.stream_heartbeat = std::chrono::milliseconds(ms);
  } else if (key == "stream-queue-bytes") {
    VTPMD_ASSIGN_OR_RETURN(config.stream_queue_bytes, ParseInteger<std::size_t>(value, key, 1024, 64 * 1024 * 1024));
  } else if (key == "max-streams") {
    VTPMD_ASSIGN_OR_RETURN(config.max_streams, ParseInteger<std::size_t>(value, key, 1, 65536));
  } else if (key == "ready-file") {
    config.ready_file = std::string(value);
  } else {
    return InvalidArgument("unknown option '" + std::string(key) + "'");
  }
  return Ok();
}

// The config file is a flat JSON object whose keys are the flag names without "--".
Status ApplyConfigFile(const std::filesystem::path& path, Config& config) {
  VTPMD_ASSIGN_OR_RETURN(std::string text, ReadSmallFile(path, kMaxConfigFileBytes));

  boost::system::error_code ec;
  const boost::json::value root = boost::json::parse(text, ec);
  if (ec) return InvalidArgument("config file " + path.string() + ": " + ec.message());
  if (!root.is_object()) return InvalidArgument("config file " + path.string() + ": expected a JSON object");
  for (const auto& [key, value] : root.as_object()) {
    std::string text_value;
    if (value.is_string()) {
      text_value = std::string(value.as_string());
    } else if (value.is_int64() || value.is_uint64() || value.is_bool()) {
      text_value = boost::json::serialize(value);
    } else if (value.is_array()) {
      for (const auto& item : value.as_array()) {
        if (!item.is_string()) return InvalidArgument("config key '" + std::string(key) + "': expected strings");
        if (!text_value.empty()) text_value += ',';
        text_value += std::string(item.as_string());
      }
    } else {
      return InvalidArgument("config key '" + std::string(key) + "': unsupported value type");
    }
    Status set = SetOption(key, text_value, config);
    if (!set.ok()) return set.error().WithContext("config file " + path.string());
  }
  return Ok();
}

}  // namespace

std::string ConfigUsage() {
  return R"(usage: vtpmd [--config FILE] [--OPTION VALUE]...

Options (also accepted as keys of the JSON config file, without "--"):
  --data-dir DIR            state directory (default ./vtpmd-data)
  --socket-dir DIR          VM-facing vTPM sockets (default ./vtpmd-sockets; /run/vtpmd in production)
  --listen HOST:PORT        HTTPS listen address (default 127.0.0.1:8443; port 0 = any free port)
  --platform-tpm TCTI       "simulated" (default: vtpmd runs its own swtpm) or a tpm2-tss
                            TCTI such as device:/dev/tpmrm0
  --platform-quote-latency-ms MS
                            simulated platform TPM only: extra response time of each quote,
                            to measure deep-quote batching as on hardware (default 0, max 10000)
  --deep-quote-window-ms MS deep quotes arriving within MS share one platform quote
                            (default 20, max 1000; 0 = one platform quote per deep quote)
  --deep-quote-max-batch N  at most N deep quotes per platform quote (default 4096, max 65536)
  --deep-quote-max-in-flight N
                            at most N platform quotes at once (default 16, max 256)
  --attestation-retention S stored attestation results are kept for S seconds
                            (default 2592000, 30 days)
  --manufacturer-roots PEM  TPM vendor roots for the platform EK certificate
  --tls-certificate PEM     serve this certificate chain instead of the one vtpmd's CA issues
  --tls-private-key PEM     ... with this key (both or neither)
  --ca-algorithm ALG        ecdsa-p256 (default), ecdsa-p384 or rsa-3072 (first start only)
  --tls-dns-names A,B       DNS names in the host TLS certificate (default localhost)
  --tls-ip-addresses A,B    IP addresses in the host TLS certificate (default 127.0.0.1,::1)
  --threads N               I/O threads (default: 2 per core)
  --header-limit BYTES      --body-limit BYTES   --read-timeout S   --idle-timeout S
  --max-pipelined N         --max-connections N  --access-log true|false
  --ready-file FILE         write {"url","port","admin_token_file"} once listening

Event streams and webhook delivery (docs/notifications.md):
  --stream-heartbeat-ms MS  comment line on an idle SSE stream every MS (default 15000)
  --stream-queue-bytes N    bytes queued for one stream client before it is dropped (default 262144)
  --max-streams N           concurrent SSE streams; beyond, 503 (default 256)
  --webhook-allowed-networks CIDR,...
                            private networks callbacks may reach (default: none; link-local,
                            private, CGNAT and metadata addresses are refused)
  --webhook-allow-loopback true|false       callbacks to loopback (default false)
  --webhook-allow-http-loopback true|false  plain http to loopback callbacks (default false;
                            implies --webhook-allow-loopback)
  --webhook-ca-file PEM     CA bundle trusted for callbacks besides the system store
  --webhook-timeout-ms MS   per delivery attempt (default 10000)
  --webhook-retry-first-ms MS  --webhook-retry-max-ms MS
                            backoff after the first failure, doubling up to the max
                            (defaults 5000 and 3600000), with jitter
  --webhook-retry-horizon S an event is retried until it is S seconds old (default 259200, 3 days)
  --webhook-attempt-retention S
                            delivery attempts are kept for S seconds (default 2592000, 30 days)
  --webhook-disable-after-failures N
                            a subscription is disabled after N consecutive failures (default 100)
  --webhook-threads N       delivery I/O threads (default 1)
  --webhook-secret-grace S  a rotated-out secret still signs for S seconds (default 86400)
)";
}

Result<Config> ParseConfig(int argc, const char* const argv[]) {
  Config config;
  // The config file is applied first so that flags override it wherever they appear.
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") return FailedPrecondition(ConfigUsage());
    if (arg == "--config") {
      if (i + 1 >= argc) return InvalidArgument("--config needs a file");
      VTPMD_RETURN_IF_ERROR(ApplyConfigFile(argv[i + 1], config));
    }
  }
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (!arg.starts_with("--")) return InvalidArgument("unexpected argument '" + std::string(arg) + "'");
    arg.remove_prefix(2);
    std::string_view value;
    if (const auto eq = arg.find('='); eq != std::string_view::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    } else {
      if (i + 1 >= argc) return InvalidArgument("--" + std::string(arg) + " needs a value");
      value = argv[++i];
    }
    if (arg == "config") continue;
    Status set = SetOption(arg, value, config);
    if (!set.ok()) return set.error().WithContext("--" + std::string(arg));
  }
  if (config.tls_certificate.has_value() != config.tls_private_key.has_value()) {
    return InvalidArgument("--tls-certificate and --tls-private-key go together");
  }
  // A hardware TPM is as slow as it is; added latency would only misstate it.
  if (config.platform_quote_latency.count() != 0 && config.platform_tpm != "simulated") {
    return InvalidArgument("--platform-quote-latency-ms applies only to --platform-tpm simulated");
  }
  return config;
}

}  // namespace vtpmd::app
