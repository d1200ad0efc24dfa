#pragma once

#include "server/app/certificate_service.h"
#include "server/auth/authorizer.h"
#include "server/http/router.h"

namespace vtpmd::api {

// /v1/certificates (admin): list, show, revoke. /v1/ca/{issuer}/crl: public, since
// relying parties must be able to check revocation without an account here.
Status AddCertificateRoutes(http::Router& router, const auth::Authorizer& authorizer,
                            app::CertificateService& certificates);

}  // namespace vtpmd::api
