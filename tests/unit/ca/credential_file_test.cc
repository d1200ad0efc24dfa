#include "ca/credential_file.h"

#include <gtest/gtest.h>
#include <tss2/tss2_tpm2_types.h>

#include <string>

namespace vtpmd::ca {
namespace {

// The shape of what tpm2_makecredential writes for an RSA-2048 EK and a 32-byte
// secret: integrityHMAC (TPM2B of a SHA-256 digest) || encIdentity (34 bytes), 68 bytes.
CredentialBlob ValidBlob() {
  CredentialBlob blob;
  blob.id_object = {0x00, 0x20};
  for (int i = 0; i < 32 + 34; ++i) blob.id_object.push_back(static_cast<std::uint8_t>(i));
  blob.encrypted_secret.assign(256, 0x5a);
  return blob;
}

Bytes ValidFile() {
  auto file = EncodeCredentialFile(ValidBlob());
  EXPECT_TRUE(file.ok()) << file.error().message();
  return file.ok() ? *file : Bytes{};
}

Bytes Header() {
  return {0xba, 0xdc, 0xc0, 0xde, 0x00, 0x00, 0x00, 0x01};
}

void AppendSized(Bytes& out, const Bytes& data) {
  out.push_back(static_cast<std::uint8_t>(data.size() >> 8));
  out.push_back(static_cast<std::uint8_t>(data.size()));
  out.insert(out.end(), data.begin(), data.end());
}

Bytes File(const Bytes& id_object, const Bytes& secret) {
  Bytes out = Header();
  AppendSized(out, id_object);
  AppendSized(out, secret);
  return out;
}

void ExpectRefused(const Bytes& file, ErrorCode code, std::string_view message_part) {
  auto parsed = ParseCredentialFile(file);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().code(), code) << parsed.error().message();
  EXPECT_NE(parsed.error().message().find(message_part), std::string::npos) << parsed.error().message();
}

TEST(CredentialFileTest, EncodesTheTpm2ToolsLayout) {
  const Bytes file = ValidFile();
  ASSERT_EQ(file.size(), 8 + 2 + 68 + 2 + 256);
  EXPECT_EQ(HexEncode(ByteView(file).first(12)), "badcc0de0000000100440020");
  EXPECT_EQ(HexEncode(ByteView(file).subspan(8 + 2 + 68, 2)), "0100");
}

TEST(CredentialFileTest, RoundTrips) {
  const Bytes file = ValidFile();
  auto parsed = ParseCredentialFile(file);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message();
  EXPECT_EQ(parsed->id_object, ValidBlob().id_object);
  EXPECT_EQ(parsed->encrypted_secret, ValidBlob().encrypted_secret);
  auto again = EncodeCredentialFile(*parsed);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, file);
}

TEST(CredentialFileTest, AcceptsEveryDigestSizeAndAnEccPoint) {
  for (std::size_t hmac_size : {20U, 32U, 48U, 64U}) {
    Bytes id_object = {0x00, static_cast<std::uint8_t>(hmac_size)};
    id_object.resize(2 + hmac_size + 2 + hmac_size, 0x11);
    const Bytes point(2 + 32 + 2 + 32, 0x22);
    EXPECT_TRUE(ParseCredentialFile(File(id_object, point)).ok()) << hmac_size;
  }
}

TEST(CredentialFileTest, RefusesTruncatedHeaders) {
  ExpectRefused({}, ErrorCode::kInvalidArgument, "truncated");
  ExpectRefused({0xba, 0xdc, 0xc0}, ErrorCode::kInvalidArgument, "truncated");
  ExpectRefused({0xba, 0xdc, 0xc0, 0xde, 0x00, 0x00}, ErrorCode::kInvalidArgument, "truncated");
}

TEST(CredentialFileTest, RefusesAnotherMagic) {
  Bytes file = ValidFile();
  file[3] = 0xdf;
  ExpectRefused(file, ErrorCode::kInvalidArgument, "magic");
}

TEST(CredentialFileTest, RefusesAnotherVersion) {
  for (std::uint8_t version : {std::uint8_t{0}, std::uint8_t{2}}) {
    Bytes file = ValidFile();
    file[7] = version;
    ExpectRefused(file, ErrorCode::kUnsupported, "version " + std::to_string(version));
  }
  Bytes file = ValidFile();
  file[4] = 0x01;  // version 0x01000001: a little-endian writer's 1 would look like this
  ExpectRefused(file, ErrorCode::kUnsupported, "version");
}

