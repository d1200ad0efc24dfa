#include "ca/der.h"

#include <openssl/asn1.h>
#include <openssl/objects.h>

#include <climits>
#include <string>

#include "core/openssl.h"

namespace vtpmd::ca::der {
namespace {

using Asn1ObjectPtr = ossl::Owned<ASN1_OBJECT, ASN1_OBJECT_free>;
using Asn1Utf8StringPtr = ossl::Owned<ASN1_UTF8STRING, ASN1_UTF8STRING_free>;

// Runs an i2d_* encoder twice: once for the length, once into the buffer.
template <typename T, typename Encoder>
Result<Bytes> Encode(const T* object, Encoder encode, std::string_view what) {
  const int length = encode(object, nullptr);
  if (length <= 0) return ossl::LastError(what);
  Bytes out(static_cast<std::size_t>(length));
  unsigned char* cursor = out.data();
  if (encode(object, &cursor) != length) return ossl::LastError(what);
  return out;
}

// A DER element of `tag` with room for `content_size` bytes after its header, which
// start at the returned offset.
struct Element {
  Bytes bytes;
  std::size_t content_offset;
};

Result<Element> NewElement(bool constructed, int tag, std::size_t content_size) {
  if (content_size > INT_MAX / 2) return InvalidArgument("DER content too large");
  const int content_length = static_cast<int>(content_size);
  const int total = ASN1_object_size(constructed ? 1 : 0, content_length, tag);
  if (total <= 0) return ossl::LastError("ASN1_object_size");
  Element element{Bytes(static_cast<std::size_t>(total)), 0};
  unsigned char* cursor = element.bytes.data();
  ASN1_put_object(&cursor, constructed ? 1 : 0, content_length, tag, V_ASN1_UNIVERSAL);
  element.content_offset = static_cast<std::size_t>(cursor - element.bytes.data());
  return element;
}

Result<Bytes> Constructed(int tag, std::initializer_list<ByteView> elements) {
  std::size_t content_size = 0;
  for (ByteView element : elements) content_size += element.size();
  VTPMD_ASSIGN_OR_RETURN(Element out, NewElement(true, tag, content_size));
  auto cursor = out.bytes.begin() + static_cast<std::ptrdiff_t>(out.content_offset);
  for (ByteView element : elements) cursor = std::copy(element.begin(), element.end(), cursor);
  return std::move(out.bytes);
}

}  // namespace

Result<Bytes> ObjectIdentifier(std::string_view dotted_oid) {
  const std::string text(dotted_oid);
  Asn1ObjectPtr object(OBJ_txt2obj(text.c_str(), 1));
  if (!object) return ossl::LastError("not a dotted OID: " + text, ErrorCode::kInvalidArgument);
  return Encode(object.get(), i2d_ASN1_OBJECT, "i2d_ASN1_OBJECT");
}

Result<Bytes> Utf8String(std::string_view text) {
  Asn1Utf8StringPtr value(ASN1_UTF8STRING_new());
  if (!value) return ossl::LastError("ASN1_UTF8STRING_new");
  VTPMD_RETURN_IF_ERROR(
      ossl::Check(ASN1_STRING_set(value.get(), text.data(), static_cast<int>(text.size())), "ASN1_STRING_set"));
  return Encode(value.get(), i2d_ASN1_UTF8STRING, "i2d_ASN1_UTF8STRING");
}

Result<Bytes> OctetString(ByteView data) {
  ossl::Asn1OctetStringPtr value(ASN1_OCTET_STRING_new());
  if (!value) return ossl::LastError("ASN1_OCTET_STRING_new");
  VTPMD_RETURN_IF_ERROR(ossl::Check(ASN1_OCTET_STRING_set(value.get(), data.data(), static_cast<int>(data.size())),
                                    "ASN1_OCTET_STRING_set"));
  return Encode(value.get(), i2d_ASN1_OCTET_STRING, "i2d_ASN1_OCTET_STRING");
}

Result<Bytes> BitString(ByteView octets) {
  VTPMD_ASSIGN_OR_RETURN(Element out, NewElement(false, V_ASN1_BIT_STRING, octets.size() + 1));
  auto cursor = out.bytes.begin() + static_cast<std::ptrdiff_t>(out.content_offset);
  *cursor++ = 0;  // unused bits in the last octet
  std::copy(octets.begin(), octets.end(), cursor);
  return std::move(out.bytes);
}

Result<Bytes> Integer(std::int64_t value) {
  ossl::Asn1IntegerPtr integer(ASN1_INTEGER_new());
  if (!integer) return ossl::LastError("ASN1_INTEGER_new");
  VTPMD_RETURN_IF_ERROR(ossl::Check(ASN1_INTEGER_set_int64(integer.get(), value), "ASN1_INTEGER_set_int64"));
  return Encode(integer.get(), i2d_ASN1_INTEGER, "i2d_ASN1_INTEGER");
}

Result<Bytes> UnsignedInteger(ByteView magnitude) {
  while (magnitude.size() > 1 && magnitude.front() == 0) magnitude = magnitude.subspan(1);
  // A set top bit would read as negative: a zero octet goes first.
  const bool pad = magnitude.empty() || (magnitude.front() & 0x80) != 0;
  VTPMD_ASSIGN_OR_RETURN(Element out, NewElement(false, V_ASN1_INTEGER, magnitude.size() + (pad ? 1 : 0)));
  auto cursor = out.bytes.begin() + static_cast<std::ptrdiff_t>(out.content_offset);
  if (pad) *cursor++ = 0;
  std::copy(magnitude.begin(), magnitude.end(), cursor);
  return std::move(out.bytes);
}

Result<Bytes> Sequence(std::initializer_list<ByteView> elements) {
  return Constructed(V_ASN1_SEQUENCE, elements);
}

Result<Bytes> Set(std::initializer_list<ByteView> elements) {
  return Constructed(V_ASN1_SET, elements);
}

Result<ByteView> ReadElement(ByteReader& reader, std::uint8_t tag) {
  VTPMD_ASSIGN_OR_RETURN(std::uint8_t found, reader.U8());
  if (found != tag) return InvalidArgument("DER: unexpected tag");
  VTPMD_ASSIGN_OR_RETURN(std::uint8_t first, reader.U8());
  std::size_t length = first;
  if (first & 0x80) {
    const unsigned octets = first & 0x7f;
    // Our structures stay far below 64 KiB; longer or indefinite forms are refused.
    if (octets == 0 || octets > 2) return InvalidArgument("DER: unsupported length form");
    length = 0;
    for (unsigned i = 0; i < octets; ++i) {
      VTPMD_ASSIGN_OR_RETURN(std::uint8_t octet, reader.U8());
      length = (length << 8) | octet;
    }
    const bool minimal = length >= 0x80 && (octets == 1 || length > 0xff);
    if (!minimal) return InvalidArgument("DER: length not in its shortest form");
  }
  return reader.Take(length);
}

Result<std::uint32_t> ReadSmallInteger(ByteReader& reader) {
  VTPMD_ASSIGN_OR_RETURN(ByteView content, ReadElement(reader, kTagInteger));
  if (content.empty() || content.size() > 4 || (content[0] & 0x80) != 0 ||
      (content.size() > 1 && content[0] == 0 && (content[1] & 0x80) == 0)) {
    return InvalidArgument("DER: not a small non-negative INTEGER in its shortest form");
  }
  std::uint32_t value = 0;
  for (std::uint8_t octet : content) value = (value << 8) | octet;
  return value;
}

}  // namespace vtpmd::ca::der
