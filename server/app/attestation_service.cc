#include "server/app/attestation_service.h"

#include <boost/json.hpp>

#include <utility>

#include "ca/aik_certificate.h"
#include "ca/issuer.h"
#include "ca/x509_time.h"
#include "core/uuid.h"
#include "policy/appraisal.h"
#include "policy/deep_quote_binding.h"
#include "policy/event_log.h"
#include "policy/event_log_json.h"
#include "policy/event_log_quote_check.h"
#include "policy/event_types.h"
#include "policy/merkle_tree.h"
#include "policy/quote_verifier.h"
#include "policy/remembered_attestation_history.h"
#include "server/app/attestation_verdict.h"

namespace vtpmd::app {
namespace {

using policy::CheckResult;
using policy::ReasonCode;

// The platform quote's freshness is the Merkle root, which holds every
// challenger's nonce; batches quoted concurrently may be verified out of order,
// so the platform AIK's clock is not compared across batches.
class NoClockHistory final : public policy::AttestationHistory {
 public:
  Result<policy::ClockComparison> Compare(ByteView, const policy::ClockSnapshot&) override { return policy::ClockComparison{}; }
  Result<policy::ClockComparison> CompareAndRecord(ByteView, const policy::ClockSnapshot&) override {
    return policy::ClockComparison{};
  }
};

// A platform attestation's leaf: the challenger's nonce under its own label, so it
// can never be mistaken for a guest binding.
Result<Bytes> PlatformLeaf(ByteView nonce) {
  const std::string_view label = "vtpmd-platform";
  Bytes message(label.begin(), label.end());
  message.insert(message.end(), nonce.begin(), nonce.end());
  return Sha256(message);
}

ReasonCode AikRejectionReason(ca::AikChainRejection rejection) {
  switch (rejection) {
    case ca::AikChainRejection::kMalformed: return ReasonCode::kAikChainMalformed;
    case ca::AikChainRejection::kUntrusted: return ReasonCode::kAikChainUntrusted;
    case ca::AikChainRejection::kNotAnAik: return ReasonCode::kAikCertificateInvalid;
    case ca::AikChainRejection::kNotIssuedHere: return ReasonCode::kAikUnknown;
    case ca::AikChainRejection::kRevoked: return ReasonCode::kAikRevoked;
  }
  return ReasonCode::kAikChainUntrusted;
}

boost::json::object QuoteFactsJson(const policy::QuoteFacts& facts) {
  boost::json::object out{{"type", facts.type},
                          {"qualified_signer", HexEncode(facts.qualified_signer)},
                          {"extra_data", HexEncode(facts.extra_data)},
                          {"clock",
                           {{"clock", facts.clock.clock},
                            {"reset_count", facts.clock.reset_count},
                            {"restart_count", facts.clock.restart_count},
                            {"safe", facts.clock_safe}}},
                          {"firmware_version", facts.firmware_version},
                          {"pcr_digest", HexEncode(facts.pcr_digest)}};
  if (facts.pcr_digest_alg) out["pcr_digest_alg"] = HashAlgName(*facts.pcr_digest_alg);
  return out;
}

boost::json::object AppraisalJson(const policy::Appraisal& appraisal) {
  boost::json::array pcrs;
  for (const policy::PcrOutcome& outcome : appraisal.pcrs) {
    boost::json::object item{{"bank", HashAlgName(outcome.bank)},
                             {"pcr", outcome.pcr},
                             {"reason", policy::AppraisalReasonName(outcome.reason)}};
    if (outcome.value) item["value"] = HexEncode(*outcome.value);
    pcrs.push_back(std::move(item));
  }
  boost::json::array events;
  for (const policy::EventOutcome& outcome : appraisal.events) {
    boost::json::object item{{"type", policy::EventTypeName(outcome.type)},
                             {"reason", policy::AppraisalReasonName(outcome.reason)}};
    if (outcome.sequence) item["sequence"] = *outcome.sequence;
    if (outcome.pcr) item["pcr"] = *outcome.pcr;
    if (outcome.bank) item["bank"] = HashAlgName(*outcome.bank);
    if (outcome.digest) item["digest"] = HexEncode(*outcome.digest);
    events.push_back(std::move(item));
  }
  return {{"passed", appraisal.passed}, {"pcrs", std::move(pcrs)}, {"events", std::move(events)}};
}

// The policy section's verdict as one check; the details go in the result.
CheckResult PolicyCheck(std::string_view check, const policy::Appraisal& appraisal, std::string_view section) {
  if (appraisal.passed) return CheckResult::Passed(check, "every " + std::string(section) + " reference value is met");
  std::size_t unmet = 0;
  for (const auto& outcome : appraisal.pcrs) unmet += policy::IsPass(outcome.reason) ? 0u : 1u;
  for (const auto& outcome : appraisal.events) unmet += policy::IsPass(outcome.reason) ? 0u : 1u;
  return CheckResult::Failed(check, ReasonCode::kPolicyNotMet,
                             std::to_string(unmet) + " " + std::string(section) +
                                 " reference value(s) not met; see appraisal");
}

// The batcher's proof checked as a verifier would: the leaf is ours and its path
// leads to the root the platform quoted.
CheckResult InclusionCheck(const DeepQuoteProof& proof, ByteView leaf) {
  const bool included = policy::MerkleLeafHash(leaf) == proof.leaf_hash &&
                        policy::VerifyMerkleInclusion(proof.leaf_hash, proof.leaf_index, proof.tree_size, proof.path,
                                                      proof.root);
  if (included) return CheckResult::Passed(kCheckInclusionProof, "the leaf is in the quoted tree");
  return CheckResult::Failed(kCheckInclusionProof, ReasonCode::kInclusionProofInvalid,
                             "the inclusion proof does not lead to the quoted root");
}

boost::json::object PlatformQuoteJson(const PlatformQuoteEvidence& quote) {
  return {{"attest", Base64Encode(quote.attest)},
          {"signature", Base64Encode(quote.signature)},
          {"pcrs", policy::PcrValuesJsonObject(vtpm::ValuesByBank(quote.pcrs))}};
}

boost::json::object ProofJson(const DeepQuoteProof& proof, const std::string& platform_chain_pem) {
  boost::json::array path;
  for (const Bytes& node : proof.path) path.emplace_back(HexEncode(node));
  return {{"leaf", HexEncode(proof.leaf)},
          {"root", HexEncode(proof.root)},
          {"inclusion_proof",
           {{"leaf_index", proof.leaf_index}, {"tree_size", proof.tree_size}, {"path", std::move(path)}}},
          {"platform_quote", PlatformQuoteJson(*proof.platform_quote)},
          {"platform_aik_certificate_chain", platform_chain_pem}};
}

// The event-log submodule: the log must replay to the quoted PCRs. `details`
// gets the decoded log.
Submodule EventLogSubmodule(const policy::EventLog* log, const policy::QuoteVerification* quote,
                            std::string_view absent, boost::json::object& details) {
  Submodule submodule{kSubmodEventLog, {}};
  if (log == nullptr) {
    submodule.checks.push_back(CheckResult::Skipped(policy::kCheckEventLog, std::string(absent)));
    return submodule;
  }
  details["event_log"] = policy::EventLogJson(*log);
  submodule.checks.push_back(quote != nullptr && quote->passed
                                 ? policy::CheckEventLogAgainstQuote(*log, *quote)
                                 : CheckResult::Skipped(policy::kCheckEventLog, "the quote did not verify"));
  return submodule;
}

// One section (guest or platform) of the policy over a verified quote's PCRs and,
// when its replay matched, the event log; the appraisal's details go to `appraisals`.
CheckResult SectionCheck(std::string_view check, const std::string& policy_name,
                         const std::optional<policy::ReferenceValues>& section, std::string_view section_name,
                         const policy::QuoteVerification* quote, const policy::EventLog* log,
                         boost::json::object& appraisals) {
  if (!section) {
    return CheckResult::Skipped(check, "policy " + policy_name + " has no " + std::string(section_name) +
                                           " reference values");
  }
  if (quote == nullptr || !quote->passed) return CheckResult::Skipped(check, "the quote did not verify");
  const policy::Appraisal appraisal = policy::Appraise(*section, quote->facts->quoted_pcrs, log);
  appraisals[section_name] = AppraisalJson(appraisal);
  return PolicyCheck(check, appraisal, section_name);
}

}  // namespace

struct AttestationService::PolicyChoice {
  std::string name;
  std::int64_t version = 0;
  std::shared_ptr<const policy::PolicyDocument> document;
};

// Everything established before the platform link, shared with its completion.
struct AttestationService::GuestVerification {
  std::string id;
  std::int64_t created_at = 0;
  std::string instance_id;
  std::string vm_id;
  Bytes nonce;
  PolicyChoice policy;
  bool deep_quote_requested = false;
  bool guest_passed = false;
  Bytes leaf;
  std::optional<std::pair<Bytes, policy::ClockSnapshot>> accepted_clock;
  std::vector<Submodule> submodules;  // all but the platform's
  boost::json::object details;
  bool aik_chain_verified = false;
};

struct AttestationService::PlatformAttestation {
  std::string id;
  Bytes nonce;
  PolicyChoice policy;
  std::optional<policy::EventLog> log;  // the host's, when it has one
  Bytes leaf;
};

struct AttestationService::PlatformVerdict {
  CheckResult aik = CheckResult::Skipped(kCheckPlatformAik, "");
  std::optional<policy::QuoteVerification> quote;
};

AttestationService::AttestationService(Store& store, EventLog& events, PolicyService& policies,
                                       std::unique_ptr<ca::AikChainVerifier> aik_chains, ca::JwsSigner signer,
                                       PlatformLink platform, const Clock& clock, Rng& rng)
    : store_(store),
      policies_(policies),
      instances_(store),
      aik_chains_(std::move(aik_chains)),
      signer_(std::move(signer)),
      platform_(std::move(platform)),
      clock_(clock),
      rng_(rng),
      durable_history_(std::make_unique<policy::StoreAttestationHistory>(store)),
      history_(std::make_unique<policy::RememberedAttestationHistory>(*durable_history_)),
      records_(store, events) {}

Result<std::unique_ptr<AttestationService>> AttestationService::Create(Store& store, EventLog& events,
                                                                      PolicyService& policies,
                                                                      const ca::CaHierarchy& hierarchy,
                                                                      PlatformLink platform,
                                                                      DeepQuoteBatcherOptions batching,
                                                                      std::chrono::seconds result_retention,
                                                                      const Clock& clock, Rng& rng) {
  if (!platform.quoter) return InvalidArgument("the attestation service needs a platform quoter");
  VTPMD_ASSIGN_OR_RETURN(std::unique_ptr<ca::AikChainVerifier> aik_chains, ca::AikChainVerifier::Create(store, hierarchy));
  VTPMD_ASSIGN_OR_RETURN(const ca::Issuer* result_signer, hierarchy.issuer(ca::IssuerRole::kAttestationSigner));
  VTPMD_ASSIGN_OR_RETURN(const ca::Issuer* root, hierarchy.issuer(ca::IssuerRole::kRoot));
  VTPMD_ASSIGN_OR_RETURN(ca::JwsSigner signer,
                         ca::JwsSigner::Create(result_signer->private_key.get(),
                                               {result_signer->certificate.get(), root->certificate.get()}));
  PlatformQuoter quoter = platform.quoter;
  std::unique_ptr<AttestationService> service(new AttestationService(
      store, events, policies, std::move(aik_chains), std::move(signer), std::move(platform), clock, rng));
  service->writer_ = std::make_unique<AttestationWriter>(service->records_, clock, result_retention);
  VTPMD_ASSIGN_OR_RETURN(service->batcher_, DeepQuoteBatcher::Create(std::move(quoter), batching));
  return service;
}

AttestationService::~AttestationService() {
  batcher_.reset();
  writer_.reset();
}

Result<AttestationService::PolicyChoice> AttestationService::ChoosePolicy(const std::string& name,
                                                                           std::optional<std::int64_t> version) {
  const std::uint64_t changes = store_.RowChanges(kPoliciesTable);
  auto key = std::pair(name, version);
  if (auto known = chosen_policies_.Recall(key, changes)) return **known;
  VTPMD_ASSIGN_OR_RETURN(PolicyVersion found, policies_.Get(name, version));
  VTPMD_ASSIGN_OR_RETURN(policy::PolicyDocument document, policy::ParsePolicyDocumentJson(found.document_json));
  auto chosen = std::make_shared<const PolicyChoice>(
      PolicyChoice{found.name, found.version, std::make_shared<const policy::PolicyDocument>(std::move(document))});
  chosen_policies_.Remember(std::move(key), chosen, changes);
  return *chosen;
}

Result<InstanceIdentity> AttestationService::FindInstance(const GuestAttestationRequest& request) {
  if (!request.instance_id.empty()) return instances_.ById(request.instance_id);
  return instances_.ByVm(request.vm_id);
}

Result<AttestationService::GuestVerification> AttestationService::VerifyGuest(const GuestAttestationRequest& request,
                                                                               const InstanceIdentity& instance,
                                                                               const PolicyChoice& policy) {
  const GuestEvidence& evidence = request.evidence;
  std::optional<policy::EventLog> log;
  if (evidence.event_log) {
    auto parsed = policy::EventLog::Parse(*evidence.event_log);
    if (!parsed.ok()) return parsed.error().WithContext("event_log");
    log = std::move(parsed).value();
  }

  GuestVerification out;
  const TimePoint now = clock_.Now();
  {
    std::lock_guard lock(mu_);
    VTPMD_ASSIGN_OR_RETURN(out.id, NewTimeOrderedUuid(rng_, now));
  }
  out.created_at = ca::ToUnixSeconds(now);
  out.instance_id = instance.id;
  out.vm_id = instance.vm_id;
  out.nonce = request.nonce;
  out.policy = policy;
  out.deep_quote_requested = request.deep_quote;

  // AIK chain: issued here, for this instance.
  Submodule aik_chain{kSubmodAikChain, {}};
  VTPMD_ASSIGN_OR_RETURN(ca::AikChainOutcome chain, aik_chains_->Verify(evidence.aik_chain_pem, now));
  const ca::VerifiedAik* aik = chain.aik ? &*chain.aik : nullptr;
  out.aik_chain_verified = aik != nullptr;
  if (aik == nullptr) {
    aik_chain.checks.push_back(CheckResult::Failed(kCheckAikChain, AikRejectionReason(chain.rejection), chain.detail));
  } else {
    aik_chain.checks.push_back(CheckResult::Passed(kCheckAikChain, "issued by this host's privacy CA, not revoked"));
    if (aik->kind != ca::kAikKind || aik->instance_id != instance.id) {
      aik_chain.checks.push_back(CheckResult::Failed(kCheckAikInstance, ReasonCode::kAikNotForInstance,
                                                     "the AIK certificate " + aik->serial + " was not issued for instance " +
                                                         instance.id));
      aik = nullptr;
    } else {
      aik_chain.checks.push_back(CheckResult::Passed(kCheckAikInstance, "issued for this instance"));
      out.details["aik"] = boost::json::object{{"serial", aik->serial}, {"name", HexEncode(aik->name)}};
    }
  }

  // The quote, by a trusted AIK only: an untrusted key's signature proves nothing.
  Submodule quote_submod{kSubmodVtpmQuote, {}};
  std::optional<policy::QuoteVerification> quote;
  if (aik == nullptr) {
    quote_submod.checks.push_back(
        CheckResult::Skipped(policy::kCheckSignature, "not verified: the AIK is not trusted for this instance"));
  } else {
    VTPMD_ASSIGN_OR_RETURN(
        quote, policy::VerifyQuote({evidence.attest, evidence.signature, evidence.pcrs},
                                   policy::AikKey{aik->public_key, aik->name}, request.nonce, *history_));
    quote_submod.checks = quote->checks;
    // VerifyQuote recorded the clock in memory: it becomes durable with the result.
    if (quote->passed) out.accepted_clock = std::pair(aik->name, quote->facts->clock);
    if (quote->facts) {
      out.details["quote"] = QuoteFactsJson(*quote->facts);
      if (quote->passed) out.details["quoted_pcrs"] = policy::PcrValuesJsonObject(quote->facts->quoted_pcrs);
    }
  }
  const bool quote_passed = quote && quote->passed;

  Submodule event_log_submod =
      EventLogSubmodule(log ? &*log : nullptr, quote ? &*quote : nullptr, "no event log was submitted", out.details);
  const bool log_passed = event_log_submod.checks.front().passed();

  boost::json::object appraisals;
  Submodule policy_submod{kSubmodPolicy,
                          {SectionCheck(kCheckPolicy, policy.name, policy.document->guest, "guest",
                                        quote ? &*quote : nullptr, log_passed ? &*log : nullptr, appraisals)}};
  out.details["appraisal"] = std::move(appraisals);

  out.guest_passed = quote_passed && (!log || log_passed) && policy_submod.status() != EarStatus::kContraindicated &&
                     aik_chain.status() == EarStatus::kAffirming;
  if (out.guest_passed && request.deep_quote) {
    const Bytes& ek_name = instance.first_ek_name;
    VTPMD_ASSIGN_OR_RETURN(out.leaf, policy::DeepQuoteLeaf({.nonce = request.nonce,
                                                             .instance_id = instance.id,
                                                             .ek_name = ek_name,
                                                             .aik_name = aik->name,
                                                             .guest_attest = evidence.attest}));
    out.details["binding"] = boost::json::object{{"instance_id", instance.id},
                                                 {"ek_name", HexEncode(ek_name)},
                                                 {"aik_name", HexEncode(aik->name)}};
  }
  out.submodules = {std::move(quote_submod), std::move(aik_chain), std::move(event_log_submod),
                    std::move(policy_submod)};

  boost::json::object echoed{{"quote", Base64Encode(evidence.attest)},
                             {"signature", Base64Encode(evidence.signature)},
                             {"pcrs", policy::PcrValuesJsonObject(evidence.pcrs)},
                             {"aik_certificate_chain", evidence.aik_chain_pem}};
  if (evidence.event_log) echoed["event_log"] = Base64Encode(*evidence.event_log);
  out.details["evidence"] = std::move(echoed);
  return out;
}

Result<std::optional<ca::VerifiedAik>> AttestationService::PlatformAik() {
  if (platform_.aik_chain_pem.empty()) return std::optional<ca::VerifiedAik>();
  VTPMD_ASSIGN_OR_RETURN(ca::AikChainOutcome outcome, aik_chains_->Verify(platform_.aik_chain_pem, clock_.Now()));
  if (!outcome.aik || outcome.aik->kind != ca::kPlatformAikKind) return std::optional<ca::VerifiedAik>();
  return std::move(outcome.aik);
}

std::shared_ptr<const AttestationService::PlatformVerdict> AttestationService::VerifyPlatformQuote(
    const std::shared_ptr<const PlatformQuoteEvidence>& quote, ByteView qualifying_data) {
  {
    std::lock_guard lock(mu_);
    for (const auto& [known, verdict] : platform_verdicts_) {
      if (known == quote) return verdict;
    }
  }
  auto verdict = std::make_shared<PlatformVerdict>();
  auto aik = PlatformAik();
  if (!aik.ok() || !*aik) {
    verdict->aik = CheckResult::Failed(kCheckPlatformAik, ReasonCode::kPlatformAikUntrusted,
                                       aik.ok() ? "the platform AIK has no valid certificate from this host's privacy CA"
                                                : aik.error().message());
  } else {
    verdict->aik = CheckResult::Passed(kCheckPlatformAik, "platform AIK certificate " + (*aik)->serial);
    NoClockHistory no_history;
    auto verified = policy::VerifyQuote({quote->attest, quote->signature, vtpm::ValuesByBank(quote->pcrs)},
                                        policy::AikKey{(*aik)->public_key, (*aik)->name}, qualifying_data, no_history);
    if (verified.ok()) verdict->quote = std::move(verified).value();
  }
  std::lock_guard lock(mu_);
  // A few batches are in flight at once; older ones are complete.
  constexpr std::size_t kRememberedBatches = 64;
  if (platform_verdicts_.size() >= kRememberedBatches) platform_verdicts_.erase(platform_verdicts_.begin());
  platform_verdicts_.emplace_back(quote, verdict);
  return verdict;
}

void AttestationService::AttestGuest(GuestAttestationRequest request, Completion done) {
  auto instance = FindInstance(request);
  if (!instance.ok()) return done(instance.error());
  auto policy = ChoosePolicy(request.policy_name, request.policy_version);
  if (!policy.ok()) return done(policy.error());
  auto verified = VerifyGuest(request, *instance, *policy);
  if (!verified.ok()) return done(verified.error());
  auto verification = std::make_shared<GuestVerification>(std::move(verified).value());
  if (verification->leaf.empty()) return FinishGuest(std::move(verification), std::nullopt, std::move(done));
  Bytes leaf = verification->leaf;
  batcher_->Submit(std::move(leaf), [this, verification, done = std::move(done)](Result<DeepQuoteProof> proof) mutable {
    FinishGuest(std::move(verification), std::move(proof), std::move(done));
  });
}

void AttestationService::FinishGuest(std::shared_ptr<GuestVerification> verification,
                                     std::optional<Result<DeepQuoteProof>> proof, Completion done) {
  GuestVerification& v = *verification;
  Submodule platform{kSubmodPlatform, {}};
  boost::json::object& appraisals = v.details["appraisal"].as_object();
  if (!v.deep_quote_requested) {
    platform.checks.push_back(CheckResult::Skipped(kCheckDeepQuote, "no platform link was requested"));
  } else if (!proof) {
    platform.checks.push_back(
        CheckResult::Skipped(kCheckDeepQuote, "the guest evidence did not verify; the platform was not asked"));
  } else if (!proof->ok()) {
    platform.checks.push_back(
        CheckResult::Failed(kCheckDeepQuote, ReasonCode::kPlatformQuoteUnavailable, proof->error().message()));
  } else {
    const DeepQuoteProof& deep = proof->value();
    platform.checks.push_back(InclusionCheck(deep, v.leaf));
    std::shared_ptr<const PlatformVerdict> verdict = VerifyPlatformQuote(deep.platform_quote, deep.root);
    platform.checks.push_back(verdict->aik);
    if (verdict->quote) {
      for (const CheckResult& check : verdict->quote->checks) platform.checks.push_back(check);
      platform.checks.push_back(SectionCheck(kCheckPlatformPolicy, v.policy.name, v.policy.document->platform,
                                             "platform", &*verdict->quote, nullptr, appraisals));
    }
    v.details["deep_quote"] = ProofJson(deep, platform_.aik_chain_pem);
  }
  v.submodules.push_back(std::move(platform));

  Seal({v.id, v.created_at, v.nonce, v.instance_id, v.vm_id, v.policy.name, v.policy.version},
       std::move(v.submodules), std::move(v.details), std::move(v.accepted_clock), v.aik_chain_verified,
       std::move(done));
}

void AttestationService::AttestPlatform(PlatformAttestationRequest request, Completion done) {
  auto policy = ChoosePolicy(request.policy_name, request.policy_version);
  if (!policy.ok()) return done(policy.error());
  std::optional<policy::EventLog> log;
  if (platform_.event_log) {
    auto parsed = policy::EventLog::Parse(*platform_.event_log);
    if (!parsed.ok()) return done(parsed.error().WithContext("the host's event log"));
    log = std::move(parsed).value();
  }
  auto id = [this] {
    std::lock_guard lock(mu_);
    return NewTimeOrderedUuid(rng_, clock_.Now());
  }();
  if (!id.ok()) return done(id.error());
  auto platform_leaf = PlatformLeaf(request.nonce);
  if (!platform_leaf.ok()) return done(platform_leaf.error());
  Bytes leaf = std::move(platform_leaf).value();
  auto attestation = std::make_shared<PlatformAttestation>(
      PlatformAttestation{*id, request.nonce, std::move(policy).value(), std::move(log), leaf});
  batcher_->Submit(std::move(leaf), [this, attestation, done = std::move(done)](Result<DeepQuoteProof> proof) mutable {
    FinishPlatform(*attestation, std::move(proof), std::move(done));
  });
}

void AttestationService::FinishPlatform(const PlatformAttestation& attestation, Result<DeepQuoteProof> proof,
                                        Completion done) {
  boost::json::object details;
  Submodule quote_submod{kSubmodPlatformQuote, {}};
  Submodule aik_submod{kSubmodAikChain, {}};
  std::shared_ptr<const PlatformVerdict> verdict;
  if (!proof.ok()) {
    quote_submod.checks.push_back(
        CheckResult::Failed(kCheckDeepQuote, ReasonCode::kPlatformQuoteUnavailable, proof.error().message()));
  } else {
    quote_submod.checks.push_back(InclusionCheck(*proof, attestation.leaf));
    verdict = VerifyPlatformQuote(proof->platform_quote, proof->root);
    aik_submod.checks.push_back(verdict->aik);
    if (verdict->quote) {
      for (const CheckResult& check : verdict->quote->checks) quote_submod.checks.push_back(check);
      if (verdict->quote->facts) details["quote"] = QuoteFactsJson(*verdict->quote->facts);
    }
    details["deep_quote"] = ProofJson(*proof, platform_.aik_chain_pem);
  }
  const policy::QuoteVerification* quote = verdict && verdict->quote ? &*verdict->quote : nullptr;
  const policy::EventLog* log = attestation.log ? &*attestation.log : nullptr;
  Submodule log_submod = EventLogSubmodule(log, quote, "the host has no firmware event log", details);
  boost::json::object appraisals;
  Submodule policy_submod{kSubmodPolicy,
                          {SectionCheck(kCheckPolicy, attestation.policy.name, attestation.policy.document->platform,
                                        "platform", quote, log_submod.checks.front().passed() ? log : nullptr,
                                        appraisals)}};
  details["appraisal"] = std::move(appraisals);
  Seal({attestation.id, ca::ToUnixSeconds(clock_.Now()), attestation.nonce, "", "", attestation.policy.name,
        attestation.policy.version},
       {std::move(quote_submod), std::move(aik_submod), std::move(log_submod), std::move(policy_submod)},
       std::move(details), std::nullopt, false, std::move(done));
}

void AttestationService::Seal(const EarContext& context, std::vector<Submodule> submodules,
                              boost::json::object details,
                              std::optional<std::pair<Bytes, policy::ClockSnapshot>> accepted_clock,
                              bool evidence_chain_verified, Completion done) {
  const std::string_view subject = context.instance_id.empty() ? "platform" : "instance";
  const EarStatus status = OverallStatus(submodules);
  auto token = signer_.SignCompact(boost::json::serialize(EarClaims(context, submodules)));
  if (!token.ok()) return done(token.error());
  details["subject"] = subject;
  details["nonce"] = HexEncode(context.nonce);
  details["submods"] = SubmodulesJson(submodules);
  auto serialized = SerializeResult(std::move(details), evidence_chain_verified);
  if (!serialized.ok()) return done(serialized.error());
  AttestationRecord record{.id = context.attestation_id,
                           .created_at = context.issued_at,
                           .subject = std::string(subject),
                           .instance_id = context.instance_id,
                           .vm_id = context.vm_id,
                           .status = std::string(EarStatusName(status)),
                           .policy_name = context.policy_name,
                           .policy_version = context.policy_version,
                           .token = std::move(token).value(),
                           .result_json = std::move(serialized->full_json),
                           .stored_result_json = std::move(serialized->stored_json),
                           .chains = std::move(serialized->chains),
                           .failure_event_json = {},
                           .accepted_clock = std::move(accepted_clock)};
  if (status == EarStatus::kContraindicated) {
    boost::json::object event{{"attestation_id", context.attestation_id},
                              {"subject", subject},
                              {"reasons", FailureReasonsJson(submodules)}};
    if (!context.instance_id.empty()) {
      event["instance_id"] = context.instance_id;
      event["vm_id"] = context.vm_id;
    }
    record.failure_event_json = boost::json::serialize(event);
  }
  writer_->Write(std::move(record), std::move(done));
}

}  // namespace vtpmd::app
