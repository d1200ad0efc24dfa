#pragma once
// Glue between libtss2-mu's (buffer, size, &offset, value) functions and our byte types.
// Only the tpm_* wire files include this; callers use their typed Parse/Marshal functions.

#include <tss2/tss2_mu.h>

#include <string>
#include <string_view>

#include "core/byte_reader.h"
#include "core/bytes.h"
#include "core/result.h"

namespace vtpmd::tpm::mu {

// Unmarshals exactly one T from `data`: trailing bytes are an error.
template <typename T, typename Fn>
Result<T> UnmarshalExact(Fn fn, ByteView data, std::string_view what) {
  ByteReader reader(data);
  VTPMD_ASSIGN_OR_RETURN(T value, reader.template Unmarshal<T>(fn, what));
  VTPMD_RETURN_IF_ERROR(reader.ExpectEnd(what));
  return value;
}

// A marshalled TPM structure is never larger than its host struct (host TPM2Bs and
// lists reserve their maximum size), so sizeof(T) is always enough room.
template <typename T, typename Fn>
Result<Bytes> Marshal(Fn fn, const T& value, std::string_view what) {
  Bytes out(sizeof(T));
  std::size_t offset = 0;
  if (fn(&value, out.data(), out.size(), &offset) != TSS2_RC_SUCCESS) {
    return InvalidArgument("cannot marshal " + std::string(what));
  }
  out.resize(offset);
  return out;
}

}  // namespace vtpmd::tpm::mu
