// AIK enrollment load generator for tests/bench/enrollment_bench.sh: N keep-alive
// TLS connections over T threads, each enrolling back to back for a fixed time
// after a warm-up. One enrollment is POST /v1/aik/challenges (the software EK's
// certificate and the connection's software AIK), the TPM's ActivateCredential
// played in software on the challenge, then POST /v1/aik/challenges/{id}/activation;
// only an activation answered 200 counts. Loopback targets only. Prints one JSON
// object:
//   {"enrollments":..,"errors":..,"seconds":..,"eps":..,"p50_ms":..,"p99_ms":..,"max_ms":..}
//
//   vtpmd_enroll_loadgen --port N --token-file F --ek-key F --ek-certificate F
//                        [--host 127.0.0.1] [--connections 32] [--threads 1]
//                        [--duration 10] [--warmup 2]

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <boost/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "ca/credential_blob.h"
#include "core/bytes.h"
#include "core/file_io.h"
#include "core/openssl.h"
#include "core/tpm_ek_template.h"
#include "tests/bench/https_load.h"
#include "tests/support/software_aik.h"
#include "tests/support/software_credential_activation.h"

namespace {

namespace bhttp = boost::beast::http;
using vtpmd::Bytes;
using vtpmd::bench::Request;
using vtpmd::bench::RequestSequence;
using vtpmd::bench::Response;

constexpr std::string_view kUsage =
    "usage: vtpmd_enroll_loadgen --port N --token-file F --ek-key F --ek-certificate F [--host 127.0.0.1] "
    "[--connections 32] [--threads 1] [--duration 10] [--warmup 2]\n";
constexpr std::size_t kMaxFileBytes = 64 * 1024;

std::string_view Text(const boost::json::value& value) {
  const boost::json::string& text = value.as_string();
  return std::string_view(text.data(), text.size());
}

// The TPM all connections enroll for: what it holds and what the server is told.
struct Tpm {
  vtpmd::ossl::PkeyPtr ek_key;
  TPMT_PUBLIC ek_public{};
  std::string ek_certificate_pem;
  std::string authorization;  // "Bearer <token>"
};

// Challenge, activation, challenge, ... on one connection, with an AIK of its own.
class Enrollment final : public RequestSequence {
 public:
  Enrollment(const Tpm& tpm, std::string challenge_body) : tpm_(tpm), challenge_body_(std::move(challenge_body)) {}

  void Next(Request& request) override {
    request.method(bhttp::verb::post);
    request.set(bhttp::field::content_type, "application/json");
    request.set(bhttp::field::authorization, tpm_.authorization);
    if (activation_target_.empty()) {
      request.target("/v1/aik/challenges");
      request.body() = challenge_body_;
    } else {
      request.target(activation_target_);
      request.body() = activation_body_;
    }
  }

  Outcome OnResponse(const Response& response) override {
    if (activation_target_.empty()) return OnChallenge(response);
    Restart();
    return response.result_int() == 200 ? Outcome::kDone : Outcome::kFailed;
  }

  void Restart() override { activation_target_.clear(); }

 private:
  Outcome OnChallenge(const Response& response) {
    if (response.result_int() != 201) return Fail("challenge", response);
    boost::system::error_code ec;
    const boost::json::value body = boost::json::parse(response.body(), ec);
    if (ec || !body.is_object()) return Fail("challenge body", response);
    const boost::json::object& challenge = body.as_object();
    const auto* id = challenge.if_contains("id");
    const auto* blob = challenge.if_contains("credential_blob");
    const auto* secret = challenge.if_contains("encrypted_secret");
    const auto* name = challenge.if_contains("aik_name");
    if (id == nullptr || blob == nullptr || secret == nullptr || name == nullptr || !id->is_string() ||
        !blob->is_string() || !secret->is_string() || !name->is_string()) {
      return Fail("challenge fields", response);
    }
    auto id_object = vtpmd::Base64Decode(Text(*blob));
    auto encrypted_secret = vtpmd::Base64Decode(Text(*secret));
    auto aik_name = vtpmd::HexDecode(Text(*name));
    if (!id_object.ok() || !encrypted_secret.ok() || !aik_name.ok()) return Fail("challenge encoding", response);
    auto recovered = vtpmd::testing::ActivateCredential(
        tpm_.ek_key.get(), tpm_.ek_public, *aik_name,
        vtpmd::ca::CredentialBlob{std::move(*id_object), std::move(*encrypted_secret)});
    if (!recovered.ok()) return Fail("activation: " + recovered.error().message(), response);
    activation_target_ = "/v1/aik/challenges/" + std::string(Text(*id)) + "/activation";
    activation_body_ = "{\"secret\":\"" + vtpmd::Base64Encode(recovered->view()) + "\"}";
    return Outcome::kContinue;
  }

