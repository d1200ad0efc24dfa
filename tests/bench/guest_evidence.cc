#include "tests/bench/guest_evidence.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>

#include "core/bytes.h"
#include "core/pcr_selection.h"
#include "core/random.h"
#include "core/tpm_wire.h"
#include "policy/event_log_json.h"
#include "server/http/tls_context.h"
#include "vtpm/credential_activation.h"
#include "vtpm/esys_context.h"
#include "vtpm/quote.h"
#include "vtpm/tpm_templates.h"

namespace vtpmd::bench {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using Request = bhttp::request<bhttp::string_body>;
using Response = bhttp::response<bhttp::string_body>;

constexpr TPM2_HANDLE kGuestRsaEk = 0x81010001;  // where vtpmd provisions a vTPM's RSA EK
constexpr std::size_t kNonceBytes = 16;
constexpr std::string_view kQuotedPcrs = "sha256:0,1,2,16";

Error Failure(std::string message) {
  return Internal(std::move(message));
}

// A blocking keep-alive HTTPS client for the preparation's few thousand requests,
// which need none of the load engine's concurrency.
class ApiClient {
 public:
  ApiClient(std::string host, unsigned port) : host_(std::move(host)), port_(port) {}

  Status Init() {
    // No verification: loopback only, against a server the benchmark started itself.
    return http::ConfigureClientTls(ssl_ctx_.native_handle(), "", true);
  }

  // One retry on a fresh connection: the server may have closed an idle one.
  Result<Response> Post(const std::string& target, const std::string& authorization, const std::string& body) {
    Result<Response> response = Exchange(target, authorization, body);
    if (response.ok()) return response;
    stream_.reset();
    return Exchange(target, authorization, body);
  }

 private:
  Status Connect() {
    beast::error_code ec;
    stream_.emplace(ioc_, ssl_ctx_);
    const tcp::endpoint endpoint(asio::ip::make_address(host_, ec), static_cast<std::uint16_t>(port_));
    if (!ec) beast::get_lowest_layer(*stream_).socket().connect(endpoint, ec);
    if (!ec) stream_->handshake(asio::ssl::stream_base::client, ec);
    if (ec) {
      stream_.reset();
      return Unavailable("connecting to " + host_ + ": " + ec.message());
    }
    return Ok();
  }

  Result<Response> Exchange(const std::string& target, const std::string& authorization, const std::string& body) {
    if (!stream_) VTPMD_RETURN_IF_ERROR(Connect());
    Request request(bhttp::verb::post, target, 11);
    request.set(bhttp::field::host, host_);
    request.set(bhttp::field::content_type, "application/json");
    request.set(bhttp::field::authorization, authorization);
    request.keep_alive(true);
    request.body() = body;
    request.prepare_payload();
    beast::error_code ec;
    bhttp::write(*stream_, request, ec);
    Response response;
    if (!ec) bhttp::read(*stream_, buffer_, response, ec);
    if (ec) {
      stream_.reset();
      buffer_.clear();
      return Unavailable("POST " + target + ": " + ec.message());
    }
    if (!response.keep_alive()) stream_.reset();
    return response;
  }

  const std::string host_;
  const unsigned port_;
  asio::io_context ioc_;
  asio::ssl::context ssl_ctx_{asio::ssl::context::tls_client};
  std::optional<beast::ssl_stream<beast::tcp_stream>> stream_;
  beast::flat_buffer buffer_;
};

Result<boost::json::object> JsonAnswer(const Result<Response>& response, unsigned expected_status,
                                       std::string_view what) {
  if (!response.ok()) return response.error();
  if (response->result_int() != expected_status) {
    return Failure(std::string(what) + ": HTTP " + std::to_string(response->result_int()) + ": " +
                   response->body().substr(0, 300));
  }
  boost::system::error_code ec;
  boost::json::value body = boost::json::parse(response->body(), ec);
  if (ec || !body.is_object()) return Failure(std::string(what) + ": the answer is not a JSON object");
  return std::move(body.as_object());
}

Result<std::string> StringField(const boost::json::object& object, std::string_view key) {
  const boost::json::value* value = object.if_contains(key);
  if (value == nullptr || !value->is_string()) return Failure("no string \"" + std::string(key) + "\" in the answer");
  return std::string(value->as_string());
}

// Primary keys are derived from the template: a distinct unique gives a distinct key.
template <typename Unique>
void Label(Unique& unique, unsigned index) {
  const std::string label = "vtpmd bench AIK " + std::to_string(index);
  unique.size = static_cast<std::uint16_t>(label.size());
  std::copy(label.begin(), label.end(), unique.buffer);
}

// tpm2_createak's default key: a restricted RSA-2048 signing key, RSASSA with SHA-256.
TPM2B_PUBLIC RsaAikTemplate() {
  TPM2B_PUBLIC pub = vtpm::AikTemplate();
  pub.publicArea.type = TPM2_ALG_RSA;
  pub.publicArea.parameters = {};
  TPMS_RSA_PARMS& rsa = pub.publicArea.parameters.rsaDetail;
  rsa.symmetric.algorithm = TPM2_ALG_NULL;
  rsa.scheme.scheme = TPM2_ALG_RSASSA;
  rsa.scheme.details.rsassa.hashAlg = TPM2_ALG_SHA256;
  rsa.keyBits = 2048;
  rsa.exponent = 0;  // 65537
  return pub;
}

// Everything the preparation needs from the guest's vTPM and the server.
class AikFactory {
 public:
  AikFactory(ESYS_CONTEXT* esys, ESYS_TR ek, ApiClient& api, const EvidencePlan& plan,
             const TPML_PCR_SELECTION& selection)
      : esys_(esys),
        ek_(ek),
        api_(api),
        plan_(plan),
        admin_authorization_("Bearer " + plan.admin_token),
        selection_(selection) {}

