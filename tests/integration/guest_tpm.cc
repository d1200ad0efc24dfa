#include "tests/integration/guest_tpm.h"

#include <chrono>
#include <thread>

#include "core/bytes.h"
#include "core/file_io.h"

namespace vtpmd::testing {

std::string Field(const boost::json::value& v, std::string_view key) {
  return std::string(v.as_object().at(key).as_string());
}

std::string FileBase64(const std::filesystem::path& path) {
  auto bytes = ReadSmallFile(path, 1 << 20);
  EXPECT_TRUE(bytes.ok()) << path;
  return bytes.ok() ? Base64Encode(AsBytes(*bytes)) : "";
}

void WriteBase64(const std::filesystem::path& path, const std::string& base64) {
  auto bytes = Base64Decode(base64);
  ASSERT_TRUE(bytes.ok());
  WriteTempFile(path.parent_path(), path.filename().string(), std::string(AsChars(*bytes)));
}

std::string Guest::Run(const std::string& tool_and_args) const {
  CommandResult result = RunCommand(tool_and_args + " -T " + tcti);
  EXPECT_EQ(result.exit_code, 0) << tool_and_args << "\n" << result.output;
  return result.output;
}

Guest StartGuestWithAik(const VtpmdProcess& server, const std::string& admin_token,
                        const std::filesystem::path& scratch, const std::string& vm_id, const std::string& ek_alg,
                        const std::string& ak_args, const std::string& method) {
  JsonReply created = Call(server, "POST", "/v1/instances", admin_token,
                           "{\"vm_id\":\"" + vm_id + "\",\"certification_method\":\"" + method + "\"}");
  EXPECT_EQ(created.status, 202u) << created.raw;
  Guest guest{Field(created.body, "id"), "", scratch / vm_id};
  std::filesystem::create_directories(guest.dir);
  JsonReply shown;
  for (int i = 0; i < 600; ++i) {
    shown = Call(server, "GET", "/v1/instances/" + guest.instance_id, admin_token);
    if (Field(shown.body, "status") == "running") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  guest.tcti = Field(shown.body.as_object().at("attach"), "tcti");
  guest.Run("tpm2_startup -c");
  guest.Run("tpm2_createek -G " + ek_alg + " -c " + guest.File("ek.ctx") + " -u " + guest.File("ek.pub"));
  guest.Run("tpm2_createak -C " + guest.File("ek.ctx") + " -c " + guest.File("ak.ctx") + " " + ak_args + " -u " +
            guest.File("ak.pub") + " -n " + guest.File("ak.name"));
  // Without a resource manager the tools leave their transient objects loaded,
  // and a TPM has only a few slots.
  guest.Run("tpm2_flushcontext -t");
  return guest;
}

CommandResult ActivateCredential(const Guest& guest, const std::string& credential_file) {
  const std::string session = guest.File("session.ctx");
  guest.Run("tpm2_startauthsession --policy-session -S " + session);
  guest.Run("tpm2_policysecret -S " + session + " -c e");
  CommandResult activated = RunCommand("tpm2_activatecredential -T " + guest.tcti + " -c " + guest.File("ak.ctx") +
                                       " -C " + guest.File("ek.ctx") + " -i " + credential_file + " -o " +
                                       guest.File("secret.bin") + " -P session:" + session);
  guest.Run("tpm2_flushcontext " + session);
  guest.Run("tpm2_flushcontext -t");
  return activated;
}

JsonReply EnrollAik(const VtpmdProcess& server, const std::string& admin_token, const Guest& guest,
                    const std::string& challenge_body) {
  JsonReply challenge = Call(server, "POST", "/v1/aik/challenges", admin_token, challenge_body);
  EXPECT_EQ(challenge.status, 201u) << challenge.raw;
  if (challenge.status != 201u) return challenge;
  WriteBase64(guest.File("credential.bin"), Field(challenge.body, "credential_file"));
  CommandResult activated = ActivateCredential(guest, guest.File("credential.bin"));
  EXPECT_EQ(activated.exit_code, 0) << activated.output;
  return Call(server, "POST", "/v1/aik/challenges/" + Field(challenge.body, "id") + "/activation", admin_token,
              "{\"secret\":\"" + FileBase64(guest.File("secret.bin")) + "\"}");
}

std::string InstanceChallengeBody(const Guest& guest) {
  return "{\"instance_id\":\"" + guest.instance_id + "\",\"aik_public\":\"" + FileBase64(guest.File("ak.pub")) + "\"}";
}

}  // namespace vtpmd::testing
