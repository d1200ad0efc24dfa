// Attestation for a remote challenger, end to end: a guest quotes with tpm2-tools
// in its vTPM, the challenger submits the evidence over HTTPS, and every part of
// the answer is checked with tools that share no code with vtpmd: tpm2_checkquote
// for both quotes, jose (node) for the EAR token, a Python script for the Merkle
// proof.

#include <gtest/gtest.h>

#include "core/bytes.h"
#include "core/file_io.h"
#include "tests/integration/guest_tpm.h"
#include "tests/integration/test_server.h"

namespace vtpmd::testing {
namespace {

const std::filesystem::path kSourceDir = VTPMD_SOURCE_DIR;

class AttestationTest : public ServerSuite {
 protected:
  struct EnrolledGuest {
    Guest guest;
    std::string chain_pem;
    std::string aik_serial;
  };

  static std::string Challenger() {
    static const std::string token = [] {
      JsonReply issued = Call(server(), "POST", "/v1/tokens", admin(), R"({"role":"challenger"})");
      EXPECT_EQ(issued.status, 201u) << issued.raw;
      return Field(issued.body, "token");
    }();
    return token;
  }

  static EnrolledGuest StartEnrolledGuest(const std::string& vm_id) {
    Guest guest = StartGuestWithAik(server(), admin(), scratch(), vm_id, "rsa", "-G ecc -g sha256 -s ecdsa");
    JsonReply enrolled = EnrollAik(server(), admin(), guest, InstanceChallengeBody(guest));
    EXPECT_EQ(enrolled.status, 200u) << enrolled.raw;
    JsonReply issued =
        Call(server(), "GET", "/v1/certificates?instance=" + guest.instance_id + "&status=valid", admin());
    std::string serial;
    for (const auto& item : issued.body.as_object().at("certificates").as_array()) {
      if (Field(item, "kind") == "aik") serial = Field(item, "serial");
    }
    EXPECT_FALSE(serial.empty()) << issued.raw;
    return {std::move(guest), Field(enrolled.body, "chain_pem"), serial};
  }

  // tpm2_quote of sha256:0,1,2,16 over `nonce_hex` into quote-<tag>.{msg,sig,pcrs}.
  static void Quote(const Guest& guest, const std::string& nonce_hex, const std::string& tag) {
    guest.Run("tpm2_quote -c " + guest.File("ak.ctx") + " -l sha256:0,1,2,16 -q " + nonce_hex + " -m " +
              guest.File(("quote-" + tag + ".msg").c_str()) + " -s " + guest.File(("quote-" + tag + ".sig").c_str()) +
              " -o " + guest.File(("quote-" + tag + ".pcrs").c_str()) + " -g sha256");
    guest.Run("tpm2_flushcontext -t");
  }

  static std::string Evidence(const EnrolledGuest& enrolled, const std::string& tag) {
    const Guest& g = enrolled.guest;
    boost::json::object evidence{{"quote", FileBase64(g.File(("quote-" + tag + ".msg").c_str()))},
                                 {"signature", FileBase64(g.File(("quote-" + tag + ".sig").c_str()))},
                                 {"pcrs", FileBase64(g.File(("quote-" + tag + ".pcrs").c_str()))},
                                 {"aik_certificate_chain", enrolled.chain_pem}};
    return boost::json::serialize(evidence);
  }

  static JsonReply Attest(const std::string& instance_id, const std::string& nonce_hex, const std::string& policy,
                          const std::string& evidence_json, bool deep_quote = true) {
    return Call(server(), "POST", "/v1/attestations", Challenger(),
                R"({"instance_id":")" + instance_id + R"(","nonce":")" + nonce_hex + R"(","policy":")" + policy +
                    R"(","deep_quote":)" + (deep_quote ? "true" : "false") + R"(,"evidence":)" + evidence_json + "}");
  }

  static std::string Status(const JsonReply& reply) { return Field(reply.body, "status"); }

  static std::string Submod(const JsonReply& reply, std::string_view name) {
    return Field(reply.body.at("result").at("submods").at(name), "status");
  }

