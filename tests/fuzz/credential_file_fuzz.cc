// Enrollment input from clients: credential files (tpm2-tools format) must parse
// and re-encode to the same bytes; AIK public areas are checked, and whatever is
// accepted has a name, a key, and the certificate encoding OpenSSL would give that
// key; EK public areas go through MakeCredential, which
// must refuse or wrap but never misbehave on a hostile area.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "ca/aik_public.h"
#include "ca/credential_file.h"
#include "ca/make_credential.h"
#include "ca/tpm_subject_key.h"
#include "core/openssl.h"
#include "core/random.h"
#include "core/tpm_keys.h"
#include "core/tpm_name.h"
#include "core/tpm_wire.h"

namespace {

void CredentialFile(vtpmd::ByteView input) {
  auto blob = vtpmd::ca::ParseCredentialFile(input);
  if (!blob.ok()) return;
  auto encoded = vtpmd::ca::EncodeCredentialFile(*blob);
  if (!encoded.ok() || !std::equal(encoded->begin(), encoded->end(), input.begin(), input.end())) __builtin_trap();
}

// What the privacy CA would put in the AIK certificate: our encoding of an accepted
// key must be the one OpenSSL writes for it.
vtpmd::Bytes CertifiedKeyInfo(const TPMT_PUBLIC& area) {
  vtpmd::ossl::X509Ptr certificate(X509_new());
  if (!certificate || !vtpmd::ca::SetSubjectKeyFromTpm(certificate.get(), area).ok()) return {};
  X509_PUBKEY* key = X509_get_X509_PUBKEY(certificate.get());
  vtpmd::Bytes out(static_cast<std::size_t>(std::max(0, i2d_X509_PUBKEY(key, nullptr))));
  unsigned char* cursor = out.data();
  i2d_X509_PUBKEY(key, &cursor);
  return out;
}

void Aik(vtpmd::ByteView input) {
  auto aik = vtpmd::ca::AikPublic::Create(input);
  if (!aik.ok()) return;
  auto name = vtpmd::tpm::ObjectName(aik->area());
  auto recalled = vtpmd::ca::AikPublic::Recall(input);
  auto key = vtpmd::tpm::PublicKeyFromTpm(aik->area());
  if (!name.ok() || *name != aik->name() || !recalled.ok() || recalled->name() != aik->name() || !key.ok()) {
    __builtin_trap();
  }
  auto openssl = vtpmd::ossl::PublicKeyDer(key->get());
  if (!openssl.ok() || *openssl != CertifiedKeyInfo(aik->area())) __builtin_trap();
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
