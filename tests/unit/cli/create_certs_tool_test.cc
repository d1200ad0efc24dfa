#include "server/cli/create_certs_tool.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <sstream>

namespace vtpmd::cli {
namespace {

constexpr char kVm[] = "5b1f8a44-0c1d-4c5e-9a7b-3d2e1f0a9b8c";

std::string Text(const boost::json::object& object, std::string_view key) {
  return std::string(object.at(key).as_string());
}

std::vector<std::string> Words(const std::string& line) {
  std::vector<std::string> words;
  std::istringstream in(line);
  for (std::string word; in >> word;) words.push_back(word);
  return words;
}

// The command line swtpm_setup 0.7 runs its create_certs_tool with, for the RSA EK.
std::vector<std::string> SwtpmSetupArguments(const std::string& ek) {
  return Words("--type ek --ek " + ek + " --dir /tmp/swtpm_setup.certs.4PO9Y3 --vmid " + kVm +
               " --logfile /var/log/swtpm.log --tpm-spec-family 2.0 --tpm-spec-level 0 --tpm-spec-revision 164"
               " --tpm-manufacturer id:00001014 --tpm-model swtpm --tpm-version id:20191023 --tpm2"
               " --configfile /etc/vtpm-create-certs.conf --optsfile /etc/swtpm-localca.options");
}

TEST(CertToolArguments, TakesSwtpmSetupsCommandLine) {
  const std::string modulus(512, 'c');
  auto args = ParseCertToolArguments(SwtpmSetupArguments(modulus));
  ASSERT_TRUE(args.ok()) << args.error().message();
  EXPECT_EQ(args->type, "ek");
  EXPECT_EQ(args->ek, modulus);
  EXPECT_EQ(args->dir, "/tmp/swtpm_setup.certs.4PO9Y3");
  EXPECT_EQ(args->vmid, kVm);
  EXPECT_EQ(args->tpm_manufacturer, "id:00001014");
  EXPECT_EQ(args->tpm_model, "swtpm");
  EXPECT_EQ(args->tpm_version, "id:20191023");
  EXPECT_EQ(args->configfile, "/etc/vtpm-create-certs.conf");
  EXPECT_EQ(args->logfile, "/var/log/swtpm.log");
  EXPECT_TRUE(args->tpm2);
  EXPECT_FALSE(args->allow_signing);

  auto body = EkCertificateRequestJson(*args);
  ASSERT_TRUE(body.ok()) << body.error().message();
  EXPECT_EQ(boost::json::serialize(*body),
            R"({"ek_public":{"algorithm":"rsa2048","modulus":")" + modulus + R"("},"vm_id":")" + kVm +
                R"(","manufacturer":"id:00001014","model":"swtpm","firmware_version":"id:20191023"})");
}

TEST(CertToolArguments, RefusesWhatItDoesNotKnow) {
  EXPECT_FALSE(ParseCertToolArguments({"--type", "ek", "--frobnicate", "1"}).ok());
  EXPECT_FALSE(ParseCertToolArguments({"ek"}).ok());
  EXPECT_FALSE(ParseCertToolArguments({"--type"}).ok());
  EXPECT_FALSE(ParseCertToolArguments({"--type", "ek", "--type", "platform"}).ok());
  EXPECT_FALSE(ParseCertToolArguments({"--tpm2=yes"}).ok());
  auto equals = ParseCertToolArguments({"--type=ek", "--allow-signing", "--decryption", "--url=https://h:1"});
  ASSERT_TRUE(equals.ok()) << equals.error().message();
  EXPECT_EQ(equals->type, "ek");
  EXPECT_TRUE(equals->allow_signing);
  EXPECT_EQ(equals->url, "https://h:1");
}

TEST(EkPublicJson, ConvertsSwtpmSetupsEccForm) {
  const std::string x(96, 'a'), y(96, 'b');
  auto p384 = EkPublicJson("x=" + x + ",y=" + y + ",id=secp384r1");
  ASSERT_TRUE(p384.ok()) << p384.error().message();
  EXPECT_EQ(Text(*p384, "algorithm"), "ecc-nist-p384");
  EXPECT_EQ(Text(*p384, "x"), x);
  EXPECT_EQ(Text(*p384, "y"), y);
  auto p256 = EkPublicJson("x=01,y=02");
  ASSERT_TRUE(p256.ok()) << p256.error().message();
  EXPECT_EQ(Text(*p256, "algorithm"), "ecc-nist-p256");
  for (const char* bad :
       {"x=01", "x=01,y=02,id=secp521r1", "x=01,y=zz", "x=01,y=02,z=03", "x=01,x=02,y=03", "c0ffe", "", "xyz"}) {
    EXPECT_FALSE(EkPublicJson(bad).ok()) << bad;
  }
}

TEST(EkPublicJson, NamesRsaKeysByTheirSize) {
  EXPECT_EQ(Text(*EkPublicJson(std::string(512, 'c')), "algorithm"), "rsa2048");
  EXPECT_EQ(Text(*EkPublicJson("00" + std::string(512, 'c')), "algorithm"), "rsa2048");
  EXPECT_EQ(Text(*EkPublicJson(std::string(768, 'c')), "algorithm"), "rsa3072");
  EXPECT_EQ(Text(*EkPublicJson(std::string(256, '7')), "algorithm"), "rsa1023");
}

TEST(VmUuidFromVmid, TakesAUuidOrLibvirtsNameColonUuid) {
  EXPECT_EQ(*VmUuidFromVmid("5B1F8A44-0C1D-4C5E-9A7B-3D2E1F0A9B8C"), kVm);
  EXPECT_EQ(*VmUuidFromVmid(std::string("web:1:") + kVm), kVm);
  EXPECT_FALSE(VmUuidFromVmid("web-1").ok());
  EXPECT_FALSE(VmUuidFromVmid(std::string(kVm) + ":web").ok());
}

TEST(CertToolConfig, ReadsKeyValueLines) {
  auto config = ParseCertToolConfig(
      "# vtpmd\n\nurl = https://vtpmd:8443\r\n  cacert=/etc/vtpmd/root-ca.pem\ntoken-file =  /etc/vtpmd/host.token  "
      "\n");
  ASSERT_TRUE(config.ok()) << config.error().message();
  EXPECT_EQ(config->url, "https://vtpmd:8443");
  EXPECT_EQ(config->cacert, "/etc/vtpmd/root-ca.pem");
  EXPECT_EQ(config->token_file, "/etc/vtpmd/host.token");
  EXPECT_TRUE(ParseCertToolConfig("").ok());
  for (const char* bad : {"url https://x", "token = abc", "url = a\nurl = b", "cacert =", "statedir = /var/lib"}) {
    EXPECT_FALSE(ParseCertToolConfig(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace vtpmd::cli
