#include "policy/event_data.h"

#include <algorithm>
#include <optional>
#include <string_view>
#include <utility>

#include "core/byte_reader.h"
#include "policy/event_types.h"
#include "policy/utf16.h"

namespace vtpmd::policy {
namespace {

constexpr std::size_t kSeparatorSize = 4;
constexpr std::size_t kFirmwareBlobSize = 16;

bool IsPrintable(char32_t c) {
  return (c >= 0x20 && c < 0x7f) || c == '\t' || c == '\n' || c == '\r' || c >= 0xa0;
}

template <typename Text>
Text WithoutTrailingNuls(Text text) {
  while (!text.empty() && text.back() == 0) text.remove_suffix(1);
  return text;
}

std::optional<std::string> AsciiText(ByteView data) {
  const std::string_view text = WithoutTrailingNuls(AsChars(data));
  auto printable_ascii = [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte < 0x80 && IsPrintable(byte);
  };
  if (text.empty() || !std::all_of(text.begin(), text.end(), printable_ascii)) return std::nullopt;
  return std::string(text);
}

std::optional<std::string> Utf16Text(ByteView data) {
  bool terminated = false;
  if (data.size() % 2 != 0 && data.back() == 0) {
    data = data.first(data.size() - 1);
    terminated = true;
  }
  auto decoded = DecodeUtf16Le(data);
  if (!decoded.ok()) return std::nullopt;
  terminated = terminated || (!decoded->empty() && decoded->back() == 0);
  const std::u32string_view text = WithoutTrailingNuls(std::u32string_view(*decoded));
  if (text.empty() || !std::all_of(text.begin(), text.end(), IsPrintable)) return std::nullopt;
  // Binary data (EV_S_CRTM_VERSION may be a GUID) reads as CJK text: without a
  // terminator, only ASCII counts.
  if (!terminated && std::any_of(text.begin(), text.end(), [](char32_t c) { return c >= 0x80; })) return std::nullopt;
  return EncodeUtf8(text);
}

DecodedEventData TextOrNothing(ByteView data) {
  if (auto ascii = AsciiText(data)) return EventText{std::move(*ascii)};
  if (auto utf16 = Utf16Text(data)) return EventText{std::move(*utf16)};
  return std::monostate{};
}

Result<SeparatorValue> ReadSeparator(ByteView data) {
  if (data.size() != kSeparatorSize) {
    return InvalidArgument("EV_SEPARATOR data is " + std::to_string(data.size()) + " bytes, not 4");
  }
  ByteReader reader(data);
  VTPMD_ASSIGN_OR_RETURN(std::uint32_t value, reader.U32Le());
  return SeparatorValue{value};
}

Result<FirmwareBlob> ReadFirmwareBlob(ByteView data) {
  if (data.size() != kFirmwareBlobSize) {
    return InvalidArgument("a firmware blob is " + std::to_string(data.size()) + " bytes, not 16");
  }
  ByteReader reader(data);
  FirmwareBlob blob;
  VTPMD_ASSIGN_OR_RETURN(blob.base, reader.U64Le());
  VTPMD_ASSIGN_OR_RETURN(blob.length, reader.U64Le());
  return blob;
}

// EV_POST_CODE and EV_S_CRTM_CONTENTS hold either a description or the blob measured.
DecodedEventData TextOrFirmwareBlob(ByteView data) {
  DecodedEventData text = TextOrNothing(data);
  if (!std::holds_alternative<std::monostate>(text)) return text;
  if (auto blob = ReadFirmwareBlob(data); blob.ok()) return *blob;
  return std::monostate{};
}

Result<TaggedEvent> ReadTaggedEvent(ByteReader& reader) {
  TaggedEvent out;
  VTPMD_ASSIGN_OR_RETURN(out.id, reader.U32Le());
  VTPMD_ASSIGN_OR_RETURN(std::uint32_t size, reader.U32Le());
  VTPMD_ASSIGN_OR_RETURN(ByteView tagged, reader.Take(size));
  VTPMD_RETURN_IF_ERROR(reader.ExpectEnd("taggedEventData"));
  out.data.assign(tagged.begin(), tagged.end());
  return out;
}

Result<TaggedEvent> ParseTaggedEvent(ByteView data) {
  ByteReader reader(data);
  auto tagged = ReadTaggedEvent(reader);
  if (!tagged.ok()) return tagged.error().WithContext("malformed TCG_PCClientTaggedEvent");
  return tagged;
}

template <typename T>
Result<DecodedEventData> AsDecoded(Result<T> decoded) {
  if (!decoded.ok()) return std::move(decoded).error();
  return DecodedEventData(std::move(decoded).value());
}

}  // namespace

Result<DecodedEventData> DecodeEventData(std::uint32_t event_type, ByteView data) {
  switch (event_type) {
    case kEvNoAction: return AsDecoded(ParseNoActionEvent(data));
    case kEvSeparator: return AsDecoded(ReadSeparator(data));
    case kEvEventTag: return AsDecoded(ParseTaggedEvent(data));
    case kEvEfiVariableDriverConfig:
    case kEvEfiVariableBoot:
    case kEvEfiVariableBoot2:
    case kEvEfiVariableAuthority: return AsDecoded(ParseUefiVariableData(data));
    case kEvEfiPlatformFirmwareBlob: return AsDecoded(ReadFirmwareBlob(data));
    case kEvPostCode:
    case kEvSCrtmContents: return TextOrFirmwareBlob(data);
    case kEvAction:
    case kEvSCrtmVersion:
    case kEvIpl:
    case kEvOmitBootDeviceEvents:
    case kEvEfiAction:
    case kEvEfiHcrtmEvent: return TextOrNothing(data);
    default: return DecodedEventData();
  }
}

}  // namespace vtpmd::policy
