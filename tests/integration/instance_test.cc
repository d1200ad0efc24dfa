// The vTPM host manager end to end: instances created over REST, manufactured with
// EKs and EK' certificates, read by unmodified tpm2-tools through vtpmd's relay,
// and brought back identical after restarts and crashes.

#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <thread>

#include "core/bytes.h"
#include "core/file_io.h"
#include "tests/integration/test_server.h"

namespace vtpmd::testing {
namespace {

constexpr char kVm[] = "5b1f8a44-0c1d-4c5e-9a7b-3d2e1f0a9b8c";

std::string Field(const boost::json::value& v, std::string_view key) {
  return std::string(v.as_object().at(key).as_string());
}

class InstanceTest : public ServerSuite {
 protected:
  // Polls until the instance leaves "provisioning" (manufacture generates keys).
  static boost::json::value WaitRunning(const std::string& id) {
    JsonReply reply;
    for (int i = 0; i < 600; ++i) {
      reply = Call(server(), "GET", "/v1/instances/" + id, admin());
      if (reply.status == 200 && Field(reply.body, "status") != "provisioning") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_EQ(Field(reply.body, "status"), "running") << reply.raw;
    return reply.body;
  }

  static std::string Tcti(const boost::json::value& instance) {
    return Field(instance.as_object().at("attach"), "tcti");
  }

  static std::string CreateRunning(const std::string& vm_id, const std::string& extra = "") {
    JsonReply created = Call(server(), "POST", "/v1/instances", admin(),
                             "{\"vm_id\":\"" + vm_id + "\"" + extra + "}");
    EXPECT_EQ(created.status, 202u) << created.raw;
    if (created.status != 202u) return "";
    const std::string id = Field(created.body, "id");
    WaitRunning(id);
    return id;
  }
};

TEST_F(InstanceTest, GuestToolsReadOurEkCertificatesThroughTheRelay) {
  const std::string id = CreateRunning(kVm);
  ASSERT_FALSE(id.empty());
  const boost::json::value instance = WaitRunning(id);
  const auto& eks = instance.as_object().at("endorsement_keys").as_array();
  ASSERT_EQ(eks.size(), 2u);

  const auto dir = scratch() / "ek";
  std::filesystem::create_directories(dir);
  const std::string tcti = Tcti(instance);
  CommandResult startup = RunCommand("tpm2_startup -c -T " + tcti);
  CommandResult get = RunCommand("tpm2_getekcertificate -T " + tcti + " -o " + (dir / "rsa.der").string() + " -o " +
                                 (dir / "ecc.der").string());
  ASSERT_EQ(get.exit_code, 0) << startup.output << get.output;

  JsonReply issuers = Call(server(), "GET", "/v1/ca/certificates");
  std::string root, ek_authority;
  for (const auto& issuer : issuers.body.as_object().at("issuers").as_array()) {
    if (Field(issuer, "role") == "root") root = WriteTempFile(dir, "root.pem", Field(issuer, "certificate_pem"));
    if (Field(issuer, "role") == "ek-authority") {
      ek_authority = WriteTempFile(dir, "ek-authority.pem", Field(issuer, "certificate_pem"));
    }
  }
  for (const char* alg : {"rsa", "ecc"}) {
    const std::string der = (dir / (std::string(alg) + ".der")).string();
    const std::string pem = (dir / (std::string(alg) + ".pem")).string();
    ASSERT_EQ(RunCommand("openssl x509 -inform DER -in " + der + " -out " + pem).exit_code, 0);
    CommandResult verify = RunCommand("openssl verify -CAfile " + root + " -untrusted " + ek_authority + " " + pem);
    EXPECT_EQ(verify.exit_code, 0) << alg << ": " << verify.output;
    CommandResult text = RunCommand("openssl x509 -noout -text -in " + pem);
    EXPECT_NE(text.output.find("2.23.133.8.1"), std::string::npos) << text.output;  // EKU: EK certificate
    EXPECT_NE(text.output.find("2.23.133.2.1"), std::string::npos) << text.output;  // SAN: TPM manufacturer
    EXPECT_NE(text.output.find(kVm), std::string::npos) << "the certificate names the VM\n" << text.output;
  }

  // The public key tpm2_createek derives is the one vtpmd recorded.
  const std::string ek_pub = (dir / "ek.pub").string();
  CommandResult createek = RunCommand("tpm2_createek -T " + tcti + " -G rsa -c " + (dir / "ek.ctx").string() +
                                      " -u " + ek_pub);
  ASSERT_EQ(createek.exit_code, 0) << createek.output;
  auto public_bytes = ReadSmallFile(ek_pub, 1 << 16);
  ASSERT_TRUE(public_bytes.ok());
  EXPECT_EQ(Base64Encode(AsBytes(*public_bytes)), Field(eks[0], "public"));
}

TEST_F(InstanceTest, BadRequestsGetClearErrorsAndChangeNothing) {
  const std::string before = Call(server(), "GET", "/v1/instances", admin()).raw;
  EXPECT_EQ(Call(server(), "POST", "/v1/instances", admin(), R"({"vm_id":"not-a-uuid"})").status, 400u);
  EXPECT_EQ(Call(server(), "POST", "/v1/instances", admin(), R"({"label":"no vm"})").status, 400u);
  EXPECT_EQ(Call(server(), "POST", "/v1/instances", admin(),
                 R"({"vm_id":"11111111-2222-4333-8444-555555555555","ek_algorithms":["rsa1024"]})")
                .status,
            422u);
  EXPECT_EQ(Call(server(), "POST", "/v1/instances", admin(),
                 R"({"vm_id":"11111111-2222-4333-8444-555555555555","ek_algorithms":[]})")
                .status,
            400u);
  EXPECT_EQ(Call(server(), "GET", "/v1/instances/../../etc", admin()).status, 404u);
  EXPECT_EQ(Call(server(), "GET", "/v1/instances/zz", admin()).status, 400u);
  EXPECT_EQ(Call(server(), "GET", "/v1/instances/11111111-2222-4333-8444-555555555555", admin()).status, 404u);
  EXPECT_EQ(Call(server(), "DELETE", "/v1/instances/11111111-2222-4333-8444-555555555555", admin()).status, 404u);
  EXPECT_EQ(Call(server(), "GET", "/v1/instances").status, 401u);
  EXPECT_EQ(Call(server(), "GET", "/v1/instances", admin()).raw, before);
}

TEST_F(InstanceTest, OneVtpmPerVm) {
  const std::string vm = "22222222-3333-4444-8555-666666666666";
  const std::string id = CreateRunning(vm, R"(,"ek_algorithms":["ecc-nist-p256"])");
  ASSERT_FALSE(id.empty());
  JsonReply duplicate = Call(server(), "POST", "/v1/instances", admin(), "{\"vm_id\":\"" + vm + "\"}");
  EXPECT_EQ(duplicate.status, 409u) << duplicate.raw;
  EXPECT_NE(duplicate.raw.find(id), std::string::npos) << "the conflict names the existing instance";
}

TEST_F(InstanceTest, StopStartAndDelete) {
  const std::string id = CreateRunning("33333333-4444-4555-8666-777777777777", R"(,"ek_algorithms":["ecc-nist-p256"])");
  ASSERT_FALSE(id.empty());
  const std::string tcti = Tcti(WaitRunning(id));
  ASSERT_EQ(RunCommand("tpm2_startup -c -T " + tcti).exit_code, 0);
  ASSERT_EQ(RunCommand("tpm2_pcrextend -T " + tcti +
                       " 16:sha256=0000000000000000000000000000000000000000000000000000000000000001")
                .exit_code,
            0);

  JsonReply stopped = Call(server(), "POST", "/v1/instances/" + id + "/stop", admin());
  ASSERT_EQ(stopped.status, 200u) << stopped.raw;
  EXPECT_EQ(Field(stopped.body, "status"), "stopped");
  EXPECT_NE(RunCommand("timeout 10 tpm2_getrandom -T " + tcti + " 8").exit_code, 0) << "a stopped vTPM answers";

  JsonReply started = Call(server(), "POST", "/v1/instances/" + id + "/start", admin());
  ASSERT_EQ(started.status, 200u) << started.raw;
  EXPECT_EQ(Field(started.body, "status"), "running");
  // Like a power cycle: the restarted TPM waits for the guest's TPM2_Startup.
  EXPECT_NE(RunCommand("tpm2_getrandom -T " + tcti + " 8 --hex").exit_code, 0);
  EXPECT_EQ(RunCommand("tpm2_startup -c -T " + tcti).exit_code, 0);
  EXPECT_EQ(RunCommand("tpm2_getrandom -T " + tcti + " 8 --hex").exit_code, 0);

  EXPECT_EQ(Call(server(), "DELETE", "/v1/instances/" + id, admin()).status, 204u);
  EXPECT_EQ(Call(server(), "GET", "/v1/instances/" + id, admin()).status, 404u);
  EXPECT_FALSE(std::filesystem::exists(server().data_dir() / "instances" / id));
}

}  // namespace
}  // namespace vtpmd::testing

namespace vtpmd::testing {
namespace {

std::string Text(const boost::json::value& v, std::string_view key) {
  return std::string(v.as_object().at(key).as_string());
}

boost::json::value WaitForStatus(const VtpmdProcess& server, const std::string& token, const std::string& id,
                                 std::string_view wanted) {
  JsonReply reply;
  for (int i = 0; i < 600; ++i) {
    reply = Call(server, "GET", "/v1/instances/" + id, token);
    if (reply.status == 200 && Text(reply.body, "status") == wanted) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(Text(reply.body, "status"), wanted) << reply.raw;
  return reply.body;
}

// One guest boot: resume the saved TPM state (TPM2_Startup(STATE)), read the RSA EK
// certificate and PCR 10 that the test extended (PCRs 0-15 survive a resume; the
// debug PCR 16 would not), and save the state again on the way out
// (TPM2_Shutdown(STATE)), as an OS does around a reboot.
std::string GuestView(const std::string& tcti, const std::filesystem::path& dir) {
  CommandResult startup = RunCommand("tpm2_startup -T " + tcti);
  CommandResult cert = RunCommand("tpm2_getekcertificate -T " + tcti + " -o " + (dir / "ek.der").string());
  CommandResult pcr = RunCommand("tpm2_pcrread -T " + tcti + " sha256:10");
  CommandResult shutdown = RunCommand("tpm2_shutdown -T " + tcti);
  auto der = ReadSmallFile(dir / "ek.der", 1 << 16);
  return std::to_string(startup.exit_code) + std::to_string(cert.exit_code) + std::to_string(shutdown.exit_code) +
         (der.ok() ? HexEncode(AsBytes(*der)) : "") + pcr.output;
}

TEST(InstanceRestart, EverythingComesBackAfterRestartKill9AndSwtpmCrash) {
  const auto scratch = MakeTempDir("vtpmd-instances");
  const auto data = scratch / "data";
  std::string id, token, before;
  {
    auto server = VtpmdProcess::Start(data);
    ASSERT_TRUE(server.ok()) << server.error().message();
    token = (*server)->admin_token();
    JsonReply created = Call(**server, "POST", "/v1/instances", token,
                             R"({"vm_id":"44444444-5555-4666-8777-888888888888","ek_algorithms":["rsa2048"]})");
    ASSERT_EQ(created.status, 202u) << created.raw;
    id = Text(created.body, "id");
    const std::string tcti = Text(WaitForStatus(**server, token, id, "running").as_object().at("attach"), "tcti");
    ASSERT_EQ(RunCommand("tpm2_startup -c -T " + tcti).exit_code, 0);
    ASSERT_EQ(RunCommand("tpm2_pcrextend -T " + tcti +
                         " 10:sha256=00000000000000000000000000000000000000000000000000000000000000aa")
                  .exit_code,
              0);
    ASSERT_EQ(RunCommand("tpm2_shutdown -T " + tcti).exit_code, 0);  // save state, as before a reboot
    before = GuestView(tcti, scratch);
    ASSERT_EQ(before.substr(0, 3), "000") << before;
    // PCR 10 holds SHA-256(zeros || 0x..aa), not its reset value: the saved state was resumed.
    ASSERT_EQ(before.find("0x0000000000000000000000000000000000000000000000000000000000000000"),
              std::string::npos)
        << before;
    EXPECT_EQ((*server)->Stop(), 0);
  }
  for (int round = 0; round < 2; ++round) {
    auto server = VtpmdProcess::Start(data);
    ASSERT_TRUE(server.ok()) << server.error().message();
    const boost::json::value instance = WaitForStatus(**server, token, id, "running");
    const std::string tcti = Text(instance.as_object().at("attach"), "tcti");
    EXPECT_EQ(GuestView(tcti, scratch), before) << "round " << round;
    if (round == 0) {
      (*server)->Kill();  // kill -9: vtpmd's swtpm children die with it
    } else {
      // A crashing swtpm child is restarted by vtpmd with its state.
      // "[s]wtpm" keeps the pattern from matching the shell that runs pkill.
      ASSERT_EQ(RunCommand("pkill -9 -f '[s]wtpm socket.*" + id + "'").exit_code, 0);
      std::string after;
      for (int i = 0; i < 100 && after != before; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        after = GuestView(tcti, scratch);
      }
      EXPECT_EQ(after, before);
      JsonReply events = Call(**server, "GET", "/v1/events?subject=instances/" + id, token);
      EXPECT_NE(events.raw.find("instance.crashed"), std::string::npos) << events.raw;
      EXPECT_EQ((*server)->Stop(), 0);
    }
  }
  std::filesystem::remove_all(scratch);
}

}  // namespace
}  // namespace vtpmd::testing

namespace vtpmd::testing {
namespace {

class InstanceIsolationTest : public ServerSuite {};

std::string AsNobody(const std::string& command) {
  return "setpriv --reuid=65534 --regid=65534 --clear-groups " + command;
}

TEST_F(InstanceIsolationTest, OnlyTheBoundUidReachesAnInstanceAndNobodyReachesAnother) {
  auto create = [](const std::string& body) {
    JsonReply created = Call(server(), "POST", "/v1/instances", admin(), body);
    EXPECT_EQ(created.status, 202u) << created.raw;
    const std::string id = std::string(created.body.as_object().at("id").as_string());
    for (int i = 0; i < 600; ++i) {
      JsonReply reply = Call(server(), "GET", "/v1/instances/" + id, admin());
      if (reply.body.as_object().at("status").as_string() != "provisioning") return reply.body;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return boost::json::value();
  };
  const boost::json::value bound = create(
      R"({"vm_id":"66666666-7777-4888-8999-aaaaaaaaaaaa","ek_algorithms":["ecc-nist-p256"],"binding_uid":65534})");
  const boost::json::value other =
      create(R"({"vm_id":"77777777-8888-4999-8aaa-bbbbbbbbbbbb","ek_algorithms":["ecc-nist-p256"]})");
  ASSERT_EQ(bound.as_object().at("status").as_string(), "running");
  ASSERT_EQ(other.as_object().at("status").as_string(), "running");
  const std::string bound_tcti(bound.as_object().at("attach").as_object().at("tcti").as_string());
  const std::string other_tcti(other.as_object().at("attach").as_object().at("tcti").as_string());

  // The bound uid (nobody) uses its vTPM; root, a different uid, is refused by the relay.
  CommandResult own = RunCommand(AsNobody("tpm2_getrandom -T " + bound_tcti + " 8 --hex"));
  EXPECT_EQ(own.exit_code, 0) << own.output;
  EXPECT_NE(RunCommand("timeout 10 tpm2_getrandom -T " + bound_tcti + " 8").exit_code, 0);
  // The same uid cannot reach another instance's sockets, its state, or the list of instances.
  EXPECT_NE(RunCommand(AsNobody("timeout 10 tpm2_getrandom -T " + other_tcti + " 8")).exit_code, 0);
  const std::string other_id(other.as_object().at("id").as_string());
  const auto instances = server().data_dir() / "instances";
  EXPECT_NE(RunCommand(AsNobody("ls " + instances.string())).exit_code, 0);
  EXPECT_NE(RunCommand(AsNobody("ls " + (instances / other_id).string())).exit_code, 0);
  const std::string bound_id(bound.as_object().at("id").as_string());
  EXPECT_NE(RunCommand(AsNobody("ls " + (instances / bound_id / "state").string())).exit_code, 0);
}

}  // namespace
}  // namespace vtpmd::testing
