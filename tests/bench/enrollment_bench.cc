// AIK enrollments per second in process (issue 4): the privacy CA as vtpmd runs it
// (CaHierarchy and AikEnrollment on a SQLite store in a data directory, WAL, every
// commit flushed before it returns, in groups), each iteration one whole enrollment: Challenge with a software
// EK's certificate from the EK authority and a software AIK, the TPM's
// ActivateCredential played in software, then Activate, which issues and records
// the AIK certificate. Beside it, what the enrollment is made of: the software
// activation alone (the TPM's work, to subtract), one committed write transaction
// (2 per enrollment), the EK certificate check, and the same enrollment on an
// in-memory store, after 100,000 recent challenges, from two threads, and from 16
// threads on the file store, where concurrent commits share their flushes.
// tests/bench/enrollment_bench.sh runs it next to the reference and openssl speed.

#include <benchmark/benchmark.h>
#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <utility>

#include "ca/aik_enrollment.h"
#include "ca/aik_public.h"
#include "ca/ek_certificate.h"
#include "ca/ek_certificate_verifier.h"
#include "ca/hierarchy.h"
#include "ca/make_credential.h"
#include "ca/serial_number.h"
#include "core/tpm_ek_template.h"
#include "schema/schema.h"
#include "server/app/event_log.h"
#include "tests/support/software_aik.h"
#include "tests/support/software_credential_activation.h"
#include "tests/unit/vtpm/test_support.h"

namespace vtpmd {
namespace {

enum class EkType { kRsa2048, kEccP256 };
enum class StoreKind { kFile, kMemory };

// Used challenges recorded in the store: about 5 minutes (the challenge lifetime)
// of enrollments at 333/s, which each activation's sweep and insert pass over.
constexpr int kRecentChallenges = 100'000;

template <typename T>
T Must(Result<T> result, std::string_view what) {
  if (!result.ok()) {
    std::fprintf(stderr, "enrollment_bench: %.*s: %s\n", static_cast<int>(what.size()), what.data(),
                 result.error().message().c_str());
    std::abort();
  }
  return std::move(result).value();
}

void Must(const Status& status, std::string_view what) {
  if (!status.ok()) {
    std::fprintf(stderr, "enrollment_bench: %.*s: %s\n", static_cast<int>(what.size()), what.data(),
                 status.error().message().c_str());
    std::abort();
  }
}

ossl::PkeyPtr NewKey(EkType type) {
  return ossl::PkeyPtr(type == EkType::kRsa2048 ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{2048})
                                                : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
}

// The TPM being enrolled: its EK (private half included, to play ActivateCredential)
// and an AIK.
struct SoftwareTpm {
  ossl::PkeyPtr ek_key;
  TPMT_PUBLIC ek_public;
  Bytes aik_public;  // TPM2B_PUBLIC

  explicit SoftwareTpm(EkType type) : ek_key(NewKey(type)) {
    ek_public = Must(tpm::EkPublicFromKey(ek_key.get()), "EK public area");
    ossl::PkeyPtr aik_key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    aik_public = Must(testing::SoftwareAikPublic(aik_key.get()), "AIK public area");
  }
};

// vtpmd's privacy CA as Application wires it, on its own store.
struct PrivacyCa {
  vtpm::testing::TempDir dir;
  std::unique_ptr<Store> store;
  SystemClock clock;
  OsRng rng;
  std::unique_ptr<ca::CaHierarchy> hierarchy;
  std::optional<ca::EkCertificateVerifier> verifier;
  std::unique_ptr<app::EventLog> events;
  std::unique_ptr<ca::AikEnrollment> enrollment;
  SoftwareTpm tpm;
  ossl::X509Ptr ek_certificate;
  std::string host_name;