TEST(CredentialFileTest, RefusesATruncatedIdObject) {
  const Bytes file = ValidFile();
  ExpectRefused(Bytes(file.begin(), file.begin() + 9), ErrorCode::kInvalidArgument, "ID object is truncated");
  ExpectRefused(Bytes(file.begin(), file.begin() + 40), ErrorCode::kInvalidArgument, "ID object is truncated");
}

TEST(CredentialFileTest, RefusesAnIdObjectLargerThanTheTpmStructure) {
  Bytes id_object = {0x00, 0x40};
  id_object.resize(2 + 64 + 66 + 1, 0x33);  // one byte over sizeof(TPMS_ID_OBJECT)
  ExpectRefused(File(id_object, Bytes(256, 1)), ErrorCode::kInvalidArgument, "too large");
}

TEST(CredentialFileTest, RefusesAnIntegrityHmacThatIsNotADigest) {
  Bytes id_object = {0x00, 0x1f};
  id_object.resize(2 + 31 + 34, 0x44);
  ExpectRefused(File(id_object, Bytes(256, 1)), ErrorCode::kInvalidArgument, "not digest-sized");
}

TEST(CredentialFileTest, RefusesAnIntegrityHmacOverrunningTheIdObject) {
  ExpectRefused(File({0x00, 0x20, 0x01, 0x02}, Bytes(256, 1)), ErrorCode::kInvalidArgument, "ID object is truncated");
  ExpectRefused(File({0x00}, Bytes(256, 1)), ErrorCode::kInvalidArgument, "ID object is truncated");
}

TEST(CredentialFileTest, RefusesAnEncIdentityOfImpossibleSize) {
  Bytes short_identity = {0x00, 0x20};
  short_identity.resize(2 + 32 + 1, 0x55);
  ExpectRefused(File(short_identity, Bytes(256, 1)), ErrorCode::kInvalidArgument, "encIdentity");
  Bytes long_identity = {0x00, 0x20};
  long_identity.resize(2 + 32 + 67, 0x55);
  ExpectRefused(File(long_identity, Bytes(256, 1)), ErrorCode::kInvalidArgument, "encIdentity");
}

TEST(CredentialFileTest, RefusesATruncatedSecret) {
  const Bytes file = ValidFile();
  ExpectRefused(Bytes(file.begin(), file.begin() + 8 + 2 + 68 + 1), ErrorCode::kInvalidArgument,
                "encrypted secret is truncated");
  ExpectRefused(Bytes(file.begin(), file.end() - 1), ErrorCode::kInvalidArgument, "encrypted secret is truncated");
  ExpectRefused(Bytes(file.begin(), file.begin() + 8 + 2 + 68), ErrorCode::kInvalidArgument,
                "encrypted secret is truncated");
}

TEST(CredentialFileTest, RefusesAnEmptySecret) {
  ExpectRefused(File(ValidBlob().id_object, {}), ErrorCode::kInvalidArgument, "empty");
}

TEST(CredentialFileTest, RefusesASecretLargerThanTheTpmStructure) {
  ExpectRefused(File(ValidBlob().id_object, Bytes(sizeof(TPM2B_ENCRYPTED_SECRET::secret) + 1, 1)),
                ErrorCode::kInvalidArgument, "too large");
}

TEST(CredentialFileTest, RefusesTrailingBytes) {
  Bytes file = ValidFile();
  file.push_back(0);
  ExpectRefused(file, ErrorCode::kInvalidArgument, "trailing");
}

TEST(CredentialFileTest, EncodeRefusesBlobsNoTpmWouldAccept) {
  CredentialBlob no_secret = ValidBlob();
  no_secret.encrypted_secret.clear();
  EXPECT_FALSE(EncodeCredentialFile(no_secret).ok());
  CredentialBlob bad_id = ValidBlob();
  bad_id.id_object.resize(3);
  EXPECT_FALSE(EncodeCredentialFile(bad_id).ok());
  CredentialBlob huge_secret = ValidBlob();
  huge_secret.encrypted_secret.assign(70000, 1);
  EXPECT_FALSE(EncodeCredentialFile(huge_secret).ok());
}

}  // namespace
}  // namespace vtpmd::ca
