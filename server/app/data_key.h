#pragma once
// The data key encrypts the CA private keys. It exists in clear only in vtpmd's
// memory; at rest it is sealed to the platform TPM, so a copy of the data
// directory without that TPM reveals no CA key.

#include "core/clock.h"
#include "core/random.h"
#include "core/result.h"
#include "core/secret_bytes.h"
#include "core/store.h"
#include "vtpm/platform_tpm.h"

namespace vtpmd::app {

Result<SecretBytes> LoadOrCreateDataKey(Store& store, vtpm::PlatformTpm& platform, const Clock& clock, Rng& rng);

}  // namespace vtpmd::app
