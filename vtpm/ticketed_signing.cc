#include "vtpm/ticketed_signing.h"

#include <algorithm>

#include "core/tpm_wire.h"
#include "vtpm/esys_context.h"

namespace vtpmd::vtpm {
namespace {

struct TicketedDigest {
  EsysOwned<TPM2B_DIGEST> digest;
  EsysOwned<TPMT_TK_HASHCHECK> ticket;
};

// The TPM judges only the first block it is given (Part 3, TPM2_SequenceUpdate),
// and treats a first block shorter than the marker as possibly its prefix.
Status CheckTicketable(ByteView message) {
  constexpr std::size_t kMarkerSize = sizeof(TPM2_GENERATED);
  if (message.size() < kMarkerSize) {
    return InvalidArgument("a restricted key signs only messages of at least 4 bytes: the TPM will not ticket a "
                           "shorter one, which could be a prefix of TPM_GENERATED_VALUE");
  }
  std::uint32_t leading = 0;
  for (std::size_t i = 0; i < kMarkerSize; ++i) leading = (leading << 8) | message[i];
  if (leading == TPM2_GENERATED_VALUE) {
    return InvalidArgument("message starts with TPM_GENERATED_VALUE (0xff544347), the marker of TPM-made "
                           "attestations; a restricted key refuses to sign it so that it cannot forge one");
  }
  return Ok();
}

TPM2B_MAX_BUFFER Chunk(ByteView data) {
  TPM2B_MAX_BUFFER chunk{};
  chunk.size = static_cast<std::uint16_t>(data.size());
  std::copy(data.begin(), data.end(), chunk.buffer);
  return chunk;
}

Result<TicketedDigest> HashWithTicket(ESYS_CONTEXT* esys, ByteView message) {
  const TPM2B_AUTH no_auth{};
  ESYS_TR sequence_tr = ESYS_TR_NONE;
  VTPMD_RETURN_IF_ERROR(CheckTss(
      Esys_HashSequenceStart(esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &no_auth, TPM2_ALG_SHA256, &sequence_tr),
      "TPM2_HashSequenceStart"));
  ScopedTr sequence(esys, sequence_tr, ScopedTr::Release::kFlush);

  // The last chunk travels with TPM2_SequenceComplete, which saves a command.
  constexpr std::size_t kChunk = sizeof(TPM2B_MAX_BUFFER::buffer);
  while (message.size() > kChunk) {
    const TPM2B_MAX_BUFFER chunk = Chunk(message.first(kChunk));
    VTPMD_RETURN_IF_ERROR(
        CheckTss(Esys_SequenceUpdate(esys, sequence_tr, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &chunk),
                 "TPM2_SequenceUpdate"));
    message = message.subspan(kChunk);
  }
  const TPM2B_MAX_BUFFER last = Chunk(message);
  TPM2B_DIGEST* digest = nullptr;
  TPMT_TK_HASHCHECK* ticket = nullptr;
  VTPMD_RETURN_IF_ERROR(CheckTss(Esys_SequenceComplete(esys, sequence_tr, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                                                       ESYS_TR_NONE, &last, ESYS_TR_RH_OWNER, &digest, &ticket),
                                 "TPM2_SequenceComplete"));
  // The TPM has flushed the sequence object and ESYS has forgotten its handle.
  sequence.Keep();
  TicketedDigest result{EsysOwned<TPM2B_DIGEST>(digest), EsysOwned<TPMT_TK_HASHCHECK>(ticket)};
  if (result.ticket->hierarchy == TPM2_RH_NULL) {
    return Internal("the TPM issued a NULL hash-check ticket for a message it should have accepted");
  }
  return result;
}

}  // namespace

Result<Bytes> SignWithHashCheckTicket(ESYS_CONTEXT* esys, ESYS_TR key, ByteView message) {
  VTPMD_RETURN_IF_ERROR(CheckTicketable(message));
  VTPMD_ASSIGN_OR_RETURN(TicketedDigest hashed, HashWithTicket(esys, message));
  TPMT_SIG_SCHEME scheme{};
  scheme.scheme = TPM2_ALG_ECDSA;
  scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
  TPMT_SIGNATURE* signature_raw = nullptr;
  VTPMD_RETURN_IF_ERROR(CheckTss(Esys_Sign(esys, key, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
                                           hashed.digest.get(), &scheme, hashed.ticket.get(), &signature_raw),
                                 "TPM2_Sign"));
  EsysOwned<TPMT_SIGNATURE> signature(signature_raw);
  return tpm::MarshalSignature(*signature);
}

}  // namespace vtpmd::vtpm
