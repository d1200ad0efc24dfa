#pragma once
// Small DER encoders over OpenSSL's ASN.1 primitives, for extensions OpenSSL has no
// configuration syntax for (e.g. the TCG subjectDirectoryAttributes).

#include <cstdint>
#include <initializer_list>
#include <string_view>

#include "core/bytes.h"
#include "core/result.h"

namespace vtpmd::ca::der {

Result<Bytes> ObjectIdentifier(std::string_view dotted_oid);
Result<Bytes> Utf8String(std::string_view text);
Result<Bytes> Integer(std::int64_t value);
// Concatenates already-encoded elements inside a constructed SEQUENCE / SET.
// SET OF elements must be given in DER order; callers here pass a single element.
Result<Bytes> Sequence(std::initializer_list<ByteView> elements);
Result<Bytes> Set(std::initializer_list<ByteView> elements);

}  // namespace vtpmd::ca::der
