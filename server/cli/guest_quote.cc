#include "server/cli/guest_quote.h"

#include <algorithm>

#include "vtpm/esys_context.h"
#include "vtpm/quote.h"

namespace vtpmd::cli {

Result<GuestQuote> CollectGuestQuote(const std::string& tcti, TPM2_HANDLE aik_handle, ByteView nonce,
                                     const TPML_PCR_SELECTION& selection) {
  TPM2B_DATA qualifying{};
  if (nonce.size() > sizeof(qualifying.buffer)) return InvalidArgument("the nonce is longer than 64 bytes");
  qualifying.size = static_cast<std::uint16_t>(nonce.size());
  std::copy(nonce.begin(), nonce.end(), qualifying.buffer);

  VTPMD_ASSIGN_OR_RETURN(std::unique_ptr<vtpm::EsysContext> esys, vtpm::EsysContext::Connect(tcti));
  ESYS_TR aik = ESYS_TR_NONE;
  VTPMD_RETURN_IF_ERROR(vtpm::CheckTss(
      Esys_TR_FromTPMPublic(esys->get(), aik_handle, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &aik),
      "no AIK at the persistent handle", ErrorCode::kInvalidArgument));
  vtpm::ScopedTr aik_owner(esys->get(), aik, vtpm::ScopedTr::Release::kClose);
  TPMT_SIG_SCHEME key_scheme{};
  key_scheme.scheme = TPM2_ALG_NULL;
  VTPMD_ASSIGN_OR_RETURN(vtpm::QuoteResult quote,
                         vtpm::QuoteAndReadPcrs(esys->get(), aik, key_scheme, qualifying, selection));
  return GuestQuote{std::move(quote.attest), std::move(quote.signature), vtpm::ValuesByBank(quote.pcrs)};
}

}  // namespace vtpmd::cli
