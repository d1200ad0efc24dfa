#pragma once
// Revoking certificates this CA issued. Call inside a Store transaction together
// with the event that records it, so no revocation goes unannounced.

#include <string>
#include <string_view>
#include <vector>

#include "ca/certificate_record.h"
#include "ca/revocation_reason.h"
#include "core/clock.h"
#include "core/result.h"
#include "core/store.h"

namespace vtpmd::ca {

// Revokes an end-entity certificate (EK', AIK', ...). Issuer certificates are
// refused: an issuer is retired by rotating it, not by a CRL entry its own parent
// would have to publish. Revoking twice is a conflict, not a silent no-op, so the
// first reason and time stand.
Result<CertificateRecord> RevokeCertificate(Store& store, std::string_view serial, RevocationReason reason,
                                            TimePoint now);

// Revokes every certificate of the instance that is not revoked yet; returns them.
Result<std::vector<CertificateRecord>> RevokeInstanceCertificates(Store& store, std::string_view instance_id,
                                                                  RevocationReason reason, TimePoint now);

}  // namespace vtpmd::ca
