// The cross-check that matters: a real TPM (swtpm, driven by tpm2-tools) activates
// the credentials MakeCredential wraps, tpm2-tools' own software MakeCredential
// agrees with our file format, and a flipped bit makes activation fail.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <ostream>
#include <string>

#include "ca/aik_public.h"
#include "ca/credential_file.h"
#include "ca/make_credential.h"
#include "ca_test_support.h"
#include "core/random.h"
#include "core/tpm_wire.h"
#include "tests/unit/vtpm/test_support.h"
#include "vtpm/swtpm_process.h"

namespace vtpmd::ca {
namespace {

using testing::CommandResult;

using vtpm::testing::ReadFileBytes;
using vtpm::testing::WriteFileBytes;

struct KeyKind {
  const char* label;
  const char* ek_command;  // creates ek.ctx/ek.pub in the endorsement hierarchy
  const char* ak_command;  // creates ak.ctx/ak.pub/ak.name
  bool ek_needs_policy;    // the TCG EK templates authorize with PolicySecret(endorsement)
};

// RSA-2048 and ECC P-256 EKs from the TCG default templates (L-1, L-2), with the
// AKs tpm2_createak makes under them; plus storage keys shaped like the high-range
// templates (RSA-3072 and P-384 with SHA-384 and AES-256), which tpm2_createek and
// tpm2_makecredential 5.4 do not offer, used with a plain signing key as the object.
const KeyKind kKinds[] = {
    {"RsaEk", "tpm2_createek -G rsa -c ek.ctx -u ek.pub",
     "tpm2_createak -C ek.ctx -c ak.ctx -G rsa -g sha256 -s rsassa -u ak.pub -n ak.name", true},
    {"EccEk", "tpm2_createek -G ecc -c ek.ctx -u ek.pub",
     "tpm2_createak -C ek.ctx -c ak.ctx -G ecc -g sha256 -s ecdsa -u ak.pub -n ak.name", true},
    {"Rsa3072StorageKey",
     "tpm2_createprimary -C e -G rsa3072:aes256cfb -g sha384 -c ek.ctx "
     "-a 'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|restricted|decrypt' && "
     "tpm2_readpublic -c ek.ctx -o ek.pub",
     "tpm2_createprimary -C o -G ecc256:ecdsa-sha256:null -g sha256 -c ak.ctx "
     "-a 'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|restricted|sign' && "
     "tpm2_readpublic -c ak.ctx -o ak.pub -n ak.name",
     false},
    {"P384StorageKey",
     "tpm2_createprimary -C e -G ecc384:aes256cfb -g sha384 -c ek.ctx "
     "-a 'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|restricted|decrypt' && "
     "tpm2_readpublic -c ek.ctx -o ek.pub",
     "tpm2_createprimary -C o -G rsa2048:rsassa-sha256:null -g sha256 -c ak.ctx "
     "-a 'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|restricted|sign' && "
     "tpm2_readpublic -c ak.ctx -o ak.pub -n ak.name",
     false},
};

void PrintTo(const KeyKind& kind, std::ostream* out) {
  *out << kind.label;
}

class MakeCredentialTpmTest : public ::testing::TestWithParam<KeyKind> {
 protected:
  void SetUp() override {
    vtpm::SwtpmOptions options;
    options.state_dir = dir_.path() / "tpm";
    auto swtpm = vtpm::SwtpmProcess::Start(options);
    ASSERT_TRUE(swtpm.ok()) << swtpm.error().message();
    swtpm_ = std::move(swtpm).value();
    CommandResult ek = Tools(GetParam().ek_command);
    ASSERT_EQ(ek.exit_code, 0) << ek.output;
    FlushObjects();
    CommandResult ak = Tools(GetParam().ak_command);
    ASSERT_EQ(ak.exit_code, 0) << ak.output;
    FlushObjects();

    auto ek_public = tpm::ParsePublic(ReadFileBytes(Path("ek.pub")));
    ASSERT_TRUE(ek_public.ok()) << ek_public.error().message();
    ek_ = ek_public->publicArea;
    auto aik = AikPublic::Create(ReadFileBytes(Path("ak.pub")));
    ASSERT_TRUE(aik.ok()) << aik.error().message();
    ASSERT_EQ(aik->name(), ReadFileBytes(Path("ak.name")));
    aik_name_ = aik->name();
    auto secret = rng_.GenerateSecret(DigestSize(HashAlg::kSha256));
    ASSERT_TRUE(secret.ok());
    secret_ = std::move(secret).value();
  }

  std::filesystem::path Path(const std::string& file) const { return dir_.path() / file; }

  // Runs a shell command line of tpm2-tools in the test directory, every tool
  // reaching this test's swtpm through TPM2TOOLS_TCTI.
  CommandResult Tools(const std::string& commands) {
    return testing::RunCommand("cd '" + dir_.path().string() + "' && export TPM2TOOLS_TCTI='" + swtpm_->tcti() +
                               "' && " + commands);
  }

  // Without a resource manager, objects the tools load stay loaded; swtpm has
  // three transient slots.
  void FlushObjects() { Tools("tpm2_flushcontext -t; tpm2_flushcontext -s"); }