  // Every reason code of the failed checks, space-separated.
  static std::string Reasons(const JsonReply& reply) {
    std::string out;
    for (const auto& [name, submod] : reply.body.at("result").at("submods").as_object()) {
      for (const auto& check : submod.at("checks").as_array()) {
        if (check.as_object().contains("reason")) out += Field(check, "reason") + " ";
      }
    }
    return out;
  }

  static void CreatePolicy(const std::string& document) {
    JsonReply created = Call(server(), "POST", "/v1/policies", admin(), document);
    ASSERT_EQ(created.status, 201u) << created.raw;
  }

  static CommandResult CheckQuote(const Guest& guest, const std::string& tag, const std::string& nonce_hex) {
    return RunCommand("tpm2_checkquote -u " + guest.File("aik.pem") + " -m " + guest.File(("quote-" + tag + ".msg").c_str()) +
                      " -s " + guest.File(("quote-" + tag + ".sig").c_str()) + " -f " +
                      guest.File(("quote-" + tag + ".pcrs").c_str()) + " -g sha256 -q " + nonce_hex);
  }
};

TEST_F(AttestationTest, AnEnrolledGuestIsAffirmedAndEveryPartOfTheAnswerChecksOutIndependently) {
  const EnrolledGuest enrolled = StartEnrolledGuest("5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d");
  const Guest& guest = enrolled.guest;
  guest.Run("tpm2_pcrextend 16:sha256=" + std::string(64, 'a'));
  const std::string nonce = "0011223344556677889900aabbccddee";
  Quote(guest, nonce, "good");

  // Reference values: what this guest's PCR 16 must hold.
  CommandResult pcr16 = RunCommand("tpm2_pcrread sha256:16 -T " + guest.tcti);
  ASSERT_EQ(pcr16.exit_code, 0) << pcr16.output;
  const std::size_t hex_at = pcr16.output.find("0x");
  ASSERT_NE(hex_at, std::string::npos) << pcr16.output;
  std::string value = pcr16.output.substr(hex_at + 2, 64);
  for (char& c : value) c = static_cast<char>(std::tolower(c));
  JsonReply platform_now = Call(server(), "GET", "/v1/platform", admin());
  const std::string platform_pcr0 = Field(platform_now.body.at("pcrs").at("sha256"), "0");
  CreatePolicy(R"({"name":"guest-pcr16","guest":{"pcrs":{"sha256":{"16":[")" + value +
               R"("]}}},"platform":{"pcrs":{"sha256":{"0":[")" + platform_pcr0 + R"("]}}}})");

  JsonReply attested = Attest(guest.instance_id, nonce, "guest-pcr16", Evidence(enrolled, "good"));
  ASSERT_EQ(attested.status, 201u) << attested.raw;
  EXPECT_EQ(Submod(attested, "vtpm-quote"), "affirming") << attested.raw;
  EXPECT_EQ(Submod(attested, "aik-chain"), "affirming") << attested.raw;
  EXPECT_EQ(Submod(attested, "policy"), "affirming") << attested.raw;
  EXPECT_EQ(Submod(attested, "platform"), "affirming") << attested.raw;
  EXPECT_EQ(Submod(attested, "event-log"), "warning") << "no log was submitted";
  EXPECT_EQ(Status(attested), "warning");
  const std::string id = Field(attested.body, "id");

  // Our verdict on the guest quote agrees with tpm2_checkquote's.
  ASSERT_EQ(RunCommand("openssl x509 -pubkey -noout -out " + guest.File("aik.pem") + " <<'EOF'\n" +
                       enrolled.chain_pem.substr(0, enrolled.chain_pem.find("-----END CERTIFICATE-----") + 25) + "\nEOF")
                .exit_code,
            0);
  EXPECT_EQ(CheckQuote(guest, "good", nonce).exit_code, 0);

  // The EAR token verifies with jose against the published JWKS.
  JsonReply jwks = Call(server(), "GET", "/.well-known/jwks.json");
  ASSERT_EQ(jwks.status, 200u) << jwks.raw;
  const std::string jwks_file = WriteTempFile(guest.dir, "jwks.json", jwks.raw);
  const std::string token_file = WriteTempFile(guest.dir, "token.jwt", Field(attested.body, "token"));
  CommandResult jose = RunCommand("node " + (kSourceDir / "tests/node/verify_jwt.mjs").string() + " " + jwks_file +
                                  " " + token_file);
  ASSERT_EQ(jose.exit_code, 0) << jose.output;
  boost::json::value claims = boost::json::parse(jose.output);
  EXPECT_EQ(Field(claims, "eat_profile"), "tag:github.com,2023:veraison/ear");
  EXPECT_EQ(Field(claims, "eat_nonce"), Base64UrlEncode(HexDecode(nonce).value()));
  EXPECT_EQ(Field(claims.at("submods").at("vtpm-quote"), "ear.status"), "affirming");
  EXPECT_EQ(Field(claims, "jti"), id);

  // The Merkle proof recomputes to the root, independently, binding included.
  const boost::json::object& deep = attested.body.at("result").at("deep_quote").as_object();
  boost::json::object proof = deep;
  proof["binding"] = boost::json::object{{"nonce", nonce},
                                         {"instance_id", guest.instance_id},
                                         {"ek_name", attested.body.at("result").at("binding").at("ek_name")},
                                         {"aik_name", attested.body.at("result").at("binding").at("aik_name")},
                                         {"guest_attest", HexEncode(AsBytes(ReadSmallFile(guest.File("quote-good.msg"), 4096).value()))}};
  const std::string proof_file = WriteTempFile(guest.dir, "proof.json", boost::json::serialize(proof));
  CommandResult merkle = RunCommand("python3 " + (kSourceDir / "scripts/verify_merkle_proof.py").string() +
                                    " --binding " + proof_file);
  EXPECT_EQ(merkle.exit_code, 0) << merkle.output;

  // The platform quote is the platform AIK's, over that root.
  const std::string platform_chain = Field(deep, "platform_aik_certificate_chain");
  ASSERT_EQ(RunCommand("openssl x509 -pubkey -noout -out " + guest.File("platform-aik.pem") + " <<'EOF'\n" +
                       platform_chain.substr(0, platform_chain.find("-----END CERTIFICATE-----") + 25) + "\nEOF")
                .exit_code,
            0);
  WriteBase64(guest.File("platform.msg"), Field(deep.at("platform_quote"), "attest"));
  WriteBase64(guest.File("platform.sig"), Field(deep.at("platform_quote"), "signature"));
  CommandResult platform = RunCommand("tpm2_checkquote -u " + guest.File("platform-aik.pem") + " -m " +
                                      guest.File("platform.msg") + " -s " + guest.File("platform.sig") +
                                      " -g sha256 -q " + Field(deep, "root"));
  EXPECT_EQ(platform.exit_code, 0) << platform.output;
  // Against another TPM's key (the guest's AIK stands in for another host's platform
  // AIK) the same platform quote fails: a quote from another host is not this one's.
  EXPECT_NE(RunCommand("tpm2_checkquote -u " + guest.File("aik.pem") + " -m " + guest.File("platform.msg") + " -s " +
                       guest.File("platform.sig") + " -g sha256 -q " + Field(deep, "root"))
                .exit_code,
            0);

  // The same evidence named by the VM instead of the instance.
  JsonReply by_vm = Call(server(), "POST", "/v1/attestations", Challenger(),
                         R"({"vm_id":"5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d","nonce":")" + nonce +
                             R"(","policy":"guest-pcr16","deep_quote":false,"evidence":)" + Evidence(enrolled, "good") +
                             "}");
  ASSERT_EQ(by_vm.status, 201u) << by_vm.raw;
  EXPECT_EQ(Field(by_vm.body, "instance_id"), guest.instance_id);
  EXPECT_EQ(Submod(by_vm, "vtpm-quote"), "affirming") << by_vm.raw;

  // Stored: by id and in the instance's list.
  JsonReply fetched = Call(server(), "GET", "/v1/attestations/" + id, Challenger());
  ASSERT_EQ(fetched.status, 200u) << fetched.raw;
  EXPECT_EQ(Field(fetched.body, "token"), Field(attested.body, "token"));
  JsonReply listed = Call(server(), "GET", "/v1/attestations?instance=" + guest.instance_id, Challenger());
  ASSERT_EQ(listed.status, 200u) << listed.raw;
  EXPECT_NE(listed.raw.find(id), std::string::npos);
  EXPECT_EQ(Call(server(), "GET", "/v1/attestations/" + id, "").status, 401u);
}

