#include "tests/unit/policy/quote_test_support.h"

#include <gtest/gtest.h>

#include "core/tpm_keys.h"
#include "core/tpm_name.h"
#include "core/tpm_wire.h"
#include "schema/schema.h"

namespace vtpmd::testing {

LoadedAik LoadAik(ByteView tpm2b_public) {
  LoadedAik out;
  auto pub = tpm::ParsePublic(tpm2b_public);
  EXPECT_TRUE(pub.ok()) << pub.error().message();
  if (!pub.ok()) return out;
  auto key = tpm::PublicKeyFromTpm(pub->publicArea);
  auto name = tpm::ObjectName(pub->publicArea);
  EXPECT_TRUE(key.ok() && name.ok());
  if (key.ok()) out.key = std::move(key).value();
  if (name.ok()) out.name = *name;
  return out;
}

HistoryStore::HistoryStore() {
  auto store = Store::OpenInMemory(schema::Migrations());
  EXPECT_TRUE(store.ok()) << store.error().message();
  if (!store.ok()) return;
  store_ = std::move(store).value();
  history_ = std::make_unique<policy::StoreAttestationHistory>(*store_);
}

std::vector<std::string> Failures(const policy::QuoteVerification& verification) {
  std::vector<std::string> out;
  for (const policy::CheckResult& check : verification.checks) {
    if (check.outcome == policy::CheckOutcome::kFailed) {
      out.push_back(std::string(check.check) + ":" + std::string(policy::ReasonCodeName(check.reason)));
    }
  }
  return out;
}

std::string Outcome(const policy::QuoteVerification& verification, std::string_view check) {
  const policy::CheckResult* found = verification.Find(check);
  return found == nullptr ? "absent" : std::string(policy::CheckOutcomeName(found->outcome));
}

}  // namespace vtpmd::testing
