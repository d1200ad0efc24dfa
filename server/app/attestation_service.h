#pragma once
// Attestation for remote challengers (docs/attestation.md, "Attestation API").
//
// A guest attestation verifies, for an instance of this host: the AIK certificate
// chain (issued here, for this instance, not revoked), the quote (quote_verifier.h,
// with the AIK's clock history), the event log against the quote, the policy's
// guest reference values, and, when every one of those passed and the challenger
// asked for it, the platform link: a leaf binding the nonce, the instance, its EK'
// and AIK' names and the guest quote, quoted by the platform AIK in a Merkle batch
// (deep_quote_batcher.h) and checked with its inclusion proof, the platform AIK's
// chain and the policy's platform reference values. The verdict is an EAR JWT
// signed by the attestation-result signer, and the result is stored.
//
// Malformed requests, unknown instances and unknown policies are errors (4xx) and
// record nothing; everything wrong with the evidence is a contraindicated result,
// recorded with an attestation.failed event. Completions run on whichever thread
// finished the work: the caller's, a batch worker's or the result writer's.

#include <boost/json/object.hpp>

#include <functional>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "ca/aik_chain_verifier.h"
#include "ca/jws_signer.h"
#include "core/clock.h"
#include "core/random.h"
#include "core/remembered_reads.h"
#include "core/result.h"
#include "core/store.h"
#include "policy/attestation_history.h"
#include "policy/pcr_values.h"
#include "policy/reference_policy.h"
#include "policy/store_attestation_history.h"
#include "server/app/attestation_records.h"
#include "server/app/attestation_verdict.h"
#include "server/app/attestation_writer.h"
#include "server/app/deep_quote_batcher.h"
#include "server/app/event_log.h"
#include "server/app/instance_identities.h"
#include "server/app/policy_service.h"

namespace vtpmd::app {

struct GuestEvidence {
  Bytes attest;     // TPMS_ATTEST as signed (`tpm2_quote -m`)
  Bytes signature;  // TPMT_SIGNATURE (`tpm2_quote -s`)
  policy::PcrValues pcrs;
  std::string aik_chain_pem;    // the AIK certificate first
  std::optional<Bytes> event_log;  // binary TCG log, if the guest has one
};

struct GuestAttestationRequest {
  std::string instance_id;  // exactly one of instance_id and vm_id
  std::string vm_id;
  Bytes nonce;
  std::string policy_name;
  std::optional<std::int64_t> policy_version;  // latest when absent
  GuestEvidence evidence;
  bool deep_quote = true;
};

struct PlatformAttestationRequest {
  Bytes nonce;
  std::string policy_name;
  std::optional<std::int64_t> policy_version;
};

// What the platform contributes: its TPM (as a quoter) and its enrolled AIK.
struct PlatformLink {
  PlatformQuoter quoter;            // also used for platform attestations
  std::string aik_chain_pem;        // empty until the platform AIK is enrolled
  std::optional<Bytes> event_log;   // the host's firmware event log, when it has one
};

class AttestationService {
 public:
  using Completion = std::function<void(Result<AttestationRecord>)>;

  static Result<std::unique_ptr<AttestationService>> Create(Store& store, EventLog& events, PolicyService& policies,
                                                            const ca::CaHierarchy& hierarchy, PlatformLink platform,
                                                            DeepQuoteBatcherOptions batching,
                                                            std::chrono::seconds result_retention, const Clock& clock,
                                                            Rng& rng);
  // Finishes every attestation in progress, then returns.
  ~AttestationService();

  void AttestGuest(GuestAttestationRequest request, Completion done);
  void AttestPlatform(PlatformAttestationRequest request, Completion done);

  Result<AttestationRecord> Get(std::string_view id) const { return records_.Get(id); }
  Result<std::vector<AttestationSummary>> List(const AttestationFilter& filter) const { return records_.List(filter); }
  const std::string& JwksJson() const { return signer_.JwksJson(); }

 private:
  struct PolicyChoice;
  struct GuestVerification;
  struct PlatformAttestation;
  struct PlatformVerdict;

  AttestationService(Store& store, EventLog& events, PolicyService& policies,
                     std::unique_ptr<ca::AikChainVerifier> aik_chains, ca::JwsSigner signer, PlatformLink platform,
                     const Clock& clock, Rng& rng);

  Result<PolicyChoice> ChoosePolicy(const std::string& name, std::optional<std::int64_t> version);
  Result<InstanceIdentity> FindInstance(const GuestAttestationRequest& request);
  Result<GuestVerification> VerifyGuest(const GuestAttestationRequest& request, const InstanceIdentity& instance,
                                        const PolicyChoice& policy);
  void FinishGuest(std::shared_ptr<GuestVerification> verification, std::optional<Result<DeepQuoteProof>> proof,
                   Completion done);
  // The platform quote's own checks, once per batch (the batch shares the quote).
  std::shared_ptr<const PlatformVerdict> VerifyPlatformQuote(
      const std::shared_ptr<const PlatformQuoteEvidence>& quote, ByteView qualifying_data);
  void FinishPlatform(const PlatformAttestation& attestation, Result<DeepQuoteProof> proof, Completion done);
  Result<std::optional<ca::VerifiedAik>> PlatformAik();
  // Signs the verdict and hands the result to the writer: the last step of both
  // kinds of attestation (a platform one has no instance id in `context`).
  // `evidence_chain_verified`: the AIK chain in the evidence verified
  // (stored_result.h).
  void Seal(const EarContext& context, std::vector<Submodule> submodules, boost::json::object details,
            std::optional<std::pair<Bytes, policy::ClockSnapshot>> accepted_clock, bool evidence_chain_verified,
            Completion done);

  Store& store_;
  PolicyService& policies_;
  InstanceIdentities instances_;
  std::unique_ptr<ca::AikChainVerifier> aik_chains_;
  ca::JwsSigner signer_;
  PlatformLink platform_;
  const Clock& clock_;
  Rng& rng_;
  std::unique_ptr<policy::StoreAttestationHistory> durable_history_;
  std::unique_ptr<policy::AttestationHistory> history_;
  AttestationRecords records_;

  // Policies as asked for (a name, and a version or the latest) and found, parsed.
  // A version never changes, and a new version or a deletion changes the policies
  // table; bounded, since versions pile up only as fast as admins write them.
  RememberedReads<std::pair<std::string, std::optional<std::int64_t>>, std::shared_ptr<const PolicyChoice>>
      chosen_policies_{1024};

  std::mutex mu_;  // guards the memo below and rng_
  std::vector<std::pair<std::shared_ptr<const PlatformQuoteEvidence>, std::shared_ptr<const PlatformVerdict>>>
      platform_verdicts_;  // the last few batches'

  // Destroyed first: the batcher finishes its batches (whose completions write
  // results), then the writer writes what they queued.
  std::unique_ptr<AttestationWriter> writer_;
  std::unique_ptr<DeepQuoteBatcher> batcher_;
};

}  // namespace vtpmd::app