TEST_F(AttestationTest, BadEvidenceIsContraindicatedWithItsReasonAndAgreesWithTpm2Checkquote) {
  const EnrolledGuest enrolled = StartEnrolledGuest("6b2c3d4e-5f6a-4b7c-9d8e-0f1a2b3c4d5e");
  const EnrolledGuest other = StartEnrolledGuest("7c3d4e5f-6a7b-4c8d-8e9f-1a2b3c4d5e6f");
  const Guest& guest = enrolled.guest;
  CreatePolicy(R"({"name":"guest-any-16","guest":{"pcrs":{"sha256":{"16":[")" + std::string(64, '0') + R"("]}}}})");
  ASSERT_EQ(RunCommand("openssl x509 -pubkey -noout -out " + guest.File("aik.pem") + " <<'EOF'\n" +
                       enrolled.chain_pem.substr(0, enrolled.chain_pem.find("-----END CERTIFICATE-----") + 25) + "\nEOF")
                .exit_code,
            0);
  const std::string nonce = "a1a2a3a4a5a6a7a8";
  Quote(guest, nonce, "first");
  Quote(guest, "b1b2b3b4b5b6b7b8", "second");

  // Wrong nonce: we and tpm2_checkquote both refuse.
  JsonReply wrong_nonce = Attest(guest.instance_id, "ffffffffffffffff", "guest-any-16", Evidence(enrolled, "first"));
  ASSERT_EQ(wrong_nonce.status, 201u) << wrong_nonce.raw;
  EXPECT_EQ(Status(wrong_nonce), "contraindicated");
  EXPECT_NE(Reasons(wrong_nonce).find("nonce-mismatch"), std::string::npos) << wrong_nonce.raw;
  EXPECT_NE(CheckQuote(guest, "first", "ffffffffffffffff").exit_code, 0);
  EXPECT_FALSE(wrong_nonce.body.at("result").as_object().contains("deep_quote")) << "no platform link for bad evidence";

  // PCR values that do not match the quoted digest.
  boost::json::value tampered = boost::json::parse(Evidence(enrolled, "first"));
  tampered.as_object().erase("pcrs");
  tampered.as_object()["pcr_values"] = boost::json::object{
      {"sha256", {{"0", std::string(64, '0')}, {"1", std::string(64, '0')}, {"2", std::string(64, '0')},
                  {"16", std::string(64, '1')}}}};
  JsonReply bad_pcrs = Attest(guest.instance_id, nonce, "guest-any-16", boost::json::serialize(tampered));
  EXPECT_NE(Reasons(bad_pcrs).find("pcr-digest-mismatch"), std::string::npos) << bad_pcrs.raw;

  // A signature by another key: the other guest's quote bytes under our AIK chain.
  Quote(other.guest, nonce, "other");
  boost::json::value foreign = boost::json::parse(Evidence(enrolled, "first"));
  foreign.as_object()["signature"] = FileBase64(other.guest.File("quote-other.sig"));
  JsonReply bad_signature = Attest(guest.instance_id, nonce, "guest-any-16", boost::json::serialize(foreign));
  EXPECT_NE(Reasons(bad_signature).find("signature-invalid"), std::string::npos) << bad_signature.raw;

  // Truncated and inflated TPMS_ATTEST.
  const std::string attest_file = ReadSmallFile(guest.File("quote-first.msg"), 4096).value();
  const Bytes attest(AsBytes(attest_file).begin(), AsBytes(attest_file).end());
  for (const Bytes& changed : {Bytes(attest.begin(), attest.end() - 3), [&] {
         Bytes longer = attest;
         longer.push_back(0);
         return longer;
       }()}) {
    boost::json::value evidence = boost::json::parse(Evidence(enrolled, "first"));
    evidence.as_object()["quote"] = Base64Encode(changed);
    JsonReply reply = Attest(guest.instance_id, nonce, "guest-any-16", boost::json::serialize(evidence));
    ASSERT_EQ(reply.status, 201u) << reply.raw;
    EXPECT_EQ(Status(reply), "contraindicated");
    EXPECT_NE(Reasons(reply).find("malformed-evidence"), std::string::npos) << reply.raw;
  }

  // Stale: the second quote is accepted, then the older first one is refused.
  JsonReply second = Attest(guest.instance_id, "b1b2b3b4b5b6b7b8", "guest-any-16", Evidence(enrolled, "second"));
  EXPECT_EQ(Submod(second, "vtpm-quote"), "affirming") << second.raw;
  JsonReply stale = Attest(guest.instance_id, nonce, "guest-any-16", Evidence(enrolled, "first"));
  EXPECT_NE(Reasons(stale).find("clock-went-backwards"), std::string::npos) << stale.raw;

  // The other guest's AIK does not vouch for this instance.
  JsonReply not_ours = Attest(guest.instance_id, nonce, "guest-any-16", Evidence(other, "other"));
  EXPECT_NE(Reasons(not_ours).find("aik-not-for-instance"), std::string::npos) << not_ours.raw;

  // Malformed input is a 4xx and records nothing; so is an unknown policy.
  EXPECT_EQ(Attest(guest.instance_id, nonce, "no-such-policy", Evidence(enrolled, "second")).status, 404u);
  EXPECT_EQ(Attest(guest.instance_id, "abc", "guest-any-16", Evidence(enrolled, "second")).status, 400u);
  EXPECT_EQ(Attest(guest.instance_id, nonce, "guest-any-16", R"({"quote":"!!"})").status, 400u);
  EXPECT_EQ(Attest("00000000-0000-4000-8000-000000000000", nonce, "guest-any-16", Evidence(enrolled, "second")).status,
            404u);

  // Revoked AIK.
  ASSERT_EQ(Call(server(), "POST", "/v1/certificates/" + enrolled.aik_serial + "/revocation", admin(),
                 R"({"reason":"keyCompromise"})")
                .status,
            200u);
  Quote(guest, "c1c2c3c4c5c6c7c8", "third");
  JsonReply revoked = Attest(guest.instance_id, "c1c2c3c4c5c6c7c8", "guest-any-16", Evidence(enrolled, "third"));
  EXPECT_NE(Reasons(revoked).find("aik-revoked"), std::string::npos) << revoked.raw;

  // Each failure is an event.
  JsonReply events = Call(server(), "GET", "/v1/events?subject=attestations/" + Field(revoked.body, "id"), admin());
  EXPECT_NE(events.raw.find("attestation.failed"), std::string::npos) << events.raw;
  JsonReply failed = Call(server(), "GET", "/v1/attestations?status=contraindicated&instance=" + guest.instance_id,
                          Challenger());
  EXPECT_GE(failed.body.at("attestations").as_array().size(), 7u) << failed.raw;
}

