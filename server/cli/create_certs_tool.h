#pragma once
// vtpm-create-certs: swtpm_setup's certificate tool (create_certs_tool in
// swtpm_setup.conf, the interface swtpm_localca(8) implements) backed by vtpmd's EK
// authority. swtpm_setup runs it once per EK it creates:
//
//   --type ek --ek <RSA modulus in hex | x=HEX,y=HEX[,id=CURVE]> --dir DIR
//   [--vmid ID] [--logfile FILE] --tpm-spec-family 2.0 --tpm-spec-level 0
//   --tpm-spec-revision 164 --tpm-manufacturer id:00001014 --tpm-model swtpm
//   --tpm-version id:20191023 --tpm2 [--configfile FILE] [--optsfile FILE]
//
// and writes DIR/ek.cert (DER) into the TPM's NV. These are the pieces of the tool
// that need no server, kept apart from main() for tests.

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/result.h"

namespace vtpmd::cli {

struct CertToolArguments {
  std::string type;  // --type: "ek" (or "platform", which vtpmd does not issue)
  std::string ek;    // --ek, as swtpm_setup formats it
  std::string dir;   // --dir: where ek.cert goes
  std::optional<std::string> vmid;
  std::optional<std::string> tpm_manufacturer;  // "id:XXXXXXXX"
  std::optional<std::string> tpm_model;
  std::optional<std::string> tpm_version;  // "id:XXXXXXXX"
  std::optional<std::string> configfile;
  std::optional<std::string> logfile;  // swtpm_setup's: it keeps the tool's output there itself
  bool tpm2 = false;
  bool allow_signing = false;  // a non-standard signing EK: refused
  bool help = false;
  // vtpmctl's connection options, for running the tool by hand.
  std::optional<std::string> url;
  std::optional<std::string> cacert;
  std::optional<std::string> token_file;
};

// `args` without the program name. Options swtpm_setup passes that the tool does not
// need are accepted and ignored; unknown options are refused.
Result<CertToolArguments> ParseCertToolArguments(const std::vector<std::string>& args);

// The settings file --configfile names: "key = value" lines, '#' comments, blank
// lines. Keys are vtpmctl's option names: url, cacert, token-file.
struct CertToolConfig {
  std::optional<std::string> url;
  std::optional<std::string> cacert;
  std::optional<std::string> token_file;
};
Result<CertToolConfig> ParseCertToolConfig(std::string_view text);

// --ek in the neutral form of POST /v1/ek-certificates: {"algorithm":"rsa2048",
// "modulus":HEX} for an RSA modulus, {"algorithm":"ecc-nist-p256"|"ecc-nist-p384",
// "x":HEX,"y":HEX} for "x=HEX,y=HEX[,id=secp256r1|secp384r1]" (no id: secp256r1).
// An RSA modulus of another size is named "rsa<bits>", which the server refuses.
Result<boost::json::object> EkPublicJson(std::string_view ek);

// --vmid: a UUID, or libvirt's "NAME:UUID"; the UUID, canonical.
Result<std::string> VmUuidFromVmid(std::string_view vmid);

// The body of POST /v1/ek-certificates for this invocation (type ek, TPM 2.0).
Result<boost::json::object> EkCertificateRequestJson(const CertToolArguments& args);

// Whether the certificate (DER) certifies the key `ek_public` (as EkPublicJson makes it).
Status CheckCertificateKey(ByteView der, const boost::json::object& ek_public);

}  // namespace vtpmd::cli
