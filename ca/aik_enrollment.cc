#include "ca/aik_enrollment.h"

#include "ca/aik_certificate.h"
#include "ca/aik_public.h"
#include "ca/credential_file.h"
#include "ca/make_credential.h"
#include "ca/serial_number.h"
#include "ca/x509_time.h"
#include "core/crypto.h"
#include "core/tpm_ek_template.h"
#include "core/tpm_keys.h"
#include "core/uuid.h"

namespace vtpmd::ca {
namespace {

// As long as the largest digest a TPM credential may carry (SHA-256's).
constexpr std::size_t kSecretSize = 32;
// Spent and expired challenges stay this long, for audit, before they are swept.
constexpr std::chrono::hours kChallengeRetention{24};

Status SweepAndCheckCapacity(Store& store, TimePoint now, std::size_t max_pending) {
  VTPMD_ASSIGN_OR_RETURN(auto sweep, store.Prepare("DELETE FROM aik_challenges WHERE expires_at < ?"));
  VTPMD_RETURN_IF_ERROR(sweep.Bind(1, ToUnixSeconds(now - kChallengeRetention)).Run());
  VTPMD_ASSIGN_OR_RETURN(auto count, store.Prepare("SELECT COUNT(*) FROM aik_challenges "
                                                   "WHERE state = 'pending' AND expires_at > ?"));
  count.Bind(1, ToUnixSeconds(now));
  VTPMD_ASSIGN_OR_RETURN(bool row, count.Step());
  if (row && count.Int(0) >= static_cast<std::int64_t>(max_pending)) {
    return ResourceExhausted("too many AIK enrollments are pending; retry once some have completed or expired");
  }
  return Ok();
}

constexpr std::string_view kHostSigner = "host";
constexpr std::string_view kPrivacyCaSigner = "privacy-ca";

struct StoredChallenge {
  std::string instance_id;
  std::string vm_id;
  std::string host_name;
  TimePoint ek_not_after;
  Bytes aik_public;
  Bytes secret_hash;
  TimePoint expires_at;
  std::string state;
  bool host_signed;
  bool platform;
};

Result<StoredChallenge> LoadChallenge(Store& store, std::string_view id) {
  VTPMD_ASSIGN_OR_RETURN(auto select,
                         store.Prepare("SELECT instance_id, vm_id, host_name, ek_not_after, aik_public, secret_hash, "
                                       "expires_at, state, signer, platform FROM aik_challenges WHERE id = ?"));
  select.Bind(1, id);
  VTPMD_ASSIGN_OR_RETURN(bool found, select.Step());
  if (!found) return NotFound("no AIK challenge " + std::string(id));
  return StoredChallenge{.instance_id = select.Text(0),
                         .vm_id = select.Text(1),
                         .host_name = select.Text(2),
                         .ek_not_after = TimePoint(std::chrono::seconds(select.Int(3))),
                         .aik_public = select.Blob(4),
                         .secret_hash = select.Blob(5),
                         .expires_at = TimePoint(std::chrono::seconds(select.Int(6))),
                         .state = select.Text(7),
                         .host_signed = select.Text(8) == kHostSigner,
                         .platform = select.Int(9) != 0};
}

// Uses the challenge up, unless another attempt already did: the first to commit
// decides. Whether this call was that one is the answer.
Result<bool> MarkUsed(Store& store, std::string_view id, std::string_view state, std::string_view serial) {
  VTPMD_ASSIGN_OR_RETURN(auto update, store.Prepare("UPDATE aik_challenges SET state = ?, certificate_serial = ? "
                                                    "WHERE id = ? AND state = 'pending'"));
  update.Bind(1, state).Bind(3, id);
  if (serial.empty()) {
    update.BindNull(2);
  } else {
    update.Bind(2, serial);
  }
  VTPMD_RETURN_IF_ERROR(update.Run());
  return update.Changes() == 1;
}

std::optional<Error> Refusal(const StoredChallenge& challenge, TimePoint now, ByteView offered_hash) {
  if (challenge.state != "pending") return FailedPrecondition("the AIK challenge was already used");
  if (now >= challenge.expires_at) return FailedPrecondition("the AIK challenge has expired; request a new one");
  if (!ConstantTimeEquals(offered_hash, challenge.secret_hash)) {
    return PermissionDenied("the secret does not match: this TPM did not activate the credential");
  }
  return std::nullopt;
}

}  // namespace

Result<TPMT_PUBLIC> AikEnrollment::EndorsementKey(const EndorsementClaim& claim) const {
  EVP_PKEY* certified = X509_get0_pubkey(claim.ek_certificate);
  if (certified == nullptr) return InvalidArgument("the EK certificate has no usable public key");
  if (!claim.ek_public) return tpm::EkPublicFromKey(certified);
  VTPMD_ASSIGN_OR_RETURN(ossl::PkeyPtr key, tpm::PublicKeyFromTpm(*claim.ek_public));
  if (EVP_PKEY_eq(key.get(), certified) != 1) {
    return Unsupported("the EK certificate certifies another key than this TPM's EK");
  }
  return *claim.ek_public;
}

Result<IssuedChallenge> AikEnrollment::Challenge(const EndorsementClaim& claim, ByteView aik_public) {
  const TimePoint now = clock_.Now();
  if (claim.host_signed && host_signer_ == nullptr) {
    return FailedPrecondition("this host has no certified host signing key (method aik-certifies-aik)");
  }
  auto aik = AikPublic::Create(aik_public);
  if (!aik.ok()) return aik.error().WithContext("AIK public area");
  VTPMD_ASSIGN_OR_RETURN(EkCertificateVerifier::Origin origin, ek_verifier_.Verify(claim.ek_certificate, now));
  const bool platform = origin == EkCertificateVerifier::Origin::kManufacturer && claim.instance_id.empty();
  VTPMD_ASSIGN_OR_RETURN(TPMT_PUBLIC ek, EndorsementKey(claim));
  VTPMD_ASSIGN_OR_RETURN(TimePoint ek_not_after, ToTimePoint(X509_get0_notAfter(claim.ek_certificate)));

  VTPMD_ASSIGN_OR_RETURN(SecretBytes secret, rng_.GenerateSecret(kSecretSize));
  VTPMD_ASSIGN_OR_RETURN(CredentialBlob credential, MakeCredential(ek, aik->name(), secret, rng_));
  VTPMD_ASSIGN_OR_RETURN(Bytes file, EncodeCredentialFile(credential));
  VTPMD_ASSIGN_OR_RETURN(Bytes secret_hash, Sha256(secret.view()));
  VTPMD_ASSIGN_OR_RETURN(std::string id, NewUuid(rng_));
  const TimePoint expires_at = std::chrono::time_point_cast<std::chrono::seconds>(now + policy_.challenge_lifetime);

  VTPMD_RETURN_IF_ERROR(store_.Transaction([&]() -> Status {
    VTPMD_RETURN_IF_ERROR(SweepAndCheckCapacity(store_, now, policy_.max_pending_challenges));
    VTPMD_ASSIGN_OR_RETURN(
        auto insert,
        store_.Prepare("INSERT INTO aik_challenges(id, instance_id, vm_id, host_name, ek_not_after, aik_public, "
                       "secret_hash, created_at, expires_at, state, signer, platform) "
                       "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)"));
    insert.Bind(1, id)
        .Bind(2, claim.instance_id)
        .Bind(3, claim.vm_id)
        .Bind(4, claim.host_name)
        .Bind(5, ToUnixSeconds(ek_not_after))
        .Bind(6, aik_public)
        .Bind(7, ByteView(secret_hash))
        .Bind(8, ToUnixSeconds(now))
        .Bind(9, ToUnixSeconds(expires_at))
        .Bind(10, claim.host_signed ? kHostSigner : kPrivacyCaSigner)
        .Bind(11, std::int64_t{platform ? 1 : 0});
    return insert.Run();
  }));
  return IssuedChallenge{.id = std::move(id),
                         .credential = std::move(credential),
                         .credential_file = std::move(file),
                         .aik_name = aik->name(),
                         .expires_at = expires_at};
}

Result<Enrollment> AikEnrollment::Activate(std::string_view challenge_id, ByteView secret) {
  const TimePoint now = clock_.Now();
  VTPMD_ASSIGN_OR_RETURN(Bytes offered_hash, Sha256(secret));
  VTPMD_ASSIGN_OR_RETURN(StoredChallenge challenge, LoadChallenge(store_, challenge_id));
  if (std::optional<Error> refusal = Refusal(challenge, now, offered_hash)) {
    // A refusal still uses the challenge up.
    VTPMD_RETURN_IF_ERROR(store_.Transaction([&]() -> Status {
      Result<bool> used_up = MarkUsed(store_, challenge_id, "refused", "");
      return used_up.ok() ? Ok() : Status(std::move(used_up).error());
    }));
    return *refusal;
  }
  if (challenge.host_signed && host_signer_ == nullptr) {
    return FailedPrecondition("the host signing key this challenge was made for is gone");
  }
  VTPMD_ASSIGN_OR_RETURN(AikPublic aik, AikPublic::Recall(challenge.aik_public));
  const AikCertificateRequest request{.aik_public = aik.area(),
                                      .aik_name = aik.name(),
                                      .vm_id = challenge.vm_id,
                                      .instance_id = challenge.instance_id,
                                      .host_name = challenge.host_name,
                                      .platform = challenge.platform,
                                      .validity = policy_.aik_validity,
                                      .not_after_limit = challenge.ek_not_after};
  // Signing (inside the platform TPM, for a host-signed AIK) happens outside the
  // store's lock; a certificate whose challenge another attempt used up meanwhile
  // is dropped unrecorded and never leaves this function.
  Enrollment enrollment;
  VTPMD_ASSIGN_OR_RETURN(enrollment.certificate, SignAikCertificate(privacy_ca_, request, clock_, rng_,
                                                                    challenge.host_signed ? host_signer_ : nullptr));
  enrollment.host_signed = challenge.host_signed;
  enrollment.instance_id = challenge.instance_id;
  VTPMD_ASSIGN_OR_RETURN(enrollment.serial, SerialHex(enrollment.certificate.get()));
  bool won = false;
  VTPMD_RETURN_IF_ERROR(store_.Transaction([&]() -> Status {
    VTPMD_ASSIGN_OR_RETURN(won, MarkUsed(store_, challenge_id, "activated", enrollment.serial));
    if (!won) return Ok();
    VTPMD_RETURN_IF_ERROR(RecordAikCertificate(store_, privacy_ca_, request, enrollment.certificate.get()));
    const std::string_view kind = challenge.platform ? kPlatformAikKind : kAikKind;
    return issued_ ? issued_(enrollment.certificate.get(), enrollment.serial, enrollment.instance_id, kind) : Ok();
  }));
  if (!won) return FailedPrecondition("the AIK challenge was already used");
  return enrollment;
}

}  // namespace vtpmd::ca