TEST_F(AttestationTest, ThePlatformAttestsAloneAgainstItsPolicy) {
  CreatePolicy(R"({"name":"platform-guest-only","guest":{"pcrs":{"sha256":{"0":[")" + std::string(64, '0') +
               R"("]}}}})");
  const std::string nonce = "0102030405060708090a";
  JsonReply first = Call(server(), "POST", "/v1/platform/attestations", Challenger(),
                         R"({"nonce":")" + nonce + R"(","policy":"platform-guest-only"})");
  ASSERT_EQ(first.status, 201u) << first.raw;
  EXPECT_EQ(Submod(first, "platform-quote"), "affirming") << first.raw;
  EXPECT_EQ(Submod(first, "aik-chain"), "affirming") << first.raw;
  EXPECT_EQ(Submod(first, "policy"), "warning") << "the policy has no platform section";

  // A platform section with the quoted PCR 0 value affirms.
  const std::string pcr0 = Field(first.body.at("result").at("deep_quote").at("platform_quote").at("pcrs").at("sha256"), "0");
  CreatePolicy(R"({"name":"platform-pcr0","platform":{"pcrs":{"sha256":{"0":[")" + pcr0 + R"("]}}}})");
  JsonReply second = Call(server(), "POST", "/v1/platform/attestations", Challenger(),
                          R"({"nonce":")" + nonce + R"(","policy":"platform-pcr0"})");
  ASSERT_EQ(second.status, 201u) << second.raw;
  EXPECT_EQ(Submod(second, "policy"), "affirming") << second.raw;

  CreatePolicy(R"({"name":"platform-wrong","platform":{"pcrs":{"sha256":{"0":[")" + std::string(64, 'e') + R"("]}}}})");
  JsonReply wrong = Call(server(), "POST", "/v1/platform/attestations", Challenger(),
                         R"({"nonce":")" + nonce + R"(","policy":"platform-wrong"})");
  EXPECT_EQ(Status(wrong), "contraindicated") << wrong.raw;
  EXPECT_NE(Reasons(wrong).find("policy-not-met"), std::string::npos) << wrong.raw;

  // A new version applies from the next attestation on, and a deleted policy no
  // longer appraises, though the policy was just used (vtpmd keeps chosen policies
  // in memory).
  JsonReply updated = Call(server(), "PUT", "/v1/policies/platform-pcr0", admin(),
                           R"({"name":"platform-pcr0","platform":{"pcrs":{"sha256":{"0":[")" + std::string(64, 'e') +
                               R"("]}}}})");
  ASSERT_EQ(updated.status, 200u) << updated.raw;
  JsonReply after_update = Call(server(), "POST", "/v1/platform/attestations", Challenger(),
                                R"({"nonce":")" + nonce + R"(","policy":"platform-pcr0"})");
  EXPECT_EQ(Status(after_update), "contraindicated") << after_update.raw;
  EXPECT_EQ(after_update.body.at("policy").at("version").as_int64(), 2) << after_update.raw;
  ASSERT_EQ(Call(server(), "DELETE", "/v1/policies/platform-pcr0", admin()).status, 204u);
  EXPECT_EQ(Call(server(), "POST", "/v1/platform/attestations", Challenger(),
                 R"({"nonce":")" + nonce + R"(","policy":"platform-pcr0"})")
                .status,
            404u);
}