  // AIK `index`: created, enrolled, quoting plan.quotes_per_aik times, flushed.
  Result<PreparedAik> Prepare(unsigned index) {
    TPM2B_PUBLIC aik_template = AikTemplate(index);
    const TPM2B_SENSITIVE_CREATE sensitive{};
    const TPM2B_DATA outside_info{};
    const TPML_PCR_SELECTION creation_pcrs{};
    ESYS_TR aik_tr = ESYS_TR_NONE;
    TPM2B_PUBLIC* aik_public_raw = nullptr;
    VTPMD_RETURN_IF_ERROR(
        vtpm::CheckTss(Esys_CreatePrimary(esys_, ESYS_TR_RH_ENDORSEMENT, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
                                          &sensitive, &aik_template, &outside_info, &creation_pcrs, &aik_tr,
                                          &aik_public_raw, nullptr, nullptr, nullptr),
                       "TPM2_CreatePrimary(AIK)"));
    // The TPM holds only a few transient objects: this AIK goes before the next comes.
    vtpm::ScopedTr aik(esys_, aik_tr, vtpm::ScopedTr::Release::kFlush);
    vtpm::EsysOwned<TPM2B_PUBLIC> aik_public(aik_public_raw);

    VTPMD_ASSIGN_OR_RETURN(std::string chain_pem, Enroll(aik_tr, *aik_public));
    PreparedAik prepared;
    prepared.chain_tail = ",\"aik_certificate_chain\":" + JsonString(chain_pem) + "}}";
    prepared.quote_parts.reserve(plan_.quotes_per_aik);
    const TPMT_SIG_SCHEME key_scheme{.scheme = TPM2_ALG_NULL, .details = {}};
    for (unsigned q = 0; q < plan_.quotes_per_aik; ++q) {
      VTPMD_ASSIGN_OR_RETURN(Bytes nonce, rng_.Generate(kNonceBytes));
      TPM2B_DATA qualifying{};
      qualifying.size = static_cast<std::uint16_t>(nonce.size());
      std::copy(nonce.begin(), nonce.end(), qualifying.buffer);
      VTPMD_ASSIGN_OR_RETURN(vtpm::QuoteResult quote,
                             vtpm::QuoteAndReadPcrs(esys_, aik_tr, key_scheme, qualifying, selection_));
      prepared.quote_parts.push_back(
          "\"nonce\":\"" + HexEncode(nonce) + "\",\"evidence\":{\"quote\":\"" + Base64Encode(quote.attest) +
          "\",\"signature\":\"" + Base64Encode(quote.signature) +
          "\",\"pcr_values\":" + boost::json::serialize(policy::PcrValuesJsonObject(vtpm::ValuesByBank(quote.pcrs))));
    }
    return prepared;
  }

