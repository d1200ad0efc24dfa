// Enrollment input from clients: credential files (tpm2-tools format) must parse
// and re-encode to the same bytes; AIK public areas are checked, and whatever is
// accepted has a name and a key; EK public areas go through MakeCredential, which
// must refuse or wrap but never misbehave on a hostile area.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "ca/aik_public.h"
#include "ca/credential_file.h"
#include "ca/make_credential.h"
#include "core/random.h"
#include "core/tpm_name.h"
#include "core/tpm_wire.h"

namespace {

void CredentialFile(vtpmd::ByteView input) {
  auto blob = vtpmd::ca::ParseCredentialFile(input);
  if (!blob.ok()) return;
  auto encoded = vtpmd::ca::EncodeCredentialFile(*blob);
  if (!encoded.ok() || !std::equal(encoded->begin(), encoded->end(), input.begin(), input.end())) __builtin_trap();
}

void Aik(vtpmd::ByteView input) {
  auto aik = vtpmd::ca::AikPublic::Create(input);
  if (!aik.ok()) return;
  auto name = vtpmd::tpm::ObjectName(aik->area());
  if (aik->key() == nullptr || !name.ok() || *name != aik->name()) __builtin_trap();
}

void Ek(vtpmd::ByteView input) {
  auto ek = vtpmd::tpm::ParsePublic(input);
  if (!ek.ok()) return;
  vtpmd::DeterministicRng rng(1);
  const vtpmd::Bytes name = {0x00, 0x0b, 1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
                             16,   17,   18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
  const vtpmd::SecretBytes credential = vtpmd::SecretBytes::CopyFrom(vtpmd::ByteView(name).subspan(2, 16));
  auto blob = vtpmd::ca::MakeCredential(ek->publicArea, name, credential, rng);
  if (blob.ok() && !vtpmd::ca::EncodeCredentialFile(*blob).ok()) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const vtpmd::ByteView input(data, size);
  CredentialFile(input);
  Aik(input);
  Ek(input);
  return 0;
}
