#include "core/tpm_ek_template.h"

#include <gtest/gtest.h>

#include <vector>

#include "core/tpm_keys.h"

namespace vtpmd::tpm {
namespace {

ossl::PkeyPtr Rsa(unsigned bits) { return ossl::PkeyPtr(EVP_RSA_gen(bits)); }
ossl::PkeyPtr Ec(const char* curve) { return ossl::PkeyPtr(EVP_EC_gen(curve)); }

TEST(EkTemplate, RebuildsTheDefaultTemplateEkFromACertificateKey) {
  std::vector<ossl::PkeyPtr> keys;
  keys.push_back(Rsa(2048));
  keys.push_back(Ec("P-256"));
  for (const ossl::PkeyPtr& key : keys) {
    Result<TPMT_PUBLIC> area = EkPublicFromKey(key.get());
    ASSERT_TRUE(area.ok()) << area.error().message();
    const TPMT_PUBLIC tmpl =
        (EVP_PKEY_get_base_id(key.get()) == EVP_PKEY_RSA ? EkRsaTemplate() : EkEccTemplate()).publicArea;
    EXPECT_EQ(area->objectAttributes, tmpl.objectAttributes);
    EXPECT_EQ(area->authPolicy.size, 32);
    Result<ossl::PkeyPtr> back = PublicKeyFromTpm(*area);
    ASSERT_TRUE(back.ok()) << back.error().message();
    EXPECT_EQ(EVP_PKEY_eq(back->get(), key.get()), 1) << "the area carries the certificate's key";
  }
}

TEST(EkTemplate, KeysOfOtherTemplatesAreRefused) {
  EXPECT_EQ(EkPublicFromKey(Rsa(3072).get()).error().code(), ErrorCode::kUnsupported);
  EXPECT_EQ(EkPublicFromKey(Ec("P-384").get()).error().code(), ErrorCode::kUnsupported);
  EXPECT_EQ(EkPublicFromKey(nullptr).error().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace vtpmd::tpm
