#pragma once
// Composes vtpmd from its parts, in the order that trust flows: data directory,
// store, platform TPM, the data key sealed to it, the CA hierarchy that key
// protects, the platform's EK certificates, tokens, and finally the HTTPS server.

#include <memory>
#include <vector>

#include "ca/hierarchy.h"
#include "core/clock.h"
#include "core/random.h"
#include "core/store.h"
#include "server/api/platform_routes.h"
#include "server/app/attestation_service.h"
#include "server/app/certificate_service.h"
#include "server/app/config.h"
#include "server/app/data_directory.h"
#include "server/app/enrollment_service.h"
#include "server/app/event_log.h"
#include "server/app/instance_manager.h"
#include "server/app/notifications.h"
#include "server/app/policy_service.h"
#include "server/auth/authorizer.h"
#include "server/auth/token_store.h"
#include "server/http/access_log.h"
#include "server/http/https_server.h"
#include "server/http/metrics.h"
#include "server/http/router.h"
#include "vtpm/platform_tpm.h"

namespace vtpmd::app {

class Application {
 public:
  // Everything up to a listening socket; the ready file is written before returning.
  static Result<std::unique_ptr<Application>> Start(const Config& config);
  ~Application();

  // Serves until SIGINT/SIGTERM, then drains and returns.
  void Run();

 private:
  explicit Application(const Config& config) : config_(config) {}

  Status OpenTrustChain();
  Status EnsureAdminToken();
  Status StartInstances();
  Status EnrollPlatformAik();
  Status StartAttestations();
  Status StartNotifications();
  // Empty until the platform AIK is enrolled.
  ca::PlatformBinder PlatformBinder();
  Status BuildRoutes();
  Result<http::TlsIdentity> TlsIdentity() const;
  Status StartServer();

  Config config_;
  SystemClock clock_;
  OsRng rng_;
  std::unique_ptr<DataDirectory> data_dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<vtpm::PlatformTpm> platform_;
  SecretBytes data_key_;
  std::unique_ptr<ca::CaHierarchy> ca_;
  std::vector<ossl::X509Ptr> manufacturer_roots_;  // configured TPM vendor roots
  Bytes platform_aik_certificate_;                 // DER, once enrolled
  std::unique_ptr<EventLog> events_;
  std::unique_ptr<CertificateService> certificates_;
  std::unique_ptr<PolicyService> policies_;
  std::unique_ptr<InstanceManager> instances_;
  std::unique_ptr<EnrollmentService> enrollment_;
  std::unique_ptr<api::PlatformView> platform_view_;
  std::unique_ptr<auth::TokenStore> tokens_;
  std::unique_ptr<auth::Authorizer> authorizer_;
  http::Metrics metrics_;
  http::AccessLog access_log_;
  http::Router router_;
  std::unique_ptr<http::HttpsServer> server_;
  // After server_, so destroyed before it: finishing the attestations in progress
  // answers their requests through the server's connections.
  std::unique_ptr<AttestationService> attestations_;
  std::unique_ptr<Notifications> notifications_;  // last: its deliveries stop first
};

}  // namespace vtpmd::app
