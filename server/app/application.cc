#include "server/app/application.h"

#include <openssl/crypto.h>

#include <boost/json.hpp>

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <thread>

#include "ca/chain_verifier.h"
#include "ca/key_algorithm.h"
#include "ca/private_key.h"
#include "core/file_io.h"
#include "core/openssl.h"
#include "core/pcr_selection.h"
#include "schema/schema.h"
#include "server/api/attestation_routes.h"
#include "server/api/ca_routes.h"
#include "server/api/certificate_routes.h"
#include "server/api/ek_certificate_routes.h"
#include "server/api/enrollment_routes.h"
#include "server/api/event_routes.h"
#include "server/api/event_stream_routes.h"
#include "server/api/instance_routes.h"
#include "server/api/policy_routes.h"
#include "server/api/subscription_routes.h"
#include "server/api/system_routes.h"
#include "server/api/token_routes.h"
#include "server/app/data_key.h"
#include "server/app/log.h"
#include "server/app/platform_endorsement.h"
#include "server/app/platform_enrollment.h"

namespace vtpmd::app {
namespace {

constexpr std::string_view kAdminTokenFile = "admin.token";
constexpr std::string_view kRootCaFile = "root-ca.pem";
constexpr std::size_t kMaxManufacturerRootsBytes = 4 * 1024 * 1024;

Result<std::vector<ossl::X509Ptr>> LoadManufacturerRoots(const std::optional<std::filesystem::path>& path) {
  if (!path) return std::vector<ossl::X509Ptr>();
  VTPMD_ASSIGN_OR_RETURN(std::string pem, ReadSmallFile(*path, kMaxManufacturerRootsBytes));
  auto roots = ca::ParsePemBundle(pem);
  if (!roots.ok()) return roots.error().WithContext("manufacturer roots " + path->string());
  return roots;
}

constexpr char kPlatformBindingPcrs[] = "sha256:0,1,2,3,4,5,6,7";

std::string HostName() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "localhost";
  return name;
}

std::string ServerUrl(const std::string& host, std::uint16_t port) {
  const bool ipv6 = host.find(':') != std::string::npos;
  return "https://" + (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

}  // namespace

Application::~Application() {
  // Answers to requests whose writes were still being flushed use the services and
  // the server below; they go before any of those does.
  if (store_) store_->SettleCallbacks();
}

Result<std::unique_ptr<Application>> Application::Start(const Config& config) {
  std::unique_ptr<Application> app(new Application(config));
  VTPMD_ASSIGN_OR_RETURN(app->data_dir_, DataDirectory::OpenAndLock(config.data_dir));
  auto store = Store::Open(app->data_dir_->File("vtpmd.db"), schema::Migrations());
  if (!store.ok()) return store.error().WithContext("opening the store");
  app->store_ = std::move(*store);
  VTPMD_RETURN_IF_ERROR(app->OpenTrustChain());
  app->tokens_ = std::make_unique<auth::TokenStore>(*app->store_, app->clock_, app->rng_);
  app->authorizer_ = std::make_unique<auth::Authorizer>(*app->tokens_);
  VTPMD_RETURN_IF_ERROR(app->EnsureAdminToken());
  VTPMD_RETURN_IF_ERROR(app->StartInstances());
  VTPMD_RETURN_IF_ERROR(app->StartAttestations());
  VTPMD_RETURN_IF_ERROR(app->StartNotifications());
  VTPMD_RETURN_IF_ERROR(app->BuildRoutes());
  VTPMD_RETURN_IF_ERROR(app->StartServer());
  return app;
}

Status Application::OpenTrustChain() {
  vtpm::PlatformTpmOptions tpm_options{config_.platform_tpm, data_dir_->File("platform-tpm"),
                                       config_.platform_quote_latency};
  auto platform = vtpm::PlatformTpm::Open(tpm_options);
  if (!platform.ok()) return platform.error().WithContext("platform TPM (" + config_.platform_tpm + ")");
  platform_ = std::move(*platform);
  if (platform_->simulated()) {
    Log(LogLevel::kWarning,
        "SIMULATED platform TPM: vtpmd runs its own swtpm in " + tpm_options.runtime_dir.string() +
            "; nothing this host attests is rooted in hardware. Use --platform-tpm device:/dev/tpmrm0 in production.");
  }

  VTPMD_ASSIGN_OR_RETURN(data_key_, LoadOrCreateDataKey(*store_, *platform_, clock_, rng_));

  auto algorithm = ca::KeyAlgorithmFromName(config_.ca_algorithm);
  if (!algorithm.ok()) return algorithm.error().WithContext("--ca-algorithm");
  ca::CaOptions ca_options;
  ca_options.algorithm = *algorithm;
  ca_options.tls_dns_names = config_.tls_dns_names;
  ca_options.tls_ip_addresses = config_.tls_ip_addresses;
  ca_options.simulated_platform = platform_->simulated();
  ca_options.host_name = HostName();
  auto hierarchy = ca::CaHierarchy::LoadOrCreate(*store_, data_key_, ca_options, clock_, rng_);
  if (!hierarchy.ok()) return hierarchy.error().WithContext("CA hierarchy");
  ca_ = std::move(*hierarchy);

  VTPMD_ASSIGN_OR_RETURN(manufacturer_roots_, LoadManufacturerRoots(config_.manufacturer_roots));
  std::vector<X509*> root_ptrs;
  for (const auto& root : manufacturer_roots_) root_ptrs.push_back(root.get());
  auto ek_certificates = EstablishPlatformEkCertificates(*platform_, *ca_, *store_, root_ptrs, clock_, rng_);
  if (!ek_certificates.ok()) return ek_certificates.error().WithContext("platform EK certificates");
  for (const auto& ek : *ek_certificates) {
    if (ek.status != EkCertificateStatus::kVerified) {
      Log(LogLevel::kWarning, "platform EK certificate at NV " + std::to_string(ek.nv_index) + " is " +
                                  std::string(EkCertificateStatusName(ek.status)) + ": " + ek.detail);
    }
  }
  platform_view_ = std::make_unique<api::PlatformView>(
      api::PlatformView{*platform_, config_.platform_tpm, std::move(*ek_certificates)});

  VTPMD_ASSIGN_OR_RETURN(const ca::Issuer* root, ca_->issuer(ca::IssuerRole::kRoot));
  VTPMD_ASSIGN_OR_RETURN(std::string root_pem, ossl::CertificatePem(root->certificate.get()));
  return data_dir_->WriteFileAtomically(kRootCaFile, root_pem, 0644);
}

Status Application::EnsureAdminToken() {
  VTPMD_ASSIGN_OR_RETURN(std::size_t admins, tokens_->CountActive(auth::Role::kAdmin));
  if (admins > 0) return Ok();
  VTPMD_ASSIGN_OR_RETURN(auth::IssuedToken token, tokens_->Issue(auth::Role::kAdmin, "bootstrap admin", std::nullopt));
  VTPMD_RETURN_IF_ERROR(data_dir_->WriteFileAtomically(kAdminTokenFile, AsChars(token.token.view()), 0600));
  Log(LogLevel::kInfo,
      "created the first admin token: " + std::filesystem::absolute(data_dir_->File(kAdminTokenFile)).string());
  return Ok();
}

Status Application::StartInstances() {
  VTPMD_ASSIGN_OR_RETURN(events_, EventLog::Open(*store_, clock_, rng_));
  certificates_ = std::make_unique<CertificateService>(*store_, *ca_, *events_, clock_);
  policies_ = std::make_unique<PolicyService>(*store_, *events_, clock_);
  // Hardware TPMs enroll with EK certificates under the configured manufacturer roots.
  std::vector<ossl::X509Ptr> manufacturers;
  for (const auto& root : manufacturer_roots_) manufacturers.push_back(ossl::ShareCertificate(root.get()));
  // Instances are looked up only by requests, which start after instances_ does.
  auto lookup = [this](std::string_view id) { return instances_->Get(id); };
  auto enrollment = EnrollmentService::Create(*store_, *ca_, lookup, *events_, std::move(manufacturers),
                                              ca::EnrollmentPolicy{}, ca::PlatformPolicy{}, clock_, rng_);
  if (!enrollment.ok()) return enrollment.error().WithContext("AIK enrollment");
  enrollment_ = std::move(*enrollment);
  // Before any instance is provisioned: method aik-certifies-ek quotes with it.
  VTPMD_RETURN_IF_ERROR(EnrollPlatformAik());

  InstanceManager::Options options{data_dir_->File("instances"), config_.socket_dir, config_.threads, PlatformBinder(),
                                   enrollment_->has_host_signer()};
  auto instances = InstanceManager::Start(options, *store_, *events_, *ca_, data_key_, clock_, rng_);
  if (!instances.ok()) return instances.error().WithContext("vTPM instances");
  instances_ = std::move(*instances);
  return Ok();
}

ca::PlatformBinder Application::PlatformBinder() {
  if (platform_aik_certificate_.empty()) return nullptr;
  return [platform = platform_.get(), aik = platform_aik_certificate_](ByteView digest) -> Result<ca::PlatformBinding> {
    // The boot chain up to the OS loader: what a verifier appraises a host by.
    VTPMD_ASSIGN_OR_RETURN(TPML_PCR_SELECTION selection, tpm::ParsePcrSelectionText(kPlatformBindingPcrs));
    VTPMD_ASSIGN_OR_RETURN(vtpm::QuoteResult quote, platform->Quote(digest, selection));
    Bytes values;
    for (const Bytes& value : vtpm::ValuesInTpmOrder(quote.pcrs))
      values.insert(values.end(), value.begin(), value.end());
    return ca::PlatformBinding{aik, std::move(quote.attest), std::move(quote.signature), std::move(values)};
  };
}

Status Application::EnrollPlatformAik() {
  const auto rsa_ek = std::find_if(platform_view_->ek_certificates.begin(), platform_view_->ek_certificates.end(),
                                   [](const PlatformEkCertificate& ek) { return ek.key_handle == vtpm::kEkRsaHandle; });
  if (rsa_ek == platform_view_->ek_certificates.end() || rsa_ek->status != EkCertificateStatus::kVerified) {
    // Without a trusted EK certificate the privacy CA has nothing to vouch with.
    Log(LogLevel::kWarning, "the platform AIK is not enrolled: the platform's RSA EK certificate is not verified");
    return Ok();
  }
  VTPMD_ASSIGN_OR_RETURN(ossl::X509Ptr ek_certificate, ossl::ParseCertificateDer(*rsa_ek->der));
  auto certificate =
      EnsurePlatformAikCertificate(*platform_, *enrollment_, *store_, ek_certificate.get(), HostName(), clock_);
  if (!certificate.ok()) return certificate.error().WithContext("enrolling the platform AIK");
  VTPMD_ASSIGN_OR_RETURN(platform_view_->aik_certificate_chain_pem,
                         ca_->ChainPem(certificate->get(), ca::IssuerRole::kPrivacyCa));
  VTPMD_ASSIGN_OR_RETURN(platform_aik_certificate_, ossl::CertificateDer(certificate->get()));
  auto host_signer = EnsureHostSigner(*platform_, *ca_, certificate->get(), *store_, HostName(), clock_, rng_);
  if (!host_signer.ok()) return host_signer.error().WithContext("certifying the host signing key");
  enrollment_->SetHostSigner(std::move(*host_signer));
  return Ok();
}

Status Application::StartAttestations() {
  VTPMD_ASSIGN_OR_RETURN(TPML_PCR_SELECTION selection, tpm::ParsePcrSelectionText(kPlatformBindingPcrs));
  PlatformLink platform{PlatformTpmQuoter(*platform_, selection), platform_view_->aik_certificate_chain_pem,
                        std::nullopt};
  DeepQuoteBatcherOptions batching{config_.deep_quote_window, config_.deep_quote_max_batch,
                                   config_.deep_quote_max_in_flight};
  auto attestations =
      AttestationService::Create(*store_, *events_, *policies_, *ca_, std::move(platform), batching,
                                 config_.attestation_retention, clock_, rng_);
  if (!attestations.ok()) return attestations.error().WithContext("attestation service");
  attestations_ = std::move(*attestations);
  return Ok();
}

Status Application::StartNotifications() {
  auto notifications = app::StartNotifications(config_, *store_, *events_, data_key_, clock_, rng_);
  if (!notifications.ok()) return notifications.error().WithContext("notifications");
  notifications_ = std::move(*notifications);
  return Ok();
}

Status Application::BuildRoutes() {
  VTPMD_RETURN_IF_ERROR(api::AddSystemRoutes(router_, metrics_));
  VTPMD_RETURN_IF_ERROR(api::AddTokenRoutes(router_, *authorizer_, *tokens_));
  VTPMD_RETURN_IF_ERROR(api::AddCaRoutes(router_, *ca_));
  VTPMD_RETURN_IF_ERROR(api::AddCertificateRoutes(router_, *authorizer_, *certificates_));
  VTPMD_RETURN_IF_ERROR(api::AddEkCertificateRoutes(router_, *authorizer_, *ca_, *store_, *events_, clock_, rng_));
  VTPMD_RETURN_IF_ERROR(api::AddEnrollmentRoutes(router_, *authorizer_, *enrollment_));
  VTPMD_RETURN_IF_ERROR(api::AddPlatformRoutes(router_, *authorizer_, *platform_view_));
  VTPMD_RETURN_IF_ERROR(api::AddInstanceRoutes(router_, *authorizer_, *instances_));
  VTPMD_RETURN_IF_ERROR(api::AddEventRoutes(router_, *authorizer_, *events_));
  VTPMD_ASSIGN_OR_RETURN(std::shared_ptr<api::EventStreams> streams,
                         api::AddEventStreamRoutes(router_, *authorizer_, *events_, clock_,
                                                   {config_.stream_heartbeat, config_.stream_queue_bytes,
                                                    config_.max_streams}));
  // What a token owned goes with it: its subscriptions in the revocation's own
  // transaction, its live streams once the revocation is durable.
  SubscriptionService* subscriptions = notifications_->subscriptions.get();
  Store* store = store_.get();
  tokens_->OnRevocation([subscriptions, store, streams](std::string_view id) -> Status {
    VTPMD_RETURN_IF_ERROR(subscriptions->DisableOwnedBy(id));
    store->AfterDurable([streams, token_id = std::string(id)] { streams->EndStreamsOf(token_id); });
    return Ok();
  });
  VTPMD_RETURN_IF_ERROR(api::AddPolicyRoutes(router_, *authorizer_, *policies_));
  VTPMD_RETURN_IF_ERROR(api::AddAttestationRoutes(router_, *authorizer_, *attestations_));
  VTPMD_RETURN_IF_ERROR(api::AddSubscriptionRoutes(router_, *authorizer_, *notifications_->subscriptions));
  const double simulated = platform_->simulated() ? 1.0 : 0.0;
  return metrics_.RegisterGauge("vtpmd_platform_tpm_simulated",
                                "1 when the platform TPM is vtpmd's own swtpm rather than hardware",
                                [simulated] { return simulated; });
}

Result<http::TlsIdentity> Application::TlsIdentity() const {
  constexpr std::size_t kMaxPemBytes = 1024 * 1024;
  http::TlsIdentity identity;
  if (config_.tls_certificate) {
    VTPMD_ASSIGN_OR_RETURN(identity.certificate_chain_pem, ReadSmallFile(*config_.tls_certificate, kMaxPemBytes));
    VTPMD_ASSIGN_OR_RETURN(std::string key, ReadSmallFile(*config_.tls_private_key, kMaxPemBytes));
    identity.private_key_pem = SecretBytes::CopyFrom(AsBytes(key));
    OPENSSL_cleanse(key.data(), key.size());
    return identity;
  }
  VTPMD_ASSIGN_OR_RETURN(const ca::Issuer* tls, ca_->issuer(ca::IssuerRole::kHostTls));
  VTPMD_ASSIGN_OR_RETURN(const ca::Issuer* root, ca_->issuer(ca::IssuerRole::kRoot));
  VTPMD_ASSIGN_OR_RETURN(std::string leaf_pem, ossl::CertificatePem(tls->certificate.get()));
  VTPMD_ASSIGN_OR_RETURN(std::string root_pem, ossl::CertificatePem(root->certificate.get()));
  identity.certificate_chain_pem = leaf_pem + root_pem;
  VTPMD_ASSIGN_OR_RETURN(identity.private_key_pem, ca::ExportPkcs8Pem(tls->private_key.get()));
  return identity;
}

Status Application::StartServer() {
  http::ServerOptions options;
  options.host = config_.listen_host;
  options.port = config_.listen_port;
  // The busy handlers never wait on an I/O thread: attestations finish on the
  // deep-quote batcher and the result writer, AIK activations answer once the
  // store's flusher is done. A few others still wait (an administrator's write for
  // its flush): a second thread per core keeps the other connections served then.
  // More cost CPU in switches: 16 threads here did 7 % more work per attestation.
  constexpr unsigned kIoThreadsPerCore = 2;
  options.threads =
      config_.threads != 0 ? config_.threads : kIoThreadsPerCore * std::max(1u, std::thread::hardware_concurrency());
  options.limits.header_limit = config_.header_limit;
  options.limits.body_limit = config_.body_limit;
  options.limits.read_timeout = config_.read_timeout;
  options.limits.idle_timeout = config_.idle_timeout;
  options.limits.max_pipelined = config_.max_pipelined;
  options.limits.max_connections = config_.max_connections;
  VTPMD_ASSIGN_OR_RETURN(options.tls, TlsIdentity());

  const http::Router& router = router_;
  auto server = http::HttpsServer::Create(
      std::move(options), [&router](const http::HttpRequest& request, http::Responder respond) {
        router.Dispatch(request, std::move(respond));
      },
      config_.access_log ? &access_log_ : nullptr, &metrics_);
  if (!server.ok()) return server.error().WithContext("listening on " + config_.listen_host);
  server_ = std::move(*server);

  const std::string url = ServerUrl(config_.listen_host, server_->port());
  Log(LogLevel::kInfo, "vtpmd " VTPMD_VERSION " serving on " + url);
  if (!config_.ready_file) return Ok();
  boost::json::object ready{{"url", url},
                            {"port", server_->port()},
                            {"admin_token_file", std::filesystem::absolute(data_dir_->File(kAdminTokenFile)).string()},
                            {"root_ca_file", std::filesystem::absolute(data_dir_->File(kRootCaFile)).string()},
                            {"simulated", platform_->simulated()}};
  std::ofstream out(*config_.ready_file, std::ios::trunc);
  out << boost::json::serialize(ready) << '\n';
  if (!out.flush()) return Unavailable("cannot write ready file " + config_.ready_file->string());
  return Ok();
}

void Application::Run() {
  server_->Run();
  Log(LogLevel::kInfo, "vtpmd stopped");
}

}  // namespace vtpmd::app
