#include "server/app/data_key.h"

#include <chrono>

namespace vtpmd::app {
namespace {
constexpr std::string_view kDataKeyName = "ca-data-key";
constexpr std::size_t kDataKeyBytes = 32;
}  // namespace

Result<SecretBytes> LoadOrCreateDataKey(Store& store, vtpm::PlatformTpm& platform, const Clock& clock, Rng& rng) {
  VTPMD_ASSIGN_OR_RETURN(auto select, store.Prepare("SELECT blob FROM sealed_secrets WHERE name = ?"));
  select.Bind(1, kDataKeyName);
  VTPMD_ASSIGN_OR_RETURN(bool found, select.Step());
  if (found) {
    auto key = platform.Unseal(select.Blob(0));
    if (!key.ok()) {
      return key.error().WithContext("unsealing the CA data key (was the data directory moved to another TPM?)");
    }
    if (key->size() != kDataKeyBytes) return Internal("unsealed CA data key has the wrong size");
    return std::move(*key);
  }

  VTPMD_ASSIGN_OR_RETURN(SecretBytes key, rng.GenerateSecret(kDataKeyBytes));
  VTPMD_ASSIGN_OR_RETURN(Bytes sealed, platform.Seal(key));
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(clock.Now().time_since_epoch()).count();
  VTPMD_ASSIGN_OR_RETURN(auto insert,
                         store.Prepare("INSERT INTO sealed_secrets(name, blob, created_at) VALUES(?, ?, ?)"));
  VTPMD_RETURN_IF_ERROR(insert.Bind(1, kDataKeyName).Bind(2, ByteView(sealed)).Bind(3, std::int64_t{now}).Run());
  return key;
}

}  // namespace vtpmd::app
