#include "ca/aik_enrollment.h"

#include <future>
#include <memory>
#include <utility>

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

// What an activation's durable callback answers with.
struct Activation {
  AikCertificateRequest request;
  Enrollment enrollment;
};

// As long as the largest digest a TPM credential may carry (SHA-256's).
constexpr std::size_t kSecretSize = 32;
// Spent and expired challenges stay this long, for audit, before they are swept.
constexpr std::chrono::hours kChallengeRetention{24};

constexpr std::string_view kHostSigner = "host";
constexpr std::string_view kPrivacyCaSigner = "privacy-ca";

// The used challenge, as the audit record of its activation or refusal; rows older
// than the retention go in the same transaction.
Status RecordUse(Store& store, std::string_view id, const PendingChallenge& challenge, std::string_view state,
                 std::string_view serial, TimePoint now) {
  VTPMD_ASSIGN_OR_RETURN(auto sweep, store.Prepare("DELETE FROM aik_challenges WHERE expires_at < ?"));
  VTPMD_RETURN_IF_ERROR(sweep.Bind(1, ToUnixSeconds(now - kChallengeRetention)).Run());
  VTPMD_ASSIGN_OR_RETURN(
      auto insert,
      store.Prepare("INSERT INTO aik_challenges(id, instance_id, vm_id, host_name, ek_not_after, aik_public, "
                    "secret_hash, created_at, expires_at, state, signer, platform, certificate_serial) "
                    "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  insert.Bind(1, id)
      .Bind(2, challenge.instance_id)
      .Bind(3, challenge.vm_id)
      .Bind(4, challenge.host_name)
      .Bind(5, ToUnixSeconds(challenge.ek_not_after))
      .Bind(6, ByteView(challenge.aik_public))
      .Bind(7, ByteView(challenge.secret_hash))
      .Bind(8, ToUnixSeconds(challenge.created_at))
      .Bind(9, ToUnixSeconds(challenge.expires_at))
      .Bind(10, state)
      .Bind(11, challenge.host_signed ? kHostSigner : kPrivacyCaSigner)
      .Bind(12, std::int64_t{challenge.platform ? 1 : 0});
  if (serial.empty()) {
    insert.BindNull(13);
  } else {
    insert.Bind(13, serial);
  }
  return insert.Run();
}

Result<bool> WasUsed(Store& store, std::string_view id) {
  VTPMD_ASSIGN_OR_RETURN(auto select, store.Prepare("SELECT 1 FROM aik_challenges WHERE id = ?"));
  select.Bind(1, id);
  return select.Step();
}

std::optional<Error> Refusal(const PendingChallenge& challenge, TimePoint now, ByteView offered_hash) {
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

  VTPMD_RETURN_IF_ERROR(pending_.Add(id,
                                     PendingChallenge{.instance_id = claim.instance_id,
                                                      .vm_id = claim.vm_id,
                                                      .host_name = claim.host_name,
                                                      .ek_not_after = ek_not_after,
                                                      .aik_public = Bytes(aik_public.begin(), aik_public.end()),
                                                      .secret_hash = std::move(secret_hash),
                                                      .created_at = now,
                                                      .expires_at = expires_at,
                                                      .host_signed = claim.host_signed,
                                                      .platform = platform},
                                     now));
  return IssuedChallenge{.id = std::move(id),
                         .credential = std::move(credential),
                         .credential_file = std::move(file),
                         .aik_name = aik->name(),
                         .expires_at = expires_at};
}

void AikEnrollment::Activate(std::string_view challenge_id, ByteView secret, ActivationDone done) {
  const TimePoint now = clock_.Now();
  Result<PendingChallenge> taken = pending_.Take(challenge_id, now);
  if (!taken.ok()) {
    if (taken.error().code() != ErrorCode::kNotFound) return done(taken.error());
    Result<bool> used = WasUsed(store_, challenge_id);
    if (!used.ok()) return done(used.error());
    if (*used) return done(FailedPrecondition("the AIK challenge was already used"));
    return done(NotFound("no AIK challenge " + std::string(challenge_id) +
                         " is pending (challenges do not survive a restart of vtpmd; request a new one)"));
  }
  // Once Use() returns, the attempt is committed: a later one finds it recorded.
  Use(challenge_id, *taken, secret, now, std::move(done));
  pending_.Forget(challenge_id);
}

Result<Enrollment> AikEnrollment::Activate(std::string_view challenge_id, ByteView secret) {
  std::promise<Result<Enrollment>> answered;
  std::future<Result<Enrollment>> answer = answered.get_future();
  Activate(challenge_id, secret, [&answered](Result<Enrollment> outcome) { answered.set_value(std::move(outcome)); });
  return answer.get();
}

void AikEnrollment::Use(std::string_view challenge_id, const PendingChallenge& challenge, ByteView secret,
                        TimePoint now, ActivationDone done) {
  Result<Bytes> offered_hash = Sha256(secret);
  if (!offered_hash.ok()) return done(offered_hash.error());
  std::optional<Error> refusal = Refusal(challenge, now, *offered_hash);
  if (!refusal && challenge.host_signed && host_signer_ == nullptr) {
    refusal = FailedPrecondition("the host signing key this challenge was made for is gone");
  }
  if (refusal) {
    Status recorded = store_.Transaction([&] { return RecordUse(store_, challenge_id, challenge, "refused", "", now); },
                                         [done, refusal = *refusal](Status flushed) {
                                           done(flushed.ok() ? refusal : std::move(flushed).error());
                                         });
    if (!recorded.ok()) done(std::move(recorded).error());
    return;
  }
  Result<AikPublic> aik = AikPublic::Recall(challenge.aik_public);
  if (!aik.ok()) return done(std::move(aik).error());
  // Shared: the durable callback is copyable, the certificate is not.
  auto activation = std::make_shared<Activation>();
  activation->request = AikCertificateRequest{.aik_public = aik->area(),
                                              .aik_name = aik->name(),
                                              .vm_id = challenge.vm_id,
                                              .instance_id = challenge.instance_id,
                                              .host_name = challenge.host_name,
                                              .platform = challenge.platform,
                                              .validity = policy_.aik_validity,
                                              .not_after_limit = challenge.ek_not_after};
  Result<Enrollment> certified = Certify(challenge, activation->request);
  if (!certified.ok()) return done(std::move(certified).error());
  activation->enrollment = std::move(certified).value();
  const Enrollment& enrollment = activation->enrollment;
  Status recorded = store_.Transaction(
      [&]() -> Status {
        VTPMD_RETURN_IF_ERROR(RecordUse(store_, challenge_id, challenge, "activated", enrollment.serial, now));
        VTPMD_RETURN_IF_ERROR(
            RecordAikCertificate(store_, privacy_ca_, activation->request, enrollment.certificate.get()));
        const std::string_view kind = challenge.platform ? kPlatformAikKind : kAikKind;
        return issued_ ? issued_(enrollment.certificate.get(), enrollment.serial, enrollment.instance_id, kind) : Ok();
      },
      [done, activation](Status flushed) {
        if (!flushed.ok()) return done(std::move(flushed).error());
        done(std::move(activation->enrollment));
      });
  if (!recorded.ok()) done(std::move(recorded).error());
}

// Signing (inside the platform TPM, for a host-signed AIK) happens outside the
// store's lock. This attempt alone holds the challenge, so the certificate is
// recorded unless the store fails, and then it is never handed out.
Result<Enrollment> AikEnrollment::Certify(const PendingChallenge& challenge, const AikCertificateRequest& request) {
  Enrollment enrollment;
  VTPMD_ASSIGN_OR_RETURN(enrollment.certificate, SignAikCertificate(privacy_ca_, request, clock_, rng_,
                                                                    challenge.host_signed ? host_signer_ : nullptr));
  enrollment.host_signed = challenge.host_signed;
  enrollment.instance_id = challenge.instance_id;
  VTPMD_ASSIGN_OR_RETURN(enrollment.serial, SerialHex(enrollment.certificate.get()));
  return enrollment;
}

}  // namespace vtpmd::ca