 private:
  // Challenge, activation in the vTPM, answer: the AIK's certificate chain.
  Result<std::string> Enroll(ESYS_TR aik_tr, const TPM2B_PUBLIC& aik_public) {
    VTPMD_ASSIGN_OR_RETURN(Bytes aik_public_wire, tpm::MarshalPublic(aik_public));
    const boost::json::object challenge_request{{"instance_id", plan_.instance_id},
                                                {"aik_public", Base64Encode(aik_public_wire)}};
    VTPMD_ASSIGN_OR_RETURN(
        boost::json::object challenge,
        JsonAnswer(api_.Post("/v1/aik/challenges", admin_authorization_, boost::json::serialize(challenge_request)),
                   201, "POST /v1/aik/challenges"));
    VTPMD_ASSIGN_OR_RETURN(std::string id, StringField(challenge, "id"));
    VTPMD_ASSIGN_OR_RETURN(std::string blob_b64, StringField(challenge, "credential_blob"));
    VTPMD_ASSIGN_OR_RETURN(std::string secret_b64, StringField(challenge, "encrypted_secret"));
    VTPMD_ASSIGN_OR_RETURN(Bytes blob, Base64Decode(blob_b64));
    VTPMD_ASSIGN_OR_RETURN(Bytes encrypted_secret, Base64Decode(secret_b64));
    VTPMD_ASSIGN_OR_RETURN(SecretBytes secret, vtpm::ActivateCredential(esys_, aik_tr, ek_, blob, encrypted_secret));
    const std::string activation_body = "{\"secret\":\"" + Base64Encode(secret.view()) + "\"}";
    VTPMD_ASSIGN_OR_RETURN(
        boost::json::object activation,
        JsonAnswer(api_.Post("/v1/aik/challenges/" + id + "/activation", admin_authorization_, activation_body), 200,
                   "POST /v1/aik/challenges/{id}/activation"));
    return StringField(activation, "chain_pem");
  }

  TPM2B_PUBLIC AikTemplate(unsigned index) const {
    if (plan_.aik_algorithm == AikAlgorithm::kRsa2048) {
      TPM2B_PUBLIC rsa = RsaAikTemplate();
      Label(rsa.publicArea.unique.rsa, index);
      return rsa;
    }
    TPM2B_PUBLIC ecc = vtpm::AikTemplate();
    Label(ecc.publicArea.unique.ecc.x, index);
    return ecc;
  }

  ESYS_CONTEXT* const esys_;
  const ESYS_TR ek_;
  ApiClient& api_;
  const EvidencePlan& plan_;
  const std::string admin_authorization_;
  const TPML_PCR_SELECTION selection_;
  OsRng rng_;
};

Status StartUp(ESYS_CONTEXT* esys) {
  const TSS2_RC rc = Esys_Startup(esys, TPM2_SU_CLEAR);
  // TPM_RC_INITIALIZE: someone (an earlier run, the guest) already started it.
  if (vtpm::BaseRc(rc) == TPM2_RC_INITIALIZE) return Ok();
  return vtpm::CheckTss(rc, "TPM2_Startup(CLEAR)");
}

}  // namespace

std::string JsonString(std::string_view text) {
  return boost::json::serialize(boost::json::string(text));
}

Result<std::vector<PreparedAik>> PrepareGuestEvidence(const EvidencePlan& plan) {
  VTPMD_ASSIGN_OR_RETURN(TPML_PCR_SELECTION selection, tpm::ParsePcrSelectionText(kQuotedPcrs));
  ApiClient api(plan.host, plan.port);
  VTPMD_RETURN_IF_ERROR(api.Init());
  VTPMD_ASSIGN_OR_RETURN(std::unique_ptr<vtpm::EsysContext> tpm, vtpm::EsysContext::Connect(plan.tcti));
  ESYS_CONTEXT* esys = tpm->get();
  VTPMD_RETURN_IF_ERROR(StartUp(esys));
  ESYS_TR ek_tr = ESYS_TR_NONE;
  VTPMD_RETURN_IF_ERROR(
      vtpm::CheckTss(Esys_TR_FromTPMPublic(esys, kGuestRsaEk, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &ek_tr),
                     "loading the vTPM's RSA EK at 0x81010001"));
  vtpm::ScopedTr ek(esys, ek_tr, vtpm::ScopedTr::Release::kClose);

  AikFactory factory(esys, ek_tr, api, plan, selection);
  std::vector<PreparedAik> prepared;
  prepared.reserve(plan.aiks);
  const auto started = std::chrono::steady_clock::now();
  for (unsigned i = 0; i < plan.aiks; ++i) {
    auto aik = factory.Prepare(i);
    if (!aik.ok()) return aik.error().WithContext("AIK " + std::to_string(i));
    prepared.push_back(std::move(aik).value());
    if ((i + 1) % 64 == 0 || i + 1 == plan.aiks) {
      std::fprintf(stderr, "vtpmd_attest_loadgen: prepared %u/%u AIKs x %u quotes in %.1f s\n", i + 1, plan.aiks,
                   plan.quotes_per_aik,
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    }
  }
  return prepared;
}

}  // namespace vtpmd::bench
