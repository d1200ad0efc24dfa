#include "ca/aik_chain_verifier.h"

#include <algorithm>

#include "ca/aik_certificate.h"
#include "ca/certificate_record.h"
#include "ca/chain_verifier.h"
#include "ca/der.h"
#include "ca/extended_key_usage.h"
#include "ca/pem_certificates.h"
#include "ca/serial_number.h"
#include "ca/vtpmd_oids.h"
#include "core/byte_reader.h"

namespace vtpmd::ca {
namespace {

using Asn1ObjectPtr = ossl::Owned<ASN1_OBJECT, ASN1_OBJECT_free>;

// The extension holds the DER of an OCTET STRING with the name.
std::optional<Bytes> TpmObjectName(X509* certificate) {
  Asn1ObjectPtr name_oid(OBJ_txt2obj(std::string(oid::kTpmObjectName).c_str(), 1));
  if (!name_oid) return std::nullopt;
  const int index = X509_get_ext_by_OBJ(certificate, name_oid.get(), -1);
  if (index < 0) return std::nullopt;
  const ASN1_OCTET_STRING* value = X509_EXTENSION_get_data(X509_get_ext(certificate, index));
  ByteReader reader(ByteView(ASN1_STRING_get0_data(value), static_cast<std::size_t>(ASN1_STRING_length(value))));
  auto name = der::ReadElement(reader, der::kTagOctetString);
  if (!name.ok() || reader.remaining() != 0 || name->empty()) return std::nullopt;
  return Bytes(name->begin(), name->end());
}

std::string RevokedDetail(std::string_view serial, RevocationReason reason) {
  return "certificate " + std::string(serial) + " was revoked (" + std::string(RevocationReasonName(reason)) + ")";
}

}  // namespace

Result<std::unique_ptr<AikChainVerifier>> AikChainVerifier::Create(Store& store, const CaHierarchy& hierarchy) {
  VTPMD_ASSIGN_OR_RETURN(const Issuer* root, hierarchy.issuer(IssuerRole::kRoot));
  VTPMD_ASSIGN_OR_RETURN(const Issuer* privacy_ca, hierarchy.issuer(IssuerRole::kPrivacyCa));
  X509* const trusted[] = {root->certificate.get(), privacy_ca->certificate.get()};
  VTPMD_ASSIGN_OR_RETURN(ValidityWindow window, CommonValidity(trusted));
  std::vector<Bytes> issuer_ders;
  for (X509* issuer : trusted) {
    VTPMD_ASSIGN_OR_RETURN(Bytes der, ossl::CertificateDer(issuer));
    issuer_ders.push_back(std::move(der));
  }
  return std::unique_ptr<AikChainVerifier>(new AikChainVerifier(store, root->certificate.get(),
                                                                privacy_ca->certificate.get(), window,
                                                                std::move(issuer_ders)));
}

AikChainVerifier::ChainVerdict AikChainVerifier::VerifyChain(const std::vector<ossl::X509Ptr>& chain,
                                                             TimePoint now) const {
  std::vector<X509*> intermediates{privacy_ca_};
  for (std::size_t i = 1; i < chain.size(); ++i) intermediates.push_back(chain[i].get());
  X509* const anchors[] = {root_};
  Status chained = VerifyCertificateChain(chain.front().get(), intermediates, anchors, now);
  if (!chained.ok()) return {AikChainRejection::kUntrusted, "the AIK certificate is not trusted: " + chained.error().message(), {}};
  std::vector<X509*> path;
  for (const ossl::X509Ptr& certificate : chain) path.push_back(certificate.get());
  auto window = CommonValidity(path);
  if (!window.ok()) return {AikChainRejection::kMalformed, window.error().message(), {}};
  return {std::nullopt, "", {std::max(window->from, trust_window_.from), std::min(window->until, trust_window_.until)}};
}

Result<std::optional<std::pair<AikChainRejection, std::string>>> AikChainVerifier::CheckRecords(
    const std::vector<ossl::X509Ptr>& chain, const std::vector<Bytes>& ders, VerifiedAik& aik,
    std::vector<std::string>& revocable) const {
  using Refusal = std::optional<std::pair<AikChainRejection, std::string>>;
  for (std::size_t i = 0; i < chain.size(); ++i) {
    if (i != 0 && std::find(issuer_ders_.begin(), issuer_ders_.end(), ders[i]) != issuer_ders_.end()) continue;
    VTPMD_ASSIGN_OR_RETURN(std::string serial, SerialHex(chain[i].get()));
    VTPMD_ASSIGN_OR_RETURN(std::optional<CertificateRecord> recorded, FindCertificate(store_, serial));
    const bool ours = recorded && recorded->der == ders[i];
    if (ours && recorded->revoked_at) {
      return Refusal({AikChainRejection::kRevoked, RevokedDetail(serial, recorded->revocation_reason)});
    }
    if (ours) revocable.push_back(serial);
    if (i != 0) continue;
    if (!ours || (recorded->kind != kAikKind && recorded->kind != kPlatformAikKind)) {
      return Refusal({AikChainRejection::kNotIssuedHere, "this host issued no AIK certificate with serial " + serial});
    }
    aik.serial = serial;
    aik.kind = recorded->kind;
    aik.instance_id = recorded->instance_id;
  }
  return Refusal();
}

Result<AikChainOutcome> AikChainVerifier::Reaccept(const AcceptedChain& accepted) const {
  // Read before the lookups: a revocation after this read changes the count again.
  const std::uint64_t changes = store_.RowChanges(kCertificatesTable);
  if (accepted.unrevoked_at_changes.load(std::memory_order_acquire) != changes) {
    for (const std::string& serial : accepted.revocable_serials) {
      VTPMD_ASSIGN_OR_RETURN(std::optional<RevocationReason> revoked, FindRevocation(store_, serial));
      if (revoked) return AikChainOutcome{std::nullopt, AikChainRejection::kRevoked, RevokedDetail(serial, *revoked)};
    }
    accepted.unrevoked_at_changes.store(changes, std::memory_order_release);
  }
  VerifiedAik aik;
  aik.certificate = ossl::ShareCertificate(accepted.leaf.get());
  aik.public_key = X509_get0_pubkey(aik.certificate.get());
  aik.name = accepted.name;
  aik.serial = accepted.serial;
  aik.kind = accepted.kind;
  aik.instance_id = accepted.instance_id;
  return AikChainOutcome{std::move(aik), AikChainRejection::kMalformed, ""};
}

Result<AikChainOutcome> AikChainVerifier::Verify(std::string_view chain_pem, TimePoint now) const {
  std::string key(chain_pem);
  if (auto accepted = accepted_.Find(key, now)) return Reaccept(**accepted);
  auto ders = PemCertificateDers(chain_pem);
  if (!ders.ok()) return AikChainOutcome{std::nullopt, AikChainRejection::kMalformed, ders.error().message()};
  std::vector<ossl::X509Ptr> chain;
  for (const Bytes& der : *ders) {
    auto certificate = parsed_.Parse(der);
    if (!certificate.ok()) {
      return AikChainOutcome{std::nullopt, AikChainRejection::kMalformed, "a certificate of the AIK chain does not parse"};
    }
    chain.push_back(std::move(certificate).value());
  }

  X509* leaf = chain.front().get();
  VerifiedAik aik;
  std::optional<Bytes> name = TpmObjectName(leaf);
  aik.public_key = X509_get0_pubkey(leaf);
  if (!HasExtendedKeyUsage(leaf, oid::kAikCertificateUsage) || !name || aik.public_key == nullptr) {
    return AikChainOutcome{std::nullopt, AikChainRejection::kNotAnAik,
                           "the leaf is not an AIK certificate (TCG AIK usage and TPM name extension)"};
  }
  aik.name = std::move(*name);

  ChainVerdict verdict = VerifyChain(chain, now);
  if (verdict.rejection) return AikChainOutcome{std::nullopt, *verdict.rejection, std::move(verdict.detail)};
  std::vector<std::string> revocable;
  const std::uint64_t changes = store_.RowChanges(kCertificatesTable);
  VTPMD_ASSIGN_OR_RETURN(auto refusal, CheckRecords(chain, *ders, aik, revocable));
  if (refusal) return AikChainOutcome{std::nullopt, refusal->first, std::move(refusal->second)};
  auto accepted = std::make_shared<AcceptedChain>();
  accepted->leaf = ossl::ShareCertificate(leaf);
  accepted->name = aik.name;
  accepted->serial = aik.serial;
  accepted->kind = aik.kind;
  accepted->instance_id = aik.instance_id;
  accepted->revocable_serials = std::move(revocable);
  accepted->unrevoked_at_changes = changes;
  accepted_.Remember(std::move(key), std::move(accepted), verdict.window.from, verdict.window.until);
  aik.certificate = std::move(chain.front());
  return AikChainOutcome{std::move(aik), AikChainRejection::kMalformed, ""};
}

}  // namespace vtpmd::ca