TEST_F(AttestationTest, VtpmctlAttestsFromTheGuestTpmAndShowsTheResult) {
  const EnrolledGuest enrolled = StartEnrolledGuest("8d4e5f6a-7b8c-4d9e-9fa0-2b3c4d5e6f70");
  const Guest& guest = enrolled.guest;
  guest.Run("tpm2_evictcontrol -C o -c " + guest.File("ak.ctx") + " 0x81010020");
  const std::string chain = WriteTempFile(guest.dir, "aik-chain.pem", enrolled.chain_pem);
  CreatePolicy(R"({"name":"guest-pcr0-zero","guest":{"pcrs":{"sha256":{"0":[")" + std::string(64, '0') + R"("]}}}})");
  CreatePolicy(R"({"name":"guest-pcr0-other","guest":{"pcrs":{"sha256":{"0":[")" + std::string(64, 'f') + R"("]}}}})");
  const std::string common = "attest --instance " + guest.instance_id + " --tcti " + guest.tcti +
                             " --aik-handle 0x81010020 --aik-chain " + chain + " --pcrs sha256:0,1";

  int exit_code = -1;
  const std::string affirmed = Vtpmctl(server(), common + " --policy guest-pcr0-zero", &exit_code);
  EXPECT_EQ(exit_code, 0) << affirmed;
  // Linked to the platform; the policy has no platform section to appraise it by.
  EXPECT_NE(affirmed.find("platform: warning"), std::string::npos) << affirmed;
  EXPECT_NE(affirmed.find("platform-policy skipped"), std::string::npos) << affirmed;
  EXPECT_NE(affirmed.find("vtpm-quote: affirming"), std::string::npos) << affirmed;
  const std::string id = affirmed.substr(affirmed.find("attestation ") + 12, 36);

  const std::string refused = Vtpmctl(server(), common + " --policy guest-pcr0-other --no-deep-quote", &exit_code);
  EXPECT_EQ(exit_code, 1) << refused;
  EXPECT_NE(refused.find("contraindicated"), std::string::npos) << refused;
  EXPECT_NE(refused.find("policy-not-met"), std::string::npos) << refused;

  const std::string shown = Vtpmctl(server(), "attestation show " + id);
  EXPECT_NE(shown.find(id), std::string::npos) << shown;
  const std::string listed = Vtpmctl(server(), "attestation list --instance " + guest.instance_id);
  EXPECT_NE(listed.find(id), std::string::npos) << listed;
}

