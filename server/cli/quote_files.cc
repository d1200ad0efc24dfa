#include "server/cli/quote_files.h"

#include <boost/json.hpp>

#include <fstream>

#include "core/bytes.h"
#include "core/pcr_selection.h"
#include "server/cli/tpm2_tools_pcrs.h"

namespace vtpmd::cli {
namespace {

Result<std::string> StringField(const boost::json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  if (value == nullptr || !value->is_string()) return Internal("quote answer lacks '" + std::string(key) + "'");
  return std::string(value->as_string());
}

Status WriteFile(const std::filesystem::path& path, std::string_view contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  if (!out.flush()) return Unavailable("cannot write " + path.string());
  return Ok();
}

Result<std::vector<Bytes>> PcrValuesInTpmOrder(const boost::json::object& quote, const TPML_PCR_SELECTION& selection) {
  const auto* pcrs = quote.if_contains("pcrs");
  if (pcrs == nullptr || !pcrs->is_object()) return Internal("quote answer lacks 'pcrs'");
  VTPMD_ASSIGN_OR_RETURN(auto slots, tpm::PcrSlotsInTpmOrder(selection));
  std::vector<Bytes> values;
  for (const tpm::PcrSlot& slot : slots) {
    const auto* bank = pcrs->as_object().if_contains(HashAlgName(slot.bank));
    const auto* value = bank && bank->is_object() ? bank->as_object().if_contains(std::to_string(slot.index)) : nullptr;
    if (value == nullptr || !value->is_string()) return Internal("quote answer lacks a quoted PCR value");
    VTPMD_ASSIGN_OR_RETURN(Bytes digest, HexDecode(value->as_string()));
    values.push_back(std::move(digest));
  }
  return values;
}

}  // namespace

Status WriteQuoteFiles(const boost::json::object& quote, std::string_view nonce_hex, const std::filesystem::path& dir) {
  VTPMD_ASSIGN_OR_RETURN(std::string attest_b64, StringField(quote, "attest"));
  VTPMD_ASSIGN_OR_RETURN(std::string signature_b64, StringField(quote, "signature"));
  VTPMD_ASSIGN_OR_RETURN(std::string selection_text, StringField(quote, "pcr_selection"));
  const auto* aik = quote.if_contains("attestation_key");
  if (aik == nullptr || !aik->is_object()) return Internal("quote answer lacks 'attestation_key'");
  VTPMD_ASSIGN_OR_RETURN(std::string aik_pem, StringField(aik->as_object(), "public_key_pem"));

  VTPMD_ASSIGN_OR_RETURN(Bytes attest, Base64Decode(attest_b64));
  VTPMD_ASSIGN_OR_RETURN(Bytes signature, Base64Decode(signature_b64));
  VTPMD_ASSIGN_OR_RETURN(TPML_PCR_SELECTION selection, tpm::ParsePcrSelectionText(selection_text));
  VTPMD_ASSIGN_OR_RETURN(std::vector<Bytes> values, PcrValuesInTpmOrder(quote, selection));
  VTPMD_ASSIGN_OR_RETURN(Bytes pcr_file, Tpm2ToolsSerializedPcrs(selection, values));

  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Unavailable("cannot create " + dir.string() + ": " + ec.message());
  VTPMD_RETURN_IF_ERROR(WriteFile(dir / "quote.msg", AsChars(attest)));
  VTPMD_RETURN_IF_ERROR(WriteFile(dir / "quote.sig", AsChars(signature)));
  VTPMD_RETURN_IF_ERROR(WriteFile(dir / "quote.pcrs", AsChars(pcr_file)));
  VTPMD_RETURN_IF_ERROR(WriteFile(dir / "nonce.hex", nonce_hex));
  return WriteFile(dir / "ak.pem", aik_pem);
}

}  // namespace vtpmd::cli
