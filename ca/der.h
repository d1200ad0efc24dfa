#pragma once
// Small DER encoders over OpenSSL's ASN.1 primitives, for extensions OpenSSL has no
// configuration syntax for (e.g. the TCG subjectDirectoryAttributes).

#include <cstdint>
#include <initializer_list>
#include <string_view>

#include "core/byte_reader.h"
#include "core/bytes.h"
#include "core/result.h"

namespace vtpmd::ca::der {

Result<Bytes> ObjectIdentifier(std::string_view dotted_oid);
Result<Bytes> Utf8String(std::string_view text);
Result<Bytes> OctetString(ByteView data);
// A BIT STRING of whole octets (no unused bits), as signatures are.
Result<Bytes> BitString(ByteView octets);
Result<Bytes> Integer(std::int64_t value);
// A non-negative INTEGER of any size from its big-endian magnitude (an RSA modulus).
Result<Bytes> UnsignedInteger(ByteView magnitude);
// Concatenates already-encoded elements inside a constructed SEQUENCE / SET.
// SET OF elements must be given in DER order; callers here pass a single element.
Result<Bytes> Sequence(std::initializer_list<ByteView> elements);
Result<Bytes> Set(std::initializer_list<ByteView> elements);

inline constexpr std::uint8_t kTagInteger = 0x02;
inline constexpr std::uint8_t kTagOctetString = 0x04;
inline constexpr std::uint8_t kTagSequence = 0x30;

// Strict DER reading of untrusted bytes: the content of the next element, which
// must carry `tag` and a definite length in its shortest form.
Result<ByteView> ReadElement(ByteReader& reader, std::uint8_t tag);
// A small non-negative INTEGER (a version number).
Result<std::uint32_t> ReadSmallInteger(ByteReader& reader);

}  // namespace vtpmd::ca::der
