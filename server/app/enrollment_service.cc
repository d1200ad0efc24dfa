#include "server/app/enrollment_service.h"

#include <algorithm>
#include <boost/json.hpp>

#include "ca/aik_certificate.h"
#include "ca/certificate_record.h"
#include "ca/serial_number.h"
#include "core/tpm_wire.h"
#include "server/app/log.h"

namespace vtpmd::app {
namespace {

constexpr std::string_view kAikCertifiesEk = "aik-certifies-ek";
constexpr std::string_view kAikCertifiesAik = "aik-certifies-aik";

// Refusals of the caller's evidence are audit facts; our own failures are not.
template <typename T>
Result<T> Audited(Result<T> outcome, std::string_view step) {
  if (!outcome.ok() && outcome.error().code() != ErrorCode::kInternal &&
      outcome.error().code() != ErrorCode::kUnavailable) {
    Log(LogLevel::kWarning, "AIK enrollment refused (" + std::string(step) + "): " + outcome.error().message());
  }
  return outcome;
}

Result<TPMT_PUBLIC> PublicArea(ByteView tpm2b_public, std::string_view what) {
  auto parsed = tpm::ParsePublic(tpm2b_public);
  if (!parsed.ok()) return parsed.error().WithContext(what);
  return parsed->publicArea;
}

}  // namespace

Result<std::unique_ptr<EnrollmentService>> EnrollmentService::Create(
    Store& store, const ca::CaHierarchy& hierarchy, InstanceLookup instances, EventLog& events,
    std::vector<ossl::X509Ptr> manufacturer_certificates, ca::EnrollmentPolicy policy,
    ca::PlatformPolicy platform_policy, const Clock& clock, Rng& rng) {
  VTPMD_ASSIGN_OR_RETURN(ca::EkCertificateVerifier verifier,
                         ca::EkCertificateVerifier::Create(store, hierarchy, std::move(manufacturer_certificates)));
  VTPMD_ASSIGN_OR_RETURN(const ca::Issuer* privacy_ca, hierarchy.issuer(ca::IssuerRole::kPrivacyCa));
  std::unique_ptr<EnrollmentService> service(new EnrollmentService(
      std::move(instances), store, hierarchy, std::move(verifier), std::move(platform_policy), clock));
  auto announce = [&events](X509*, std::string_view serial, std::string_view instance_id,
                            std::string_view kind) -> Status {
    boost::json::object data{{"serial", serial}, {"kind", kind}, {"issuer", "privacy-ca"}};
    if (!instance_id.empty()) data["instance_id"] = instance_id;
    return events.Record("certificate.issued", "certificates/" + std::string(serial), boost::json::serialize(data),
                         EventScope{std::string(instance_id), {}});
  };
  service->enrollment_ = std::make_unique<ca::AikEnrollment>(store, *privacy_ca, nullptr, service->verifier_, policy,
                                                             clock, rng, std::move(announce));
  return service;
}

Result<ca::IssuedChallenge> EnrollmentService::InstanceChallenge(const api::AikChallengeRequest& request) {
  VTPMD_ASSIGN_OR_RETURN(InstanceRecord instance, instances_(*request.instance_id));
  if (instance.endorsement_keys.empty()) {
    return FailedPrecondition("instance " + instance.id + " has no EK yet (status " +
                              std::string(InstanceStatusName(instance.status)) + ")");
  }
  // The EK: of the named algorithm if one is named; the one whose certificate was
  // sent if one was sent; else the first (RSA when the instance has one).
  struct Candidate {
    const EndorsementKeyRecord* key;
    Bytes certificate_der;
  };
  std::vector<Candidate> candidates;
  for (const EndorsementKeyRecord& key : instance.endorsement_keys) {
    if (request.ek_algorithm && key.algorithm != *request.ek_algorithm) continue;
    VTPMD_ASSIGN_OR_RETURN(std::optional<Bytes> der, ca::FindCertificateDer(store_, key.certificate_serial));
    if (!der) return Internal("the EK certificate of instance " + instance.id + " is missing");
    candidates.push_back({&key, std::move(*der)});
  }
  if (candidates.empty())
    return InvalidArgument("instance " + instance.id + " has no " + *request.ek_algorithm + " EK");
  auto chosen = candidates.begin();
  if (request.ek_certificate_der) {
    chosen = std::find_if(candidates.begin(), candidates.end(),
                          [&](const Candidate& c) { return c.certificate_der == *request.ek_certificate_der; });
    if (chosen == candidates.end()) {
      return Unsupported("the EK certificate sent is not one vtpmd issued for instance " + instance.id);
    }
  }
  const EndorsementKeyRecord* ek = chosen->key;
  const Bytes& certificate_der = chosen->certificate_der;
  if (request.ek_public && *request.ek_public != ek->public_area) {
    return Unsupported("the EK public area sent is not instance " + instance.id + "'s " + ek->algorithm + " EK");
  }
  VTPMD_ASSIGN_OR_RETURN(ossl::X509Ptr certificate, ek_certificates_.Parse(certificate_der));
  // Solution 1 of the paper: the EK' certificate vouches for the platform too, and
  // an AIK' is certified only while that binding holds.
  if (instance.certification_method == kAikCertifiesEk) {
    VTPMD_RETURN_IF_ERROR(ca::VerifyBoundEkCertificate(store_, certificate.get(), platform_policy_, clock_.Now()));
  }
  VTPMD_ASSIGN_OR_RETURN(TPMT_PUBLIC ek_public, PublicArea(ek->public_area, "recorded EK"));
  const ca::EndorsementClaim claim{.ek_certificate = certificate.get(),
                                   .ek_public = ek_public,
                                   .instance_id = instance.id,
                                   .vm_id = instance.vm_id,
                                   .host_name = "",
                                   .host_signed = instance.certification_method == kAikCertifiesAik};
  return enrollment_->Challenge(claim, request.aik_public);
}

Result<ca::IssuedChallenge> EnrollmentService::Challenge(const api::AikChallengeRequest& request) {
  if (request.instance_id) return Audited(InstanceChallenge(request), "challenge");
  auto certificate = ek_certificates_.Parse(*request.ek_certificate_der);
  if (!certificate.ok()) return Audited<ca::IssuedChallenge>(certificate.error(), "challenge");
  // An EK' certificate we issued names its vTPM: that AIK is the instance's, never
  // a platform's, whichever way the guest asked.
  auto vtpm = IssuedInstance(certificate->get());
  if (!vtpm.ok()) return vtpm.error();
  if (!vtpm->empty()) {
    api::AikChallengeRequest as_instance = request;
    as_instance.instance_id = *vtpm;
    return Audited(InstanceChallenge(as_instance), "challenge");
  }
  ca::EndorsementClaim claim{.ek_certificate = certificate->get(),
                             .ek_public = std::nullopt,
                             .instance_id = "",
                             .vm_id = "",
                             .host_name = "",
                             .host_signed = false};
  if (request.ek_public) {
    auto area = PublicArea(*request.ek_public, "ek_public");
    if (!area.ok()) return Audited<ca::IssuedChallenge>(area.error(), "challenge");
    claim.ek_public = *area;
  }
  // A TPM known only by its EK certificate is named by it (EK subjects are often empty).
  auto serial = ca::SerialHex(certificate->get());
  if (!serial.ok()) return serial.error();
  claim.host_name = "TPM of EK certificate " + *serial;
  return Audited(enrollment_->Challenge(claim, request.aik_public), "challenge");
}

Result<std::string> EnrollmentService::IssuedInstance(X509* ek_certificate) const {
  VTPMD_ASSIGN_OR_RETURN(std::string serial, ca::SerialHex(ek_certificate));
  VTPMD_ASSIGN_OR_RETURN(std::optional<ca::CertificateRecord> record, ca::FindCertificate(store_, serial));
  if (!record || record->instance_id.empty()) return std::string();
  VTPMD_ASSIGN_OR_RETURN(Bytes der, ossl::CertificateDer(ek_certificate));
  return record->der == der ? record->instance_id : std::string();
}

Result<ca::IssuedChallenge> EnrollmentService::ChallengePlatform(X509* ek_certificate, const TPMT_PUBLIC& ek_public,
                                                                 ByteView aik_public, std::string host_name) {
  const ca::EndorsementClaim claim{.ek_certificate = ek_certificate,
                                   .ek_public = ek_public,
                                   .instance_id = "",
                                   .vm_id = "",
                                   .host_name = std::move(host_name),
                                   .host_signed = false};
  return Audited(enrollment_->Challenge(claim, aik_public), "platform challenge");
}

void EnrollmentService::Activate(std::string_view challenge_id, const SecretBytes& secret,
                                 ca::AikEnrollment::ActivationDone done) {
  enrollment_->Activate(challenge_id, secret.view(), [done = std::move(done)](Result<ca::Enrollment> outcome) {
    done(Audited(std::move(outcome), "activation"));
  });
}

Result<ca::Enrollment> EnrollmentService::Activate(std::string_view challenge_id, const SecretBytes& secret) {
  return Audited(enrollment_->Activate(challenge_id, secret.view()), "activation");
}

Result<std::string> EnrollmentService::ChainPem(const ca::Enrollment& enrollment) const {
  if (!enrollment.host_signed) return hierarchy_.ChainPem(enrollment.certificate.get(), ca::IssuerRole::kPrivacyCa);
  if (!host_signer_) return Internal("a host-signed AIK certificate without a host signer");
  VTPMD_ASSIGN_OR_RETURN(std::string leaf, ossl::CertificatePem(enrollment.certificate.get()));
  VTPMD_ASSIGN_OR_RETURN(std::string issuers,
                         hierarchy_.ChainPem(host_signer_->certificate(), ca::IssuerRole::kPrivacyCa));
  return leaf + issuers;
}

void EnrollmentService::SetHostSigner(ca::TpmCertificateSigner signer) {
  host_signer_.emplace(std::move(signer));
  enrollment_->SetHostSigner(&*host_signer_);
}

}  // namespace vtpmd::app
