#pragma once

#include <vector>

#include "server/app/platform_endorsement.h"
#include "server/auth/authorizer.h"
#include "server/http/router.h"
#include "vtpm/platform_tpm.h"

namespace vtpmd::api {

struct PlatformView {
  vtpm::PlatformTpm& tpm;
  std::string tcti;
  std::vector<app::PlatformEkCertificate> ek_certificates;
  // The platform AIK's certificate, privacy CA and root (PEM), once enrolled.
  std::string aik_certificate_chain_pem = {};
};

// GET /v1/platform (any role), POST /v1/platform/quote (admin, challenger, host).
Status AddPlatformRoutes(http::Router& router, const auth::Authorizer& authorizer, const PlatformView& platform);

}  // namespace vtpmd::api