// The AIK clock history is decided in memory and written with the result: an
// answered attestation's clock must survive a crash, or an older quote of the same
// AIK would pass after the restart.
TEST(AttestationRestart, AnAnsweredClockSurvivesAKill) {
  const auto scratch = MakeTempDir("vtpmd-attest-restart");
  auto server = VtpmdProcess::Start(scratch / "data");
  ASSERT_TRUE(server.ok()) << server.error().message();
  const std::string token = (*server)->admin_token();
  const Guest guest = StartGuestWithAik(**server, token, scratch, "9e5f6a7b-8c9d-4eaf-8b1c-3d4e5f6a7b8c", "rsa",
                                        "-G ecc -g sha256 -s ecdsa");
  JsonReply enrolled = EnrollAik(**server, token, guest, InstanceChallengeBody(guest));
  ASSERT_EQ(enrolled.status, 200u) << enrolled.raw;
  ASSERT_EQ(Call(**server, "POST", "/v1/policies", token,
                 R"({"name":"zero","guest":{"pcrs":{"sha256":{"0":[")" + std::string(64, '0') + R"("]}}}})")
                .status,
            201u);
  for (const char* nonce : {"1111111111111111", "2222222222222222"}) {
    guest.Run("tpm2_quote -c " + guest.File("ak.ctx") + " -l sha256:0 -q " + nonce + " -m " +
              (guest.dir / (std::string(nonce) + ".msg")).string() + " -s " +
              (guest.dir / (std::string(nonce) + ".sig")).string() + " -o " +
              (guest.dir / (std::string(nonce) + ".pcrs")).string() + " -g sha256");
    guest.Run("tpm2_flushcontext -t");
  }
  const auto attest = [&](const VtpmdProcess& to, const std::string& nonce) {
    boost::json::object evidence{{"quote", FileBase64(guest.dir / (nonce + ".msg"))},
                                 {"signature", FileBase64(guest.dir / (nonce + ".sig"))},
                                 {"pcrs", FileBase64(guest.dir / (nonce + ".pcrs"))},
                                 {"aik_certificate_chain", Field(enrolled.body, "chain_pem")}};
    return Call(to, "POST", "/v1/attestations", token,
                boost::json::serialize(boost::json::object{{"instance_id", guest.instance_id},
                                                           {"nonce", nonce},
                                                           {"policy", "zero"},
                                                           {"deep_quote", false},
                                                           {"evidence", std::move(evidence)}}));
  };
  JsonReply newer = attest(**server, "2222222222222222");
  ASSERT_EQ(newer.status, 201u) << newer.raw;
  EXPECT_EQ(Field(newer.body.at("result").at("submods").at("vtpm-quote"), "status"), "affirming") << newer.raw;

  (*server)->Kill();
  auto again = VtpmdProcess::Start(scratch / "data");
  ASSERT_TRUE(again.ok()) << again.error().message();
  JsonReply older = attest(**again, "1111111111111111");
  ASSERT_EQ(older.status, 201u) << older.raw;
  EXPECT_EQ(Field(older.body, "status"), "contraindicated");
  EXPECT_NE(older.raw.find("clock-went-backwards"), std::string::npos) << older.raw;
  EXPECT_EQ((*again)->Stop(), 0);
  std::filesystem::remove_all(scratch);
}

}  // namespace
}  // namespace vtpmd::testing