  CommandResult Activate(const Bytes& credential_file) {
    WriteFileBytes(Path("cred.bin"), credential_file);
    std::filesystem::remove(Path("secret.out"));
    std::string auth;
    if (GetParam().ek_needs_policy) {
      CommandResult session =
          Tools("tpm2_startauthsession --policy-session -S session.ctx && tpm2_policysecret -S session.ctx -c e");
      EXPECT_EQ(session.exit_code, 0) << session.output;
      auth = " -P session:session.ctx";
    }
    CommandResult activated = Tools("tpm2_activatecredential -c ak.ctx -C ek.ctx -i cred.bin -o secret.out" + auth);
    if (GetParam().ek_needs_policy) Tools("tpm2_flushcontext session.ctx");
    FlushObjects();
    return activated;
  }

  Bytes OurCredentialFile() {
    auto blob = MakeCredential(ek_, aik_name_, secret_, rng_);
    EXPECT_TRUE(blob.ok()) << blob.error().message();
    if (!blob.ok()) return {};
    auto file = EncodeCredentialFile(*blob);
    EXPECT_TRUE(file.ok()) << file.error().message();
    return file.ok() ? *file : Bytes{};
  }

  testing::TempDir dir_;
  std::unique_ptr<vtpm::SwtpmProcess> swtpm_;
  TPMT_PUBLIC ek_{};
  Bytes aik_name_;
  SecretBytes secret_;
  OsRng rng_;
};

TEST_P(MakeCredentialTpmTest, TpmActivatesOurCredential) {
  CommandResult activated = Activate(OurCredentialFile());
  ASSERT_EQ(activated.exit_code, 0) << activated.output;
  const Bytes recovered = ReadFileBytes(Path("secret.out"));
  EXPECT_TRUE(ConstantTimeEquals(recovered, secret_.view())) << HexEncode(recovered);
}

TEST_P(MakeCredentialTpmTest, TpmRefusesAFlippedBit) {
  auto blob = MakeCredential(ek_, aik_name_, secret_, rng_);
  ASSERT_TRUE(blob.ok()) << blob.error().message();
  // A bit in integrityHMAC, one in encIdentity, and one in the encrypted secret
  // (for ECC: in the ephemeral point's x, which the TPM hashes into the seed).
  const std::size_t id_bits[] = {2 * 8 + 3, (blob->id_object.size() - 1) * 8};
  for (std::size_t bit : id_bits) {
    CredentialBlob tampered{blob->id_object, blob->encrypted_secret};
    tampered.id_object[bit / 8] ^= static_cast<std::uint8_t>(1U << (bit % 8));
    auto file = EncodeCredentialFile(tampered);
    ASSERT_TRUE(file.ok());
    CommandResult activated = Activate(*file);
    EXPECT_NE(activated.exit_code, 0) << "id_object bit " << bit << " flipped, yet activated";
  }
  CredentialBlob tampered{blob->id_object, blob->encrypted_secret};
  tampered.encrypted_secret[tampered.encrypted_secret.size() / 4] ^= 0x10;
  auto file = EncodeCredentialFile(tampered);
  ASSERT_TRUE(file.ok());
  CommandResult activated = Activate(*file);
  EXPECT_NE(activated.exit_code, 0) << "encrypted secret bit flipped, yet activated";
  // And the untampered blob still works: the failures were the tampering.
  auto good = EncodeCredentialFile(*blob);
  ASSERT_TRUE(good.ok());
  CommandResult untampered = Activate(*good);
  EXPECT_EQ(untampered.exit_code, 0) << untampered.output;
}

// tpm2_makecredential 5.4 wraps only for the default EKs (the first two kinds).
using Tpm2ToolsCredentialTest = MakeCredentialTpmTest;

TEST_P(Tpm2ToolsCredentialTest, FileParsesAndActivates) {
  WriteFileBytes(Path("secret.in"), secret_.view());
  CommandResult made = testing::RunCommand("cd '" + dir_.path().string() +
                                           "' && tpm2_makecredential -T none -u ek.pub -s secret.in -n " +
                                           HexEncode(aik_name_) + " -o theirs.bin");
  ASSERT_EQ(made.exit_code, 0) << made.output;
  const Bytes theirs = ReadFileBytes(Path("theirs.bin"));
  auto parsed = ParseCredentialFile(theirs);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message();
  auto encoded = EncodeCredentialFile(*parsed);
  ASSERT_TRUE(encoded.ok());
  EXPECT_EQ(*encoded, theirs);
  // Same sizes as ours: the same structures, with a different seed.
  const Bytes ours = OurCredentialFile();
  EXPECT_EQ(ours.size(), theirs.size());
  CommandResult activated = Activate(theirs);
  ASSERT_EQ(activated.exit_code, 0) << activated.output;
  EXPECT_EQ(ReadFileBytes(Path("secret.out")), Bytes(secret_.view().begin(), secret_.view().end()));
}

std::string KindName(const ::testing::TestParamInfo<KeyKind>& kind) {
  return kind.param.label;
}

INSTANTIATE_TEST_SUITE_P(Keys, MakeCredentialTpmTest, ::testing::ValuesIn(kKinds), KindName);
INSTANTIATE_TEST_SUITE_P(Keys, Tpm2ToolsCredentialTest, ::testing::Values(kKinds[0], kKinds[1]), KindName);

}  // namespace
}  // namespace vtpmd::ca