  PrivacyCa(EkType ek_type, StoreKind store_kind, int recent_challenges) : tpm(ek_type) {
    store = Must(store_kind == StoreKind::kFile ? Store::Open(dir.path() / "vtpmd.db", schema::Migrations())
                                                : Store::OpenInMemory(schema::Migrations()),
                 "store");
    const SecretBytes data_key = Must(rng.GenerateSecret(32), "data key");
    hierarchy = Must(ca::CaHierarchy::LoadOrCreate(*store, data_key, ca::CaOptions{}, clock, rng), "CA hierarchy");
    verifier.emplace(Must(ca::EkCertificateVerifier::Create(*store, *hierarchy, {}), "EK verifier"));
    events = Must(app::EventLog::Open(*store, clock, rng), "event log");
    const ca::Issuer* privacy_ca = Must(hierarchy->issuer(ca::IssuerRole::kPrivacyCa), "privacy CA");
    // As EnrollmentService's hook: the event row commits with the certificate.
    auto announce = [this](X509*, std::string_view serial, std::string_view, std::string_view kind) -> Status {
      return events->Record("certificate.issued", "certificates/" + std::string(serial),
                            R"({"serial":")" + std::string(serial) + R"(","kind":")" + std::string(kind) +
                                R"(","issuer":"privacy-ca"})");
    };
    // No host signing key: the privacy CA itself signs, as for any TPM that asks
    // with an EK certificate alone.
    enrollment = std::make_unique<ca::AikEnrollment>(*store, *privacy_ca, nullptr, *verifier, ca::EnrollmentPolicy{},
                                                     clock, rng, std::move(announce));
    IssueEkCertificate();
    if (recent_challenges > 0) AddRecentChallenges(recent_challenges);
  }

  // What POST /v1/ek-certificates does for a TPM vtpmd did not make.
  void IssueEkCertificate() {
    const ca::Issuer* ek_authority = Must(hierarchy->issuer(ca::IssuerRole::kEkAuthority), "EK authority");
    const ca::EkCertificateRequest request{tpm.ek_key.get(), ca::TpmDeviceInfo{0x49424d00, "swtpm", 0}, "",
                                           std::chrono::hours(24 * 365), ""};
    Must(store->Transaction([&]() -> Status {
      VTPMD_ASSIGN_OR_RETURN(ek_certificate, ca::IssueEkCertificate(*ek_authority, request, *store, clock, rng));
      return Ok();
    }),
         "EK certificate");
    host_name = "TPM of EK certificate " + Must(ca::SerialHex(ek_certificate.get()), "serial");
  }

  // Challenges already answered within their lifetime, as under a sustained load:
  // rows each activation's sweep and insert pass over.
  void AddRecentChallenges(int count) {
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(clock.Now().time_since_epoch()).count();
    Must(store->Exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " +
                     std::to_string(count) +
                     ") INSERT INTO aik_challenges(id, ek_not_after, aik_public, secret_hash, created_at, "
                     "expires_at, state) SELECT 'recent-' || i, 0, x'00', x'00', " +
                     std::to_string(now) + ", " + std::to_string(now + 300) + ", 'activated' FROM n"),
         "recent challenges");
  }

  // The claim EnrollmentService makes for a TPM known only by its EK certificate.
  ca::EndorsementClaim Claim() const {
    return ca::EndorsementClaim{.ek_certificate = ek_certificate.get(),
                                .ek_public = std::nullopt,
                                .instance_id = "",
                                .vm_id = "",
                                .host_name = host_name};
  }
};

// One CA per benchmark, shared by its runs and threads; no benchmark counts the
// challenges another left behind.
PrivacyCa& Ca(EkType ek_type, StoreKind store_kind, int threads, int recent_challenges = 0) {
  static std::mutex mu;
  static std::map<std::tuple<EkType, StoreKind, int, int>, std::unique_ptr<PrivacyCa>> cas;
  std::lock_guard lock(mu);
  auto& ca = cas[{ek_type, store_kind, threads, recent_challenges}];
  if (!ca) ca = std::make_unique<PrivacyCa>(ek_type, store_kind, recent_challenges);
  return *ca;
}

