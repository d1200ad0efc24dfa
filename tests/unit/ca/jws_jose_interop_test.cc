// The attestation-result JWTs checked by jose (npm), run by node: an
// implementation that shares no code with ours, so a pass means the token, the
// JWK and the kid follow the RFCs and not only our own reading of them.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "ca/jws_signer.h"
#include "ca_test_support.h"
#include "core/file_io.h"
#include "jws_test_support.h"

namespace vtpmd::ca {
namespace {

using testing::CommandResult;
using testing::kEarPayload;
using testing::TempDir;

const std::filesystem::path kNodeDir = std::filesystem::path(VTPMD_SOURCE_DIR) / "tests" / "node";

void WriteFile(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

// stdout only: whatever node says on stderr must not look like a payload.
CommandResult VerifyWithJose(const TempDir& dir, const std::string& jwks, const std::string& token) {
  WriteFile(dir.path() / "jwks.json", jwks);
  WriteFile(dir.path() / "token.jwt", token);
  const std::filesystem::path stderr_file = dir.path() / "node.stderr";
  CommandResult result =
      testing::RunCommand("{ node '" + (kNodeDir / "verify_jwt.mjs").string() + "' '" +
                          (dir.path() / "jwks.json").string() + "' '" + (dir.path() / "token.jwt").string() +
                          "' 2>'" + stderr_file.string() + "'; }");
  if (result.exit_code != 0) {
    Result<std::string> errors = ReadSmallFile(stderr_file, 1 << 20);
    result.output += errors.ok() ? *errors : errors.error().message();
  }
  return result;
}

TEST(JwsSignerTest, JoseVerifiesOurTokens) {
  // Not a skip: scripts/install-deps.sh installs both (scripts/node-deps.sh).
  ASSERT_EQ(testing::RunCommand("node --version").exit_code, 0) << "node is missing; run scripts/node-deps.sh";
  ASSERT_TRUE(std::filesystem::exists(kNodeDir / "node_modules" / "jose" / "package.json"))
      << "jose is missing from " << kNodeDir << "; run scripts/node-deps.sh";

  for (KeyAlgorithm algorithm : {KeyAlgorithm::kEcdsaP256, KeyAlgorithm::kEcdsaP384, KeyAlgorithm::kRsa3072}) {
    SCOPED_TRACE(KeyAlgorithmName(algorithm));
    Result<testing::SignerChain> chain = testing::MakeSignerChain(algorithm);
    ASSERT_TRUE(chain.ok()) << chain.error().message();
    Result<JwsSigner> signer = testing::MakeSigner(*chain);
    ASSERT_TRUE(signer.ok()) << signer.error().message();
    Result<std::string> token = signer->SignCompact(kEarPayload);
    ASSERT_TRUE(token.ok()) << token.error().message();

    TempDir dir;
    const CommandResult verified = VerifyWithJose(dir, signer->JwksJson(), *token);
    ASSERT_EQ(verified.exit_code, 0) << verified.output;
    EXPECT_EQ(verified.output, std::string(kEarPayload) + "\n");

    std::string tampered = *token;
    char& last = tampered[tampered.size() - 2];  // inside the signature, whatever its padding bits
    last = last == 'A' ? 'B' : 'A';
    const CommandResult refused = VerifyWithJose(dir, signer->JwksJson(), tampered);
    EXPECT_NE(refused.exit_code, 0) << refused.output;
    EXPECT_NE(refused.output.find("verification failed"), std::string::npos) << refused.output;
  }
}

}  // namespace
}  // namespace vtpmd::ca
