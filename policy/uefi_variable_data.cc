#include "policy/uefi_variable_data.h"

#include <cstdio>

#include "core/byte_reader.h"
#include "policy/utf16.h"

namespace vtpmd::policy {
namespace {

constexpr std::size_t kGuidSize = 16;

// EFI_GUID is {u32 Data1, u16 Data2, u16 Data3 (all little-endian), u8 Data4[8]}.
Result<std::string> ReadGuid(ByteReader& reader) {
  VTPMD_ASSIGN_OR_RETURN(std::uint32_t data1, reader.U32Le());
  VTPMD_ASSIGN_OR_RETURN(std::uint16_t data2, reader.U16Le());
  VTPMD_ASSIGN_OR_RETURN(std::uint16_t data3, reader.U16Le());
  VTPMD_ASSIGN_OR_RETURN(ByteView data4, reader.Take(kGuidSize - 8));
  char text[40];
  std::snprintf(text, sizeof(text), "%08x-%04x-%04x-%02x%02x-", static_cast<unsigned>(data1),
                static_cast<unsigned>(data2), static_cast<unsigned>(data3), data4[0], data4[1]);
  return std::string(text) + HexEncode(data4.subspan(2));
}

Result<UefiVariableData> ReadUefiVariableData(ByteReader& reader) {
  UefiVariableData out;
  VTPMD_ASSIGN_OR_RETURN(out.variable_guid, ReadGuid(reader));
  VTPMD_ASSIGN_OR_RETURN(std::uint64_t name_length, reader.U64Le());
  VTPMD_ASSIGN_OR_RETURN(std::uint64_t data_length, reader.U64Le());
  // Compared before multiplying, so that no length can overflow.
  if (name_length > reader.remaining() / 2 || data_length > reader.remaining() - 2 * name_length) {
    return InvalidArgument("UnicodeNameLength " + std::to_string(name_length) + " and VariableDataLength " +
                           std::to_string(data_length) + " exceed the " + std::to_string(reader.remaining()) +
                           " bytes that follow");
  }
  VTPMD_ASSIGN_OR_RETURN(ByteView name, reader.Take(2 * name_length));
  VTPMD_ASSIGN_OR_RETURN(std::u32string code_points, DecodeUtf16Le(name));
  out.unicode_name = EncodeUtf8(code_points);
  VTPMD_ASSIGN_OR_RETURN(ByteView value, reader.Take(data_length));
  out.variable_data.assign(value.begin(), value.end());
  out.trailing_bytes = reader.remaining();
  return out;
}

}  // namespace

Result<UefiVariableData> ParseUefiVariableData(ByteView data) {
  ByteReader reader(data);
  auto variable = ReadUefiVariableData(reader);
  if (!variable.ok()) return variable.error().WithContext("malformed UEFI_VARIABLE_DATA");
  return variable;
}

}  // namespace vtpmd::policy