void Enroll(benchmark::State& state, PrivacyCa& ca) {
  const ca::EndorsementClaim claim = ca.Claim();
  for (auto _ : state) {
    auto challenge = ca.enrollment->Challenge(claim, ca.tpm.aik_public);
    if (!challenge.ok()) {
      state.SkipWithError(challenge.error().message().c_str());
      break;
    }
    auto secret = testing::ActivateCredential(ca.tpm.ek_key.get(), ca.tpm.ek_public, challenge->aik_name,
                                              challenge->credential);
    if (!secret.ok()) {
      state.SkipWithError(secret.error().message().c_str());
      break;
    }
    auto enrolled = ca.enrollment->Activate(challenge->id, secret->view());
    if (!enrolled.ok()) {
      state.SkipWithError(enrolled.error().message().c_str());
      break;
    }
    benchmark::DoNotOptimize(enrolled->certificate);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Enroll(benchmark::State& state, EkType ek_type, StoreKind store_kind) {
  Enroll(state, Ca(ek_type, store_kind, state.threads()));
}

void BM_EnrollAfterRecentChallenges(benchmark::State& state, EkType ek_type, StoreKind store_kind) {
  Enroll(state, Ca(ek_type, store_kind, state.threads(), kRecentChallenges));
}

// The TPM's share of an iteration, on a credential made the way Challenge makes it.
void BM_SoftwareActivation(benchmark::State& state, EkType ek_type) {
  const SoftwareTpm tpm(ek_type);
  OsRng rng;
  const Bytes name = Must(ca::AikPublic::Create(tpm.aik_public), "AIK").name();
  const SecretBytes secret = Must(rng.GenerateSecret(32), "secret");
  const ca::CredentialBlob blob = Must(ca::MakeCredential(tpm.ek_public, name, secret, rng), "credential");
  for (auto _ : state) {
    auto recovered = testing::ActivateCredential(tpm.ek_key.get(), tpm.ek_public, name, blob);
    if (!recovered.ok()) {
      state.SkipWithError(recovered.error().message().c_str());
      break;
    }
    benchmark::DoNotOptimize(recovered->data());
  }
  state.SetItemsProcessed(state.iterations());
}

// One committed write transaction: Challenge and Activate each make one.
void BM_StoreCommit(benchmark::State& state, StoreKind store_kind) {
  vtpm::testing::TempDir dir;
  auto store = Must(store_kind == StoreKind::kFile ? Store::Open(dir.path() / "commit.db", {})
                                                   : Store::OpenInMemory({}),
                    "store");
  Must(store->Exec("CREATE TABLE rows(id INTEGER PRIMARY KEY, data BLOB NOT NULL)"), "table");
  const Bytes row(600, 0x5a);  // about what an enrollment writes per transaction
  for (auto _ : state) {
    Status committed = store->Transaction([&]() -> Status {
      VTPMD_ASSIGN_OR_RETURN(auto insert, store->Prepare("INSERT INTO rows(data) VALUES(?)"));
      return insert.Bind(1, ByteView(row)).Run();
    });
    if (!committed.ok()) {
      state.SkipWithError(committed.error().message().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}

// The EK certificate check of every Challenge (chain to the root, usage, revocation).
void BM_EkCertificateVerify(benchmark::State& state) {
  PrivacyCa& ca = Ca(EkType::kRsa2048, StoreKind::kMemory, 0);
  for (auto _ : state) {
    auto verified = ca.verifier->Verify(ca.ek_certificate.get(), ca.clock.Now());
    if (!verified.ok()) {
      state.SkipWithError(verified.error().message().c_str());
      break;
    }
    benchmark::DoNotOptimize(*verified);
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK_CAPTURE(BM_Enroll, rsa_ek_file_store, EkType::kRsa2048, StoreKind::kFile)->UseRealTime();
BENCHMARK_CAPTURE(BM_Enroll, ecc_ek_file_store, EkType::kEccP256, StoreKind::kFile)->UseRealTime();
BENCHMARK_CAPTURE(BM_Enroll, rsa_ek_memory_store, EkType::kRsa2048, StoreKind::kMemory)->UseRealTime();
BENCHMARK_CAPTURE(BM_Enroll, ecc_ek_memory_store, EkType::kEccP256, StoreKind::kMemory)->UseRealTime();
BENCHMARK_CAPTURE(BM_SoftwareActivation, rsa_ek, EkType::kRsa2048)->UseRealTime();
BENCHMARK_CAPTURE(BM_SoftwareActivation, ecc_ek, EkType::kEccP256)->UseRealTime();
BENCHMARK_CAPTURE(BM_StoreCommit, file_store, StoreKind::kFile)->UseRealTime();
BENCHMARK_CAPTURE(BM_StoreCommit, memory_store, StoreKind::kMemory)->UseRealTime();
BENCHMARK(BM_EkCertificateVerify)->UseRealTime();
BENCHMARK_CAPTURE(BM_EnrollAfterRecentChallenges, rsa_ek_memory_store, EkType::kRsa2048, StoreKind::kMemory)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Enroll, rsa_ek_file_store, EkType::kRsa2048, StoreKind::kFile)->UseRealTime()->Threads(2);
BENCHMARK_CAPTURE(BM_Enroll, rsa_ek_memory_store, EkType::kRsa2048, StoreKind::kMemory)->UseRealTime()->Threads(2);
BENCHMARK_CAPTURE(BM_Enroll, rsa_ek_file_store, EkType::kRsa2048, StoreKind::kFile)->UseRealTime()->Threads(16);

}  // namespace
}  // namespace vtpmd

BENCHMARK_MAIN();
