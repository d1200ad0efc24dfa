#pragma once
// vtpmd's configuration: built-in defaults, then an optional JSON config file, then
// command-line flags, each overriding the one before. Validated once, at start.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace vtpmd::app {

struct Config {
  std::filesystem::path data_dir = "vtpmd-data";
  // VM-facing sockets live outside the (0700) data directory, so that a VM's uid can
  // be let in to its own instance's sockets and nowhere else.
  std::filesystem::path socket_dir = "vtpmd-sockets";
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 8443;
  // "simulated" starts vtpmd's own swtpm; anything else is a tpm2-tss TCTI string.
  std::string platform_tpm = "simulated";
  // Simulated platform TPM only: added to each quote's response time, to measure
  // deep-quote batching under a hardware TPM's latency.
  std::chrono::milliseconds platform_quote_latency{0};
  // Deep quotes: leaves arriving within the window share one platform quote (0: one
  // quote per leaf); a batch holds at most max_batch leaves; at most max_in_flight
  // platform quotes run at once.
  std::chrono::milliseconds deep_quote_window{20};
  std::size_t deep_quote_max_batch = 4096;
  std::size_t deep_quote_max_in_flight = 16;
  // Stored attestation results older than this are deleted.
  std::chrono::seconds attestation_retention{30 * 24 * 3600};
  std::string ca_algorithm = "ecdsa-p256";
  std::vector<std::string> tls_dns_names = {"localhost"};
  std::vector<std::string> tls_ip_addresses = {"127.0.0.1", "::1"};
  // An operator-supplied TLS identity (PEM chain and key) replaces the host TLS
  // certificate vtpmd's own CA issues; both or neither.
  std::optional<std::filesystem::path> tls_certificate;
  std::optional<std::filesystem::path> tls_private_key;
  // PEM bundle of TPM manufacturer roots that platform EK certificates must chain to.
  std::optional<std::filesystem::path> manufacturer_roots;
  unsigned threads = 0;
  std::size_t header_limit = 8 * 1024;
  std::size_t body_limit = 1024 * 1024;
  std::chrono::seconds read_timeout{10};
  std::chrono::seconds idle_timeout{30};
  std::size_t max_pipelined = 8;
  std::size_t max_connections = 4096;
  bool access_log = true;
  // Webhook delivery (docs/notifications.md). Callbacks may not reach loopback or
  // private networks unless allowed here; http only to loopback, and only when allowed.
  bool webhook_allow_loopback = false;
  bool webhook_allow_http_loopback = false;
  std::vector<std::string> webhook_allowed_networks;  // CIDRs
  std::optional<std::filesystem::path> webhook_ca_file;  // trusted besides the system store
  std::chrono::milliseconds webhook_timeout{10000};
  std::chrono::milliseconds webhook_retry_first{5000};
  std::chrono::milliseconds webhook_retry_max{3600 * 1000};
  std::chrono::seconds webhook_retry_horizon{3 * 24 * 3600};
  std::chrono::seconds webhook_attempt_retention{30 * 24 * 3600};
  std::int64_t webhook_disable_after_failures = 100;
  unsigned webhook_threads = 1;
  std::chrono::seconds webhook_secret_grace{24 * 3600};
  // Live event streams (GET /v1/events/stream).
  std::chrono::milliseconds stream_heartbeat{15000};
  std::size_t stream_queue_bytes = 256 * 1024;
  std::size_t max_streams = 256;
  // Written once the server listens: {"url": ..., "port": ..., "admin_token_file": ...}.
  std::optional<std::filesystem::path> ready_file;
};

// Returns the config, or an InvalidArgument error that names the offending flag or key.
// `--help` yields FailedPrecondition carrying the usage text.
Result<Config> ParseConfig(int argc, const char* const argv[]);
std::string ConfigUsage();

}  // namespace vtpmd::app
