#pragma once

#include "ca/hierarchy.h"
#include "core/clock.h"
#include "core/random.h"
#include "core/store.h"
#include "server/app/event_log.h"
#include "server/auth/authorizer.h"
#include "server/http/router.h"

namespace vtpmd::api {

// POST /v1/ek-certificates (admin or host): the EK authority certifies the EK of a
// TPM a host manufactured itself (swtpm_setup with vtpm-create-certs), under the TCG
// EK Credential Profile like the EK' certificates of vtpmd's own vTPMs. Each one is
// recorded in the certificates table and announced as a certificate.issued event.
Status AddEkCertificateRoutes(http::Router& router, const auth::Authorizer& authorizer,
                              const ca::CaHierarchy& hierarchy, Store& store, app::EventLog& events, const Clock& clock,
                              Rng& rng);

}  // namespace vtpmd::api
