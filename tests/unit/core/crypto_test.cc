#include "core/crypto.h"

#include <gtest/gtest.h>

#include "core/hmac_key.h"
#include "core/random.h"
#include "core/secret_bytes.h"

namespace vtpmd {
namespace {

TEST(Digest, Sha256OfAbcMatchesFips180Vector) {
  auto digest = Sha256(AsBytes("abc"));
  ASSERT_TRUE(digest.ok());
  EXPECT_EQ(HexEncode(*digest), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Digest, PartsEqualWhole) {
  auto whole = Digest(HashAlg::kSha384, AsBytes("hello world"));
  auto parts = DigestParts(HashAlg::kSha384, {AsBytes("hello"), AsBytes(" "), AsBytes("world")});
  ASSERT_TRUE(whole.ok() && parts.ok());
  EXPECT_EQ(*whole, *parts);
}

TEST(Hmac, MatchesRfc4231Case2) {
  auto mac = Hmac(HashAlg::kSha256, AsBytes("Jefe"), AsBytes("what do ya want for nothing?"));
  ASSERT_TRUE(mac.ok());
  EXPECT_EQ(HexEncode(*mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(HmacKey, KeyedOnceMatchesRfc4231Case2ForEveryMessageAndSplit) {
  auto key = HmacKey::Create(HashAlg::kSha256, AsBytes("Jefe"));
  ASSERT_TRUE(key.ok());
  const std::string expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
  for (int use = 0; use < 2; ++use) {
    auto whole = key->Mac({AsBytes("what do ya want for nothing?")});
    ASSERT_TRUE(whole.ok());
    EXPECT_EQ(HexEncode(*whole), expected) << "use " << use;
  }
  auto parts = key->Mac({AsBytes("what do "), AsBytes(""), AsBytes("ya want for nothing?")});
  ASSERT_TRUE(parts.ok());
  EXPECT_EQ(HexEncode(*parts), expected);
}

TEST(Hmac, MatchesRfc4231Case1) {
  const Bytes key(20, 0x0b);
  auto mac = Hmac(HashAlg::kSha256, key, AsBytes("Hi There"));
  ASSERT_TRUE(mac.ok());
  EXPECT_EQ(HexEncode(*mac), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST(AesGcm, SealsAndOpensWithMatchingAad) {
  DeterministicRng rng(7);
  auto key = rng.GenerateSecret(32);
  ASSERT_TRUE(key.ok());
  auto sealed = AesGcmSeal(*key, AsBytes("secret key material"), AsBytes("record-1"), rng);
  ASSERT_TRUE(sealed.ok());
  auto opened = AesGcmOpen(*key, *sealed, AsBytes("record-1"));
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(AsChars(opened->view()), "secret key material");
}

TEST(AesGcm, RejectsWrongAadTamperingAndWrongKey) {
  DeterministicRng rng(7);
  auto key = rng.GenerateSecret(32);
  auto other = rng.GenerateSecret(32);
  auto sealed = AesGcmSeal(*key, AsBytes("payload"), AsBytes("record-1"), rng);
  ASSERT_TRUE(sealed.ok());
  EXPECT_FALSE(AesGcmOpen(*key, *sealed, AsBytes("record-2")).ok());
  EXPECT_FALSE(AesGcmOpen(*other, *sealed, AsBytes("record-1")).ok());
  Bytes tampered = *sealed;
  tampered[14] ^= 1;
  EXPECT_FALSE(AesGcmOpen(*key, tampered, AsBytes("record-1")).ok());
  EXPECT_FALSE(AesGcmOpen(*key, Bytes(10), AsBytes("record-1")).ok());
}

TEST(DeterministicRng, RepeatsForTheSameSeed) {
  DeterministicRng a(42), b(42), c(43);
  EXPECT_EQ(*a.Generate(50), *b.Generate(50));
  EXPECT_NE(*a.Generate(50), *c.Generate(50));
}

TEST(SecretBytes, MoveLeavesSourceEmpty) {
  SecretBytes a = SecretBytes::CopyFrom(AsBytes("key"));
  SecretBytes b = std::move(a);
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): the point of the test
  EXPECT_EQ(AsChars(b.view()), "key");
}

}  // namespace
}  // namespace vtpmd
