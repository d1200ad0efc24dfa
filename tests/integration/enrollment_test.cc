// AIK enrollment with the guest side entirely in tpm2-tools: a vTPM's guest makes
// an AIK, asks vtpmd's privacy CA for a challenge, activates the credential in its
// TPM with a policy session on the EK, and gets an AIK certificate that openssl
// verifies and whose key verifies the guest's quotes.

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "core/bytes.h"
#include "core/file_io.h"
#include "tests/integration/guest_tpm.h"
#include "tests/integration/test_server.h"

namespace vtpmd::testing {
namespace {

class EnrollmentTest : public ServerSuite {
 protected:
  static Guest StartGuest(const std::string& vm_id, const std::string& ek_alg, const std::string& ak_args,
                          const std::string& method = "local-ca") {
    return StartGuestWithAik(server(), admin(), scratch(), vm_id, ek_alg, ak_args, method);
  }
  static CommandResult Activate(const Guest& guest, const std::string& credential_file) {
    return ActivateCredential(guest, credential_file);
  }
  static JsonReply Challenge(const std::string& body) {
    return Call(server(), "POST", "/v1/aik/challenges", admin(), body);
  }
  static JsonReply Enroll(const Guest& guest, const std::string& challenge_body) {
    return EnrollAik(server(), admin(), guest, challenge_body);
  }
};

TEST_F(EnrollmentTest, GuestEnrollsItsAikWithTpm2ToolsAndItsQuotesVerifyWithTheCertificate) {
  const Guest guest = StartGuest("8c3d4e5f-6a7b-4c8d-9e0f-a1b2c3d4e5f6", "rsa", "-G ecc -g sha256 -s ecdsa");
  JsonReply challenge = Challenge("{\"instance_id\":\"" + guest.instance_id + "\",\"aik_public\":\"" +
                                  FileBase64(guest.File("ak.pub")) + "\"}");
  ASSERT_EQ(challenge.status, 201u) << challenge.raw;
  EXPECT_EQ(Field(challenge.body, "aik_name"), HexEncode(AsBytes(ReadSmallFile(guest.File("ak.name"), 256).value())));
  WriteBase64(guest.File("credential.bin"), Field(challenge.body, "credential_file"));

  CommandResult activated = Activate(guest, guest.File("credential.bin"));
  ASSERT_EQ(activated.exit_code, 0) << activated.output;
  const std::string activation = "/v1/aik/challenges/" + Field(challenge.body, "id") + "/activation";
  JsonReply enrolled = Call(server(), "POST", activation, admin(),
                            "{\"secret\":\"" + FileBase64(guest.File("secret.bin")) + "\"}");
  ASSERT_EQ(enrolled.status, 200u) << enrolled.raw;
  EXPECT_EQ(Field(enrolled.body, "instance_id"), guest.instance_id);

  // The chain: AIK certificate <- privacy CA <- root.
  const std::string chain = WriteTempFile(guest.dir, "chain.pem", Field(enrolled.body, "chain_pem"));
  const std::string leaf = WriteTempFile(guest.dir, "aik.pem", Field(enrolled.body, "certificate_pem"));
  const std::string chain_text = Field(enrolled.body, "chain_pem");
  const std::string root = WriteTempFile(guest.dir, "root.pem", chain_text.substr(chain_text.rfind("-----BEGIN")));
  CommandResult verified = RunCommand("openssl verify -CAfile " + root + " -untrusted " + chain + " " + leaf);
  EXPECT_EQ(verified.exit_code, 0) << verified.output;
  CommandResult text = RunCommand("openssl x509 -noout -text -in " + leaf);
  EXPECT_NE(text.output.find("2.23.133.8.3"), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("8c3d4e5f-6a7b-4c8d-9e0f-a1b2c3d4e5f6"), std::string::npos) << "names the VM";
  EXPECT_NE(text.output.find(guest.instance_id), std::string::npos) << "names the instance";

  // A quote from that AIK verifies with the certificate's key.
  ASSERT_EQ(RunCommand("openssl x509 -pubkey -noout -in " + leaf + " -out " + guest.File("aik-key.pem")).exit_code, 0);
  guest.Run("tpm2_quote -c " + guest.File("ak.ctx") + " -l sha256:0,1,2 -q 0badc0de -m " + guest.File("quote.msg") +
            " -s " + guest.File("quote.sig") + " -o " + guest.File("quote.pcrs") + " -g sha256");
  CommandResult checked = RunCommand("tpm2_checkquote -u " + guest.File("aik-key.pem") + " -m " + guest.File("quote.msg") +
                                     " -s " + guest.File("quote.sig") + " -f " + guest.File("quote.pcrs") +
                                     " -g sha256 -q 0badc0de");
  EXPECT_EQ(checked.exit_code, 0) << checked.output;

  // Single use: the same secret again is refused.
  EXPECT_EQ(Call(server(), "POST", activation, admin(), "{\"secret\":\"" + FileBase64(guest.File("secret.bin")) + "\"}")
                .status,
            409u);
  JsonReply issued = Call(server(), "GET", "/v1/certificates?instance=" + guest.instance_id + "&status=valid", admin());
  EXPECT_NE(issued.raw.find("\"kind\":\"aik\""), std::string::npos) << issued.raw;
}

TEST_F(EnrollmentTest, AnEnrollmentByEkCertificateAloneWorksForAnRsaAik) {
  const Guest guest = StartGuest("9d4e5f6a-7b8c-4d9e-8f0a-b1c2d3e4f5a6", "ecc", "-G rsa -g sha256 -s rsassa");
  guest.Run("tpm2_getekcertificate -o " + guest.File("rsa-ek.der") + " -o " + guest.File("ecc-ek.der"));
  JsonReply enrolled = Enroll(guest, "{\"ek_certificate\":\"" + FileBase64(guest.File("ecc-ek.der")) +
                                         "\",\"aik_public\":\"" + FileBase64(guest.File("ak.pub")) + "\"}");
  EXPECT_EQ(enrolled.status, 200u) << enrolled.raw;
}

TEST_F(EnrollmentTest, WrongSecretsMismatchedEksAndWeakAiksAreRefused) {
  const Guest guest = StartGuest("ae5f6a7b-8c9d-4eaf-9a1b-c2d3e4f5a6b7", "rsa", "-G ecc -g sha256 -s ecdsa");
  const std::string aik = FileBase64(guest.File("ak.pub"));
  const std::string instance = "\"instance_id\":\"" + guest.instance_id + "\"";

  // A wrong secret uses the challenge up.
  JsonReply challenge = Challenge("{" + instance + ",\"aik_public\":\"" + aik + "\"}");
  ASSERT_EQ(challenge.status, 201u) << challenge.raw;
  const std::string activation = "/v1/aik/challenges/" + Field(challenge.body, "id") + "/activation";
  EXPECT_EQ(Call(server(), "POST", activation, admin(), R"({"secret":"AAAAAAAAAAAAAAAAAAAAAA=="})").status, 403u);
  WriteBase64(guest.File("credential.bin"), Field(challenge.body, "credential_file"));
  ASSERT_EQ(Activate(guest, guest.File("credential.bin")).exit_code, 0);
  EXPECT_EQ(Call(server(), "POST", activation, admin(), "{\"secret\":\"" + FileBase64(guest.File("secret.bin")) + "\"}")
                .status,
            409u)
      << "after a wrong attempt even the right secret is refused";

  // A flipped bit in the credential: the TPM refuses to activate it.
  challenge = Challenge("{" + instance + ",\"aik_public\":\"" + aik + "\"}");
  ASSERT_EQ(challenge.status, 201u);
  Bytes file = Base64Decode(Field(challenge.body, "credential_file")).value();
  file[12] ^= 0x01;
  WriteTempFile(guest.dir, "tampered.bin", std::string(AsChars(file)));
  EXPECT_NE(Activate(guest, guest.File("tampered.bin")).exit_code, 0);

  // The EK certificate of another TPM does not match this instance.
  const Guest other = StartGuest("bf6a7b8c-9d0e-4fa1-8b2c-d3e4f5a6b7c8", "rsa", "-G ecc -g sha256 -s ecdsa");
  other.Run("tpm2_getekcertificate -o " + other.File("rsa-ek.der") + " -o " + other.File("ecc-ek.der"));
  EXPECT_EQ(Challenge("{" + instance + ",\"ek_certificate\":\"" + FileBase64(other.File("rsa-ek.der")) +
                      "\",\"aik_public\":\"" + aik + "\"}")
                .status,
            422u);

  // The EK is a storage key, not an attestation key (attribute checks: aik_public_test).
  JsonReply storage = Challenge("{" + instance + ",\"aik_public\":\"" + FileBase64(guest.File("ek.pub")) + "\"}");
  EXPECT_EQ(storage.status, 422u) << storage.raw;
  EXPECT_NE(storage.raw.find("AIK"), std::string::npos) << storage.raw;

  EXPECT_EQ(Challenge("{" + instance + ",\"aik_public\":\"AAEC\"}").status, 400u) << "garbage TPM structure";
  EXPECT_EQ(Challenge("{\"aik_public\":\"" + aik + "\"}").status, 400u) << "no TPM named";
  EXPECT_EQ(Challenge(R"({"instance_id":"00000000-0000-4000-8000-000000000000","aik_public":")" + aik + "\"}").status,
            404u);
  EXPECT_EQ(Call(server(), "POST", "/v1/aik/challenges", "", "{}").status, 401u);
  EXPECT_EQ(Call(server(), "POST", "/v1/aik/challenges/00000000-0000-4000-8000-000000000000/activation", admin(),
                 R"({"secret":"AAAA"})")
                .status,
            404u);
}

// Solution 2 of the paper: the AIK' certificate is signed inside the platform TPM
// by the host signing key, which the platform AIK and the privacy CA certified,
// so the chain AIK' -> host key -> privacy CA -> root links the AIK' to this host.
TEST_F(EnrollmentTest, AikCertifiesAikSignsTheAikCertificateInThePlatformTpm) {
  const Guest guest =
      StartGuest("d18c9d0e-1f2a-4b3c-8d4e-f5a6b7c8d9e0", "rsa", "-G ecc -g sha256 -s ecdsa", "aik-certifies-aik");
  JsonReply enrolled = Enroll(guest, InstanceChallengeBody(guest));
  ASSERT_EQ(enrolled.status, 200u) << enrolled.raw;

  const std::string chain_text = Field(enrolled.body, "chain_pem");
  const std::string chain = WriteTempFile(guest.dir, "chain.pem", chain_text);
  const std::string root = WriteTempFile(guest.dir, "root.pem", chain_text.substr(chain_text.rfind("-----BEGIN")));
  const std::string leaf = WriteTempFile(guest.dir, "aik.pem", Field(enrolled.body, "certificate_pem"));
  CommandResult verified = RunCommand("openssl verify -show_chain -CAfile " + root + " -untrusted " + chain + " " + leaf);
  EXPECT_EQ(verified.exit_code, 0) << verified.output;
  EXPECT_NE(verified.output.find("host signing key"), std::string::npos) << "the chain runs through the host key\n"
                                                                          << verified.output;
  CommandResult issuer = RunCommand("openssl x509 -noout -issuer -in " + leaf);
  EXPECT_NE(issuer.output.find("host signing key"), std::string::npos) << issuer.output;
}

// Solution 1 of the paper: the EK' certificate carries the platform AIK's quote
// over its to-be-signed contents, and an AIK' is certified only while that
// platform binding verifies.
TEST_F(EnrollmentTest, AikCertifiesEkBindsTheEkCertificateToThePlatform) {
  const Guest guest =
      StartGuest("c07b8c9d-0e1f-4a2b-9c3d-e4f5a6b7c8d9", "rsa", "-G ecc -g sha256 -s ecdsa", "aik-certifies-ek");
  guest.Run("tpm2_getekcertificate -o " + guest.File("rsa-ek.der") + " -o " + guest.File("ecc-ek.der"));
  CommandResult text = RunCommand("openssl x509 -inform DER -noout -text -in " + guest.File("rsa-ek.der"));
  EXPECT_NE(text.output.find("2.25.251627286845629575248525112827099618712.2"), std::string::npos) << text.output;
  CommandResult chain_ok = RunCommand("openssl x509 -inform DER -in " + guest.File("rsa-ek.der") + " -out " +
                                      guest.File("rsa-ek.pem"));
  ASSERT_EQ(chain_ok.exit_code, 0);

  const std::string body = InstanceChallengeBody(guest);
  JsonReply enrolled = Enroll(guest, body);
  EXPECT_EQ(enrolled.status, 200u) << enrolled.raw;

  // Once the platform AIK that made the binding is revoked, the binding vouches for
  // nothing and the CA stops certifying AIKs of this vTPM.
  JsonReply platform = Call(server(), "GET", "/v1/platform", admin());
  const std::string platform_chain =
      Field(platform.body.as_object().at("attestation_key"), "certificate_chain_pem");
  const std::string platform_aik = WriteTempFile(guest.dir, "platform-aik.pem", platform_chain);
  CommandResult serial = RunCommand("openssl x509 -noout -serial -in " + platform_aik);
  ASSERT_EQ(serial.exit_code, 0) << serial.output;
  const std::string hex = serial.output.substr(serial.output.find('=') + 1, serial.output.find('\n') - 7);
  ASSERT_EQ(Call(server(), "POST", "/v1/certificates/" + hex + "/revocation", admin(), R"({"reason":"keyCompromise"})")
                .status,
            200u);
  JsonReply refused = Challenge(body);
  EXPECT_EQ(refused.status, 422u) << refused.raw;
  EXPECT_NE(refused.raw.find("platform"), std::string::npos) << refused.raw;
}

}  // namespace
}  // namespace vtpmd::testing
