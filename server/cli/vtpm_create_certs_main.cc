// vtpm-create-certs: swtpm_setup's certificate tool backed by vtpmd's EK authority.
// swtpm_setup runs it for every EK it creates; it asks vtpmd to certify the EK
// (POST /v1/ek-certificates) and leaves the certificate where swtpm_setup reads it.

#include <fcntl.h>
#include <openssl/crypto.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/file_io.h"
#include "core/unique_fd.h"
#include "server/cli/api_client.h"
#include "server/cli/create_certs_tool.h"

namespace vtpmd::cli {
namespace {

constexpr char kUsage[] = R"(usage: vtpm-create-certs --type ek --ek EK --dir DIR --tpm2 [--vmid UUID|NAME:UUID]
         [--tpm-manufacturer id:XXXXXXXX] [--tpm-model MODEL] [--tpm-version id:XXXXXXXX]
         [--configfile FILE] [--logfile FILE] [--url URL] [--cacert FILE] [--token-file FILE]

swtpm_setup's certificate tool: name it in swtpm_setup.conf,

  create_certs_tool = /usr/bin/vtpm-create-certs
  create_certs_tool_config = /etc/vtpm-create-certs.conf

and `swtpm_setup --tpm2 --create-ek-cert` gets each EK certified by vtpmd's EK
authority (POST /v1/ek-certificates) and written to DIR/ek.cert (DER). EK is an RSA
modulus in hex or x=HEX,y=HEX[,id=secp256r1|secp384r1], as swtpm_setup passes it.
Platform certificates are not issued (do not pass --create-platform-cert).

The --configfile holds "key = value" lines with vtpmctl's option names:
  url = https://vtpmd.example:8443     (default https://127.0.0.1:8443)
  cacert = /etc/vtpmd/root-ca.pem      (the vtpmd root CA)
  token-file = /etc/vtpmd/host.token   (a host or admin token)
Command-line options beat the file, the file beats the environment (VTPMD_URL,
VTPMD_CACERT, VTPMD_TOKEN, VTPMD_TOKEN_FILE), which beats ./vtpmd-data/.

Exit codes: 0 ok, 1 server refused or failed, 2 usage, 3 unreachable or untrusted, 4 denied.
)";

constexpr std::size_t kMaxConfigBytes = 64 * 1024;
constexpr std::size_t kMaxTokenBytes = 4096;

// Failures go to stderr, which swtpm_setup shows when the tool fails; success to
// stdout, which swtpm_setup prints prefixed with the tool's name (and keeps in its
// --logfile, so the tool writes none itself).
int Fail(const std::string& message, int exit_code) {
  std::cerr << "vtpm-create-certs: " << message << "\n";
  return exit_code;
}

std::optional<std::string> Env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

std::optional<std::string> ExistingFile(const char* path) {
  std::error_code ec;
  if (std::filesystem::is_regular_file(path, ec)) return std::string(path);
  return std::nullopt;
}

template <typename... Rest>
std::optional<std::string> First(std::optional<std::string> first, Rest... rest) {
  if (first) return first;
  if constexpr (sizeof...(rest) > 0) {
    return First(std::move(rest)...);
  } else {
    return std::nullopt;
  }
}

Result<SecretBytes> ReadToken(const std::string& path) {
  auto read = ReadSmallFile(path, kMaxTokenBytes);
  if (!read.ok()) return read.error().WithContext("token file " + path);
  std::string text = std::move(*read);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  SecretBytes token = SecretBytes::CopyFrom(AsBytes(text));
  OPENSSL_cleanse(text.data(), text.size());
  if (token.view().empty()) return InvalidArgument("token file " + path + " is empty");
  return token;
}

Result<ClientSettings> Settings(const CertToolArguments& args) {
  CertToolConfig config;
  if (args.configfile) {
    auto text = ReadSmallFile(*args.configfile, kMaxConfigBytes);
    if (!text.ok()) return text.error().WithContext("--configfile");
    auto parsed = ParseCertToolConfig(*text);
    if (!parsed.ok()) return parsed.error().WithContext(*args.configfile);
    config = std::move(*parsed);
  }
  ClientSettings settings;
  settings.url = First(args.url, config.url, Env("VTPMD_URL")).value_or(settings.url);
  settings.ca_file = First(args.cacert, config.cacert, Env("VTPMD_CACERT"), ExistingFile("vtpmd-data/root-ca.pem"));
  if (!settings.ca_file) {
    return InvalidArgument("no trust anchor: set cacert (the vtpmd root CA) in the --configfile");
  }
  if (auto file = First(args.token_file, config.token_file)) {
    VTPMD_ASSIGN_OR_RETURN(settings.token, ReadToken(*file));
  } else if (auto token = Env("VTPMD_TOKEN")) {
    settings.token = SecretBytes::CopyFrom(AsBytes(*token));
  } else if (auto env_file = First(Env("VTPMD_TOKEN_FILE"), ExistingFile("vtpmd-data/admin.token"))) {
    VTPMD_ASSIGN_OR_RETURN(settings.token, ReadToken(*env_file));
  } else {
    return InvalidArgument("no token: set token-file (a host or admin token) in the --configfile");
  }
  return settings;
}

// Written whole or not at all: a temporary file in DIR renamed over ek.cert.
Status WriteCertificate(const std::filesystem::path& dir, ByteView der) {
  const std::filesystem::path target = dir / "ek.cert";
  std::string temp = (dir / ".ek.cert.XXXXXX").string();
  UniqueFd fd(::mkstemp(temp.data()));
  if (!fd.valid()) return Unavailable("cannot create a file in " + dir.string() + ": " + std::strerror(errno));
  std::size_t written = 0;
  while (written < der.size()) {
    const ssize_t n = ::write(fd.get(), der.data() + written, der.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string reason = std::strerror(errno);
      ::unlink(temp.c_str());
      return Unavailable("cannot write " + temp + ": " + reason);
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0 || ::rename(temp.c_str(), target.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    ::unlink(temp.c_str());
    return Unavailable("cannot write " + target.string() + ": " + reason);
  }
  return Ok();
}

int Main(int argc, char** argv) {
  const std::vector<std::string> words(argv + 1, argv + argc);
  auto args = ParseCertToolArguments(words);
  if (!args.ok()) {
    std::cerr << "vtpm-create-certs: " << args.error().message() << "\n\n" << kUsage;
    return kExitUsage;
  }
  if (args->help) {
    std::cout << kUsage;
    return kExitOk;
  }
  if (args->type == "platform") {
    return Fail(
        "vtpmd issues EK certificates only, no platform certificates: run swtpm_setup without "
        "--create-platform-cert",
        kExitUsage);
  }
  if (args->type != "ek") return Fail("--type must be ek (got '" + args->type + "')", kExitUsage);
  if (!args->tpm2) return Fail("vtpmd certifies TPM 2.0 EKs only: run swtpm_setup with --tpm2", kExitUsage);
  if (args->allow_signing) {
    return Fail(
        "--allow-signing makes an EK outside the TCG default templates, which vtpmd does not certify: run "
        "swtpm_setup without it",
        kExitUsage);
  }
  if (args->dir.empty()) return Fail("--dir is missing", kExitUsage);
  auto body = EkCertificateRequestJson(*args);
  if (!body.ok()) return Fail(body.error().message(), kExitUsage);
  auto settings = Settings(*args);
  if (!settings.ok()) return Fail(settings.error().message(), kExitUsage);
  const std::string url = settings->url;

  auto api = ApiClient::Connect(std::move(*settings));
  if (!api.ok()) {
    return Fail(api.error().message(),
                api.error().code() == ErrorCode::kInvalidArgument ? kExitUsage : kExitUnreachable);
  }
  auto issued = (*api)->Call("POST", "/v1/ek-certificates", boost::json::value(*body));
  if (!issued.ok()) {
    return Fail("vtpmd at " + url + " did not certify the EK: " + issued.error().message(),
                ExitCodeFor(issued.error()));
  }
  const auto* answer = issued->if_object();
  const auto* der_text = answer != nullptr ? answer->if_contains("certificate_der") : nullptr;
  const auto* serial = answer != nullptr ? answer->if_contains("serial") : nullptr;
  if (der_text == nullptr || !der_text->is_string() || serial == nullptr || !serial->is_string()) {
    return Fail("vtpmd at " + url + " answered without a certificate", kExitServerError);
  }
  auto der = Base64Decode(der_text->as_string());
  if (!der.ok()) return Fail("vtpmd answered with a malformed certificate", kExitServerError);
  const boost::json::object& ek_public = body->at("ek_public").as_object();
  if (Status matches = CheckCertificateKey(*der, ek_public); !matches.ok()) {
    return Fail("vtpmd's answer is unusable: " + matches.error().message(), kExitServerError);
  }
  if (Status written = WriteCertificate(args->dir, *der); !written.ok()) {
    return Fail(written.error().message(), kExitServerError);
  }
  std::cout << "EK certificate " << std::string(serial->as_string()) << " ("
            << std::string(ek_public.at("algorithm").as_string()) << ") issued by " << url << ", written to "
            << (std::filesystem::path(args->dir) / "ek.cert").string() << "\n";
  return kExitOk;
}

}  // namespace
}  // namespace vtpmd::cli

int main(int argc, char** argv) {
  return vtpmd::cli::Main(argc, argv);
}
