#include "ca/serial_number.h"

#include <algorithm>
#include <array>

#include <openssl/crypto.h>

namespace vtpmd::ca {
namespace {

constexpr std::size_t kSerialBytes = 16;
// An all-zero draw has probability 2^-127; a generator that keeps producing it is broken.
constexpr int kMaxDraws = 4;

// OPENSSL_free is a macro, so it cannot be an ossl::Owned<> deleter.
using OsslStringPtr = std::unique_ptr<char, decltype([](char* p) { OPENSSL_free(p); })>;

}  // namespace

Result<ossl::Asn1IntegerPtr> RandomSerialNumber(Rng& rng) {
  for (int draw = 0; draw < kMaxDraws; ++draw) {
    std::array<std::uint8_t, kSerialBytes> bytes{};
    VTPMD_RETURN_IF_ERROR(rng.Fill(bytes));
    bytes[0] &= 0x7f;  // DER INTEGERs are signed: a clear top bit keeps the serial positive.
    if (std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0; })) continue;
    ossl::BignumPtr number(BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr));
    if (!number) return ossl::LastError("BN_bin2bn");
    return ossl::CheckPtr(ossl::Asn1IntegerPtr(BN_to_ASN1_INTEGER(number.get(), nullptr)), "BN_to_ASN1_INTEGER");
  }
  return Internal("random generator keeps producing an all-zero serial number");
}

Result<std::string> SerialHex(const X509* certificate) {
  ossl::BignumPtr number(ASN1_INTEGER_to_BN(X509_get0_serialNumber(certificate), nullptr));
  if (!number) return ossl::LastError("ASN1_INTEGER_to_BN");
  OsslStringPtr hex(BN_bn2hex(number.get()));
  if (!hex) return ossl::LastError("BN_bn2hex");
  return std::string(hex.get());
}

}  // namespace vtpmd::ca
