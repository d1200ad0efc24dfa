// Hosts that manufacture vTPMs the standard way: swtpm_setup with vtpm-create-certs
// as its create_certs_tool gets EK certificates from vtpmd's EK authority, which the
// TPM then holds in NV where tpm2-tools find them and `openssl verify` accepts them
// against our root. Also POST /v1/ek-certificates' refusals, end to end.

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <utility>

#include "core/file_io.h"
#include "tests/integration/test_server.h"

namespace vtpmd::testing {
namespace {

namespace fs = std::filesystem;

constexpr char kVm[] = "3f6c2a1e-8b4d-4e7f-9a0c-5d1e2f3a4b5c";
constexpr char kP384EkCertIndex[] = "0x1c00016";  // where swtpm_setup puts its ECC P-384 EK's certificate
constexpr char kRsaEkHandle[] = "0x81010001";
constexpr char kP384EkHandle[] = "0x81010016";

std::string Field(const boost::json::value& v, std::string_view key) {
  return std::string(v.as_object().at(key).as_string());
}

std::string Quote(const std::string& arg) {
  std::string out = "'";
  for (char c : arg) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// An swtpm serving a TPM state directory on a Unix socket, killed when it goes away
// whatever the test's outcome.
class Swtpm {
 public:
  Swtpm(const fs::path& state, const fs::path& socket) : socket_(socket) {
    const std::string dir = "dir=" + state.string();
    const std::string server = "type=unixio,path=" + socket.string();
    const std::string ctrl = "type=unixio,path=" + socket.string() + ".ctrl";
    const std::string log = "file=" + (state.parent_path() / "swtpm.log").string();
    pid_ = ::fork();
    if (pid_ == 0) {
      ::execlp("swtpm", "swtpm", "socket", "--tpm2", "--tpmstate", dir.c_str(), "--server", server.c_str(), "--ctrl",
               ctrl.c_str(), "--flags", "startup-clear", "--log", log.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    for (int i = 0; i < 100 && pid_ > 0 && !fs::exists(socket); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  ~Swtpm() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
  Swtpm(const Swtpm&) = delete;
  Swtpm& operator=(const Swtpm&) = delete;

  bool serving() const { return pid_ > 0 && fs::exists(socket_); }
  std::string tcti() const { return "swtpm:path=" + socket_.string(); }

 private:
  fs::path socket_;
  pid_t pid_ = -1;
};

class EkCertificateToolTest : public ServerSuite {
 protected:
  static std::string NewToken(const std::string& role) {
    JsonReply created = Call(server(), "POST", "/v1/tokens", admin(), "{\"role\":\"" + role + "\"}");
    EXPECT_EQ(created.status, 201u) << created.raw;
    return created.status == 201u ? Field(created.body, "token") : "";
  }

  // swtpm_setup.conf naming our tool, and the tool's own config pointing at the test
  // server with `token`.
  static std::string SetupConfig(const fs::path& dir, const std::string& token) {
    fs::create_directories(dir);
    const std::string token_file = WriteTempFile(dir, "host.token", token + "\n");
    const std::string tool_config = WriteTempFile(dir, "vtpm-create-certs.conf",
                                                  "# vtpmd that certifies our EKs\n"
                                                  "url = " +
                                                      server().url() +
                                                      "\n"
                                                      "cacert = " +
                                                      server().root_ca_file().string() +
                                                      "\n"
                                                      "token-file = " +
                                                      token_file + "\n");
    return WriteTempFile(dir, "swtpm_setup.conf",
                         "create_certs_tool = " + std::string(VTPM_CREATE_CERTS_BINARY) +
                             "\n"
                             "create_certs_tool_config = " +
                             tool_config +
                             "\n"
                             "active_pcr_banks = sha256\n");
  }

  static CommandResult SwtpmSetup(const fs::path& state, const std::string& config) {
    fs::create_directories(state);
    return RunCommand("timeout 120 swtpm_setup --tpm2 --tpmstate " + state.string() +
                      " --createek --create-ek-cert --overwrite --display --config " + config + " --vmid " + kVm);
  }

  static std::string IssuerPem(const fs::path& dir, const std::string& role) {
    JsonReply issuers = Call(server(), "GET", "/v1/ca/certificates");
    for (const auto& issuer : issuers.body.as_object().at("issuers").as_array()) {
      if (Field(issuer, "role") == role) return WriteTempFile(dir, role + ".pem", Field(issuer, "certificate_pem"));
    }
    ADD_FAILURE() << "no issuer " << role;
    return "";
  }

  static std::string ReadText(const fs::path& path) {
    auto text = ReadSmallFile(path, 1 << 20);
    return text.ok() ? *text : "";
  }

  // The serial openssl prints: upper-case hex byte by byte, as the certificates API
  // writes it.
  static std::string Serial(const std::string& pem) {
    std::string out = RunCommand("openssl x509 -noout -serial -in " + pem).output;
    out = out.substr(out.find('=') + 1);
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    return out;
  }

  static std::size_t CertificateCount() {
    JsonReply listed = Call(server(), "GET", "/v1/certificates?limit=1000", admin());
    return listed.body.as_object().at("certificates").as_array().size();
  }
};

TEST_F(EkCertificateToolTest, SwtpmSetupWritesEkCertificatesThatOpensslVerifiesAgainstOurRoot) {
  const fs::path dir = scratch() / "swtpm-setup";
  const std::string config = SetupConfig(dir, NewToken("host"));
  CommandResult setup = SwtpmSetup(dir / "state", config);
  ASSERT_EQ(setup.exit_code, 0) << setup.output;
  EXPECT_NE(setup.output.find("vtpm-create-certs: EK certificate"), std::string::npos) << setup.output;

  Swtpm swtpm(dir / "state", dir / "tpm.sock");
  ASSERT_TRUE(swtpm.serving()) << ReadText(dir / "swtpm.log");
  CommandResult get =
      RunCommand("timeout 60 tpm2_getekcertificate -T " + swtpm.tcti() + " -o " + (dir / "rsa.der").string());
  ASSERT_EQ(get.exit_code, 0) << get.output;
  CommandResult nvread = RunCommand("timeout 60 tpm2_nvread -T " + swtpm.tcti() + " " + kP384EkCertIndex + " -o " +
                                    (dir / "p384.der").string());
  ASSERT_EQ(nvread.exit_code, 0) << nvread.output;

  const std::string root = IssuerPem(dir, "root");
  const std::string ek_authority = IssuerPem(dir, "ek-authority");
  JsonReply valid = Call(server(), "GET", "/v1/certificates?status=valid&limit=1000", admin());
  ASSERT_EQ(valid.status, 200u) << valid.raw;
  const auto& listed = valid.body.as_object().at("certificates").as_array();

  // The RSA EK tpm2_createek derives from the default template, and swtpm_setup's
  // persistent P-384 EK: each is the key of its certificate.
  const std::string rsa_ek = (dir / "rsa-ek.pem").string();
  CommandResult createek = RunCommand("timeout 60 tpm2_createek -T " + swtpm.tcti() + " -G rsa -c " +
                                      (dir / "ek.ctx").string() + " -f pem -u " + rsa_ek);
  ASSERT_EQ(createek.exit_code, 0) << createek.output;
  const std::string p384_ek = (dir / "p384-ek.pem").string();
  CommandResult readpublic =
      RunCommand("timeout 60 tpm2_readpublic -T " + swtpm.tcti() + " -c " + kP384EkHandle + " -f pem -o " + p384_ek);
  ASSERT_EQ(readpublic.exit_code, 0) << readpublic.output;
  CommandResult persistent = RunCommand("timeout 60 tpm2_readpublic -T " + swtpm.tcti() + " -c " + kRsaEkHandle);
  EXPECT_EQ(persistent.exit_code, 0) << persistent.output;

  for (const auto& [name, ek_pem] : {std::pair{"rsa", rsa_ek}, std::pair{"p384", p384_ek}}) {
    SCOPED_TRACE(name);
    const std::string der = (dir / (std::string(name) + ".der")).string();
    const std::string pem = (dir / (std::string(name) + ".pem")).string();
    ASSERT_EQ(RunCommand("openssl x509 -inform DER -in " + der + " -out " + pem).exit_code, 0);
    CommandResult verify = RunCommand("openssl verify -CAfile " + root + " -untrusted " + ek_authority + " " + pem);
    EXPECT_EQ(verify.exit_code, 0) << verify.output;

    CommandResult text = RunCommand("openssl x509 -noout -text -in " + pem);
    EXPECT_NE(text.output.find("2.23.133.8.1"), std::string::npos) << text.output;  // EKU: EK certificate
    EXPECT_NE(text.output.find("id:00001014"), std::string::npos) << "swtpm_setup's manufacturer\n" << text.output;
    EXPECT_NE(text.output.find(kVm), std::string::npos) << "the certificate names the VM\n" << text.output;

    const std::string certified = RunCommand("openssl x509 -noout -pubkey -in " + pem).output;
    EXPECT_FALSE(certified.empty());
    EXPECT_EQ(certified, ReadText(ek_pem)) << "the certificate certifies the TPM's EK";

    const std::string serial = Serial(pem);
    const auto found = std::find_if(listed.begin(), listed.end(),
                                    [&](const boost::json::value& c) { return Field(c, "serial") == serial; });
    ASSERT_NE(found, listed.end()) << serial << " not among the valid certificates\n" << valid.raw;
    EXPECT_EQ(Field(*found, "kind"), "ek");
    EXPECT_EQ(Field(*found, "issuer"), "ek-authority");
    EXPECT_NE(Field(*found, "subject").find(kVm), std::string::npos);
    JsonReply events = Call(server(), "GET", "/v1/events?subject=certificates/" + serial, admin());
    ASSERT_EQ(events.body.as_object().at("events").as_array().size(), 1u) << events.raw;
    EXPECT_EQ(Field(events.body.as_object().at("events").as_array()[0], "type"), "certificate.issued");
  }
}

TEST_F(EkCertificateToolTest, AWrongTokenFailsWithAClearMessageAndWritesNothing) {
  const fs::path dir = scratch() / "wrong-token";
  const std::string config = SetupConfig(dir, "not-a-token");
  const std::size_t before = CertificateCount();

  // The tool alone, as swtpm_setup runs it.
  const fs::path out = dir / "out";
  fs::create_directories(out);
  const std::string tool = std::string(VTPM_CREATE_CERTS_BINARY) + " --type ek --dir " + out.string() +
                           " --tpm2 --configfile " + (dir / "vtpm-create-certs.conf").string();
  const std::string modulus(512, 'c');
  CommandResult denied = RunCommand(tool + " --ek " + modulus + " --vmid " + kVm);
  EXPECT_EQ(denied.exit_code, 4) << denied.output;
  EXPECT_NE(denied.output.find("vtpm-create-certs: vtpmd at " + server().url() + " did not certify the EK: HTTP 401"),
            std::string::npos)
      << denied.output;
  EXPECT_TRUE(fs::is_empty(out)) << "nothing written";

  // Through swtpm_setup, which fails and shows the tool's message.
  CommandResult setup = SwtpmSetup(dir / "state", config);
  EXPECT_NE(setup.exit_code, 0) << setup.output;
  EXPECT_NE(setup.output.find("HTTP 401"), std::string::npos) << setup.output;
  EXPECT_EQ(CertificateCount(), before);

  // What vtpmd does not issue, and what the tool does not understand.
  const std::string good = SetupConfig(dir / "good", NewToken("host"));
  const std::string tool_good = std::string(VTPM_CREATE_CERTS_BINARY) + " --dir " + out.string() +
                                " --tpm2 --configfile " + (dir / "good" / "vtpm-create-certs.conf").string();
  CommandResult platform = RunCommand(tool_good + " --type platform --ek " + modulus);
  EXPECT_NE(platform.exit_code, 0);
  EXPECT_NE(platform.output.find("no platform certificates"), std::string::npos) << platform.output;
  CommandResult other = RunCommand(tool_good + " --type aik --ek " + modulus);
  EXPECT_EQ(other.exit_code, 2) << other.output;
  EXPECT_NE(other.output.find("--type must be ek"), std::string::npos) << other.output;
  CommandResult signing = RunCommand(tool_good + " --type ek --allow-signing --ek " + modulus);
  EXPECT_EQ(signing.exit_code, 2) << signing.output;
  CommandResult weak = RunCommand(tool_good + " --type ek --ek " + std::string(256, 'c'));
  EXPECT_EQ(weak.exit_code, 1) << weak.output;
  EXPECT_NE(weak.output.find("422"), std::string::npos) << weak.output;
  CommandResult vmid = RunCommand(tool_good + " --type ek --ek " + modulus + " --vmid " + Quote("my vm"));
  EXPECT_EQ(vmid.exit_code, 2) << vmid.output;
  EXPECT_TRUE(fs::is_empty(out)) << "nothing written";
  EXPECT_EQ(CertificateCount(), before);
}

TEST_F(EkCertificateToolTest, TheEndpointRefusesWeakKeysAndGarbage) {
  const fs::path dir = scratch() / "endpoint";
  fs::create_directories(dir);
  const std::size_t before = CertificateCount();
  auto modulus_of = [&](int bits) {
    const std::string key = (dir / ("rsa" + std::to_string(bits) + ".pem")).string();
    EXPECT_EQ(RunCommand("openssl genrsa -out " + key + " " + std::to_string(bits)).exit_code, 0);
    std::string out = RunCommand("openssl rsa -noout -modulus -in " + key).output;
    out = out.substr(out.find('=') + 1);
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
  };
  const std::string rsa1024 = modulus_of(1024);
  const std::string rsa2048 = modulus_of(2048);
  auto body = [](const std::string& ek_public) { return "{\"ek_public\":" + ek_public + "}"; };
  auto rsa = [](const std::string& modulus) {
    return "{\"algorithm\":\"rsa2048\",\"modulus\":\"" + modulus + "\",\"exponent\":65537}";
  };

  JsonReply weak = Call(server(), "POST", "/v1/ek-certificates", admin(), body(rsa(rsa1024)));
  EXPECT_EQ(weak.status, 422u) << weak.raw;
  EXPECT_EQ(weak.content_type, "application/problem+json");
  EXPECT_NE(Field(weak.body, "detail").find("2048-bit modulus"), std::string::npos) << weak.raw;

  EXPECT_EQ(Call(server(), "POST", "/v1/ek-certificates", admin(), "\x01garbage{").status, 400u);
  EXPECT_EQ(Call(server(), "POST", "/v1/ek-certificates", admin(), "{}").status, 400u);
  EXPECT_EQ(Call(server(), "POST", "/v1/ek-certificates", admin(), body("\"" + rsa2048 + "\"")).status, 400u);
  EXPECT_EQ(Call(server(), "POST", "/v1/ek-certificates", admin(), body(rsa("zz" + rsa2048.substr(2)))).status, 400u);
  EXPECT_EQ(
      Call(server(), "POST", "/v1/ek-certificates", admin(), "{\"ek_public\":" + rsa(rsa2048) + ",\"colour\":\"red\"}")
          .status,
      400u);
  EXPECT_EQ(
      Call(server(), "POST", "/v1/ek-certificates", admin(), "{\"ek_public\":" + rsa(rsa2048) + ",\"vm_id\":\"vm-1\"}")
          .status,
      400u);
  EXPECT_EQ(Call(server(), "POST", "/v1/ek-certificates", admin(),
                 body(R"({"algorithm":"rsa2048","modulus":")" + rsa2048 + R"(","exponent":3})"))
                .status,
            422u);
  // (1, 1) is not on P-256.
  EXPECT_EQ(
      Call(server(), "POST", "/v1/ek-certificates", admin(), body(R"({"algorithm":"ecc-nist-p256","x":"01","y":"01"})"))
          .status,
      422u);
  EXPECT_EQ(
      Call(server(), "POST", "/v1/ek-certificates", admin(), body(R"({"algorithm":"rsa1024","modulus":"c0"})")).status,
      422u);
  EXPECT_EQ(Call(server(), "POST", "/v1/ek-certificates", admin(), body(rsa(rsa2048)), "text/plain").status, 415u);
  EXPECT_EQ(Call(server(), "POST", "/v1/ek-certificates", "", body(rsa(rsa2048))).status, 401u);
  EXPECT_EQ(Call(server(), "POST", "/v1/ek-certificates", NewToken("challenger"), body(rsa(rsa2048))).status, 403u);
  EXPECT_EQ(CertificateCount(), before) << "refused requests issue nothing";

  // A sound key is certified, for an admin as for a host.
  JsonReply issued = Call(server(), "POST", "/v1/ek-certificates", admin(),
                          "{\"ek_public\":" + rsa(rsa2048) + ",\"model\":\"test TPM\"}");
  ASSERT_EQ(issued.status, 201u) << issued.raw;
  const std::string pem = WriteTempFile(dir, "issued.pem", Field(issued.body, "certificate_pem"));
  EXPECT_EQ(Serial(pem), Field(issued.body, "serial"));
  CommandResult verify = RunCommand("openssl verify -CAfile " + IssuerPem(dir, "root") + " -untrusted " +
                                    IssuerPem(dir, "ek-authority") + " " + pem);
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
  EXPECT_EQ(CertificateCount(), before + 1);

  JsonReply openapi = Call(server(), "GET", "/v1/openapi.json");
  EXPECT_TRUE(openapi.body.as_object().at("paths").as_object().contains("/v1/ek-certificates"));
}

}  // namespace
}  // namespace vtpmd::testing
