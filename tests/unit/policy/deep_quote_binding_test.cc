// The deep-quote leaf: its encoding rebuilt here by plain concatenation, a fixed
// value (computed by scripts/verify_merkle_proof.py, an independent implementation),
// and the length prefixes that keep two bindings from sharing a leaf.
#include "policy/deep_quote_binding.h"

#include <gtest/gtest.h>

#include <string>

#include "core/crypto.h"

namespace vtpmd::policy {
namespace {

Bytes Text(std::string_view text) {
  const ByteView bytes = AsBytes(text);
  return Bytes(bytes.begin(), bytes.end());
}

Bytes Name(std::uint8_t fill) {
  Bytes name = {0x00, 0x0b};  // TPM_ALG_SHA256
  name.insert(name.end(), 32, fill);
  return name;
}

Bytes Concat(std::initializer_list<ByteView> parts) {
  Bytes out;
  for (ByteView part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}

Bytes Sha(ByteView data) {
  auto digest = Sha256(data);
  EXPECT_TRUE(digest.ok());
  return digest.ok() ? *digest : Bytes{};
}

struct Fields {
  Bytes nonce = Text("challenger nonce 1");
  std::string instance_id = "5B1F8A44-0C1D-4C5E-9A7B-3D2E1F0A9B8C";
  Bytes ek_name = Name(0x11);
  Bytes aik_name = Name(0x22);
  Bytes guest_attest = Text("\xffTCG not really a TPMS_ATTEST");

  DeepQuoteBinding Binding() const { return {nonce, instance_id, ek_name, aik_name, guest_attest}; }
};

TEST(DeepQuoteBinding, EncodingIsTheDocumentedConcatenation) {
  const Fields fields;
  const Bytes instance_id = {0x5b, 0x1f, 0x8a, 0x44, 0x0c, 0x1d, 0x4c, 0x5e,
                             0x9a, 0x7b, 0x3d, 0x2e, 0x1f, 0x0a, 0x9b, 0x8c};
  const Bytes expected = Concat({AsBytes("vtpmd-bind"), Bytes{0x00, 18}, fields.nonce, Bytes{0x00, 16}, instance_id,
                                 Bytes{0x00, 34}, fields.ek_name, Bytes{0x00, 34}, fields.aik_name,
                                 Sha(fields.guest_attest)});
  auto encoded = EncodeDeepQuoteBinding(fields.Binding());
  ASSERT_TRUE(encoded.ok()) << encoded.error().message();
  EXPECT_EQ(HexEncode(*encoded), HexEncode(expected));

  auto leaf = DeepQuoteLeaf(fields.Binding());
  ASSERT_TRUE(leaf.ok()) << leaf.error().message();
  EXPECT_EQ(HexEncode(*leaf), HexEncode(Sha(expected)));
  EXPECT_EQ(HexEncode(*leaf), "0d6ebe138a3e3197885a0b60e3624950cb66e9411ee9d12a8f4964d513c04010");
}

TEST(DeepQuoteBinding, InstanceIdIsTheUuidNotItsSpelling) {
  Fields upper;
  Fields lower;
  lower.instance_id = "5b1f8a44-0c1d-4c5e-9a7b-3d2e1f0a9b8c";
  EXPECT_EQ(HexEncode(*DeepQuoteLeaf(upper.Binding())), HexEncode(*DeepQuoteLeaf(lower.Binding())));

  for (const char* bad : {"", "5b1f8a440c1d4c5e9a7b3d2e1f0a9b8c", "{5b1f8a44-0c1d-4c5e-9a7b-3d2e1f0a9b8c}",
                          "5b1f8a44-0c1d-4c5e-9a7b-3d2e1f0a9b8g"}) {
    Fields fields;
    fields.instance_id = bad;
    auto leaf = DeepQuoteLeaf(fields.Binding());
    ASSERT_FALSE(leaf.ok()) << bad;
    EXPECT_EQ(leaf.error().code(), ErrorCode::kInvalidArgument);
  }
}

TEST(DeepQuoteBinding, LengthPrefixesSeparateTheFields) {
  // Moving a byte across a field boundary keeps the concatenation of the fields
  // but must change the leaf.
  Fields base;
  Fields moved = base;
  moved.ek_name.insert(moved.ek_name.begin(), moved.nonce.back());
  moved.nonce.pop_back();
  EXPECT_NE(HexEncode(*DeepQuoteLeaf(base.Binding())), HexEncode(*DeepQuoteLeaf(moved.Binding())));

  Fields ek_to_aik = base;
  ek_to_aik.aik_name.insert(ek_to_aik.aik_name.begin(), ek_to_aik.ek_name.back());
  ek_to_aik.ek_name.pop_back();
  EXPECT_NE(HexEncode(*DeepQuoteLeaf(base.Binding())), HexEncode(*DeepQuoteLeaf(ek_to_aik.Binding())));

  // Every field counts.
  const std::string leaf = HexEncode(*DeepQuoteLeaf(base.Binding()));
  Fields other = base;
  other.guest_attest.back() ^= 1;
  EXPECT_NE(leaf, HexEncode(*DeepQuoteLeaf(other.Binding())));
  other = base;
  other.aik_name.back() ^= 1;
  EXPECT_NE(leaf, HexEncode(*DeepQuoteLeaf(other.Binding())));
  other = base;
  other.instance_id = "5b1f8a44-0c1d-4c5e-9a7b-3d2e1f0a9b8d";
  EXPECT_NE(leaf, HexEncode(*DeepQuoteLeaf(other.Binding())));
}

TEST(DeepQuoteBinding, FieldsUpTo65535BytesAreAcceptedAndLongerOnesRefused) {
  for (Bytes Fields::*field : {&Fields::nonce, &Fields::ek_name, &Fields::aik_name}) {
    Fields fields;
    (fields.*field).assign(65535, 0x42);
    EXPECT_TRUE(DeepQuoteLeaf(fields.Binding()).ok());
    (fields.*field).push_back(0x42);
    auto leaf = DeepQuoteLeaf(fields.Binding());
    ASSERT_FALSE(leaf.ok());
    EXPECT_EQ(leaf.error().code(), ErrorCode::kInvalidArgument);
  }
  // The attestation is hashed, not length-prefixed: any size goes.
  Fields fields;
  fields.guest_attest.assign(70000, 0x42);
  EXPECT_TRUE(DeepQuoteLeaf(fields.Binding()).ok());
}

TEST(DeepQuoteBinding, EmptyFieldsEncodeAsZeroLengths) {
  Fields fields;
  fields.nonce.clear();
  fields.ek_name.clear();
  fields.aik_name.clear();
  fields.guest_attest.clear();
  auto encoded = EncodeDeepQuoteBinding(fields.Binding());
  ASSERT_TRUE(encoded.ok());
  EXPECT_EQ(encoded->size(), 10U + 2 + 18 + 2 + 2 + 32);
}

}  // namespace
}  // namespace vtpmd::policy