  // The first few failures are printed: a load of silent errors measures nothing.
  static Outcome Fail(const std::string& what, const Response& response) {
    static int printed = 0;
    if (printed < 5) {
      ++printed;
      std::fprintf(stderr, "vtpmd_enroll_loadgen: %s failed (HTTP %u): %.300s\n", what.c_str(), response.result_int(),
                   response.body().c_str());
    }
    return Outcome::kFailed;
  }

  const Tpm& tpm_;
  const std::string challenge_body_;
  std::string activation_target_;
  std::string activation_body_;
};

bool Fatal(const std::string& message) {
  std::fprintf(stderr, "vtpmd_enroll_loadgen: %s\n", message.c_str());
  return false;
}

bool LoadTpm(const std::string& token_file, const std::string& ek_key_file, const std::string& ek_certificate_file,
             Tpm& tpm) {
  auto token = vtpmd::ReadSmallFile(token_file, kMaxFileBytes);
  auto key_pem = vtpmd::ReadSmallFile(ek_key_file, kMaxFileBytes);
  auto certificate_pem = vtpmd::ReadSmallFile(ek_certificate_file, kMaxFileBytes);
  if (!token.ok() || !key_pem.ok() || !certificate_pem.ok()) return Fatal("cannot read the token, EK key or certificate");
  while (!token->empty() && (token->back() == '\n' || token->back() == '\r')) token->pop_back();
  tpm.authorization = "Bearer " + *token;
  tpm.ek_certificate_pem = std::move(*certificate_pem);
  vtpmd::ossl::BioPtr bio(BIO_new_mem_buf(key_pem->data(), static_cast<int>(key_pem->size())));
  tpm.ek_key.reset(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!tpm.ek_key) return Fatal("the EK key is not a PEM private key");
  auto ek_public = vtpmd::tpm::EkPublicFromKey(tpm.ek_key.get());
  if (!ek_public.ok()) return Fatal("EK: " + ek_public.error().message());
  tpm.ek_public = *ek_public;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  vtpmd::bench::LoadOptions options;
  std::string token_file, ek_key_file, ek_certificate_file;
  const bool parsed = vtpmd::bench::ParseLoadFlags(
      argc, argv, "vtpmd_enroll_loadgen", kUsage, options, [&](std::string_view flag, const char* value) {
        std::string* target = flag == "--token-file"       ? &token_file
                               : flag == "--ek-key"         ? &ek_key_file
                               : flag == "--ek-certificate" ? &ek_certificate_file
                                                            : nullptr;
        if (target != nullptr) *target = value;
        return target != nullptr;
      });
  if (!parsed) return 2;
  Tpm tpm;
  if (token_file.empty() || ek_key_file.empty() || ek_certificate_file.empty()) {
    std::fprintf(stderr, "vtpmd_enroll_loadgen: --token-file, --ek-key and --ek-certificate are required\n%s",
                 kUsage.data());
    return 2;
  }
  if (!LoadTpm(token_file, ek_key_file, ek_certificate_file, tpm)) return 2;

  auto make_sequence = [&tpm]() -> std::unique_ptr<RequestSequence> {
    vtpmd::ossl::PkeyPtr aik(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    auto aik_public = vtpmd::testing::SoftwareAikPublic(aik.get());
    if (!aik_public.ok()) {
      std::fprintf(stderr, "vtpmd_enroll_loadgen: AIK: %s\n", aik_public.error().message().c_str());
      std::exit(2);
    }
    boost::json::object body{{"ek_certificate", tpm.ek_certificate_pem},
                             {"aik_public", vtpmd::Base64Encode(*aik_public)}};
    return std::make_unique<Enrollment>(tpm, boost::json::serialize(body));
  };
  vtpmd::bench::LoadReport report;
  if (!vtpmd::bench::RunLoad(options, make_sequence, report)) return 2;
  vtpmd::bench::PrintReport(report, options, "enrollments", "eps");
  return 0;
}
