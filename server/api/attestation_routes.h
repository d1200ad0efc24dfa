#pragma once

#include "server/app/attestation_service.h"
#include "server/auth/authorizer.h"
#include "server/http/router.h"

namespace vtpmd::api {

// /v1/attestations (challengers: attest an instance, read results),
// /v1/platform/attestations (attest the host alone) and /.well-known/jwks.json
// (the attestation-result signer's public keys, for anyone who checks a token).
Status AddAttestationRoutes(http::Router& router, const auth::Authorizer& authorizer,
                            app::AttestationService& attestations);

}  // namespace vtpmd::api
