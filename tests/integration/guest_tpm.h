#pragma once
// A vTPM's guest side in tpm2-tools, for the integration suites: start an
// instance, make an EK and an AIK in it, enroll the AIK with vtpmd's privacy CA.

#include <filesystem>
#include <string>

#include "tests/integration/test_server.h"

namespace vtpmd::testing {

std::string Field(const boost::json::value& v, std::string_view key);
std::string FileBase64(const std::filesystem::path& path);
void WriteBase64(const std::filesystem::path& path, const std::string& base64);

struct Guest {
  std::string instance_id;
  std::string tcti;
  std::filesystem::path dir;
  // Runs a tpm2-tools command against this guest's TPM; fails the test if it fails.
  std::string Run(const std::string& tool_and_args) const;
  std::string File(const char* name) const { return (dir / name).string(); }
};

// A running vTPM for `vm_id` whose guest has an EK (ek.ctx, ek.pub) and a fresh
// AIK (ak.ctx, ak.pub, ak.name) made with `ak_args` for tpm2_createak.
Guest StartGuestWithAik(const VtpmdProcess& server, const std::string& admin_token,
                        const std::filesystem::path& scratch, const std::string& vm_id, const std::string& ek_alg,
                        const std::string& ak_args, const std::string& method = "local-ca");

// TPM2_ActivateCredential in the guest; the EK needs PolicySecret(endorsement).
CommandResult ActivateCredential(const Guest& guest, const std::string& credential_file);

// The whole protocol: challenge, activation in the guest's TPM, the secret back.
// Returns the activation's reply; the challenge's is checked on the way.
JsonReply EnrollAik(const VtpmdProcess& server, const std::string& admin_token, const Guest& guest,
                    const std::string& challenge_body);

// The challenge body that names the instance and the guest's AIK.
std::string InstanceChallengeBody(const Guest& guest);

}  // namespace vtpmd::testing
