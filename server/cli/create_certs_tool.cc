#include "server/cli/create_certs_tool.h"

#include <openssl/core_names.h>

#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <map>
#include <set>

#include "core/openssl.h"
#include "core/uuid.h"

namespace vtpmd::cli {
namespace {

// Options that take a value; swtpm_setup passes all but the last three.
constexpr std::array<std::string_view, 16> kValueOptions = {
    "type",
    "ek",
    "dir",
    "vmid",
    "logfile",
    "configfile",
    "optsfile",
    "tpm-spec-family",
    "tpm-spec-level",
    "tpm-spec-revision",
    "tpm-manufacturer",
    "tpm-model",
    "tpm-version",
    "url",
    "cacert",
    "token-file",
};
// --decryption accompanies --allow-signing and names the default otherwise.
constexpr std::array<std::string_view, 4> kSwitches = {"tpm2", "allow-signing", "decryption", "help"};

constexpr std::size_t kMaxConfigLines = 1000;

template <std::size_t N>
bool Contains(const std::array<std::string_view, N>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) text.remove_suffix(1);
  return text;
}

Result<std::string> HexPart(std::string_view text, std::string_view what) {
  auto bytes = HexDecode(text);
  if (!bytes.ok() || bytes->empty()) return InvalidArgument("--ek: " + std::string(what) + " is not hexadecimal");
  return std::string(text);
}

Result<boost::json::object> EccJson(std::string_view ek) {
  std::map<std::string, std::string, std::less<>> parts;
  while (!ek.empty()) {
    const std::string_view part = ek.substr(0, ek.find(','));
    ek.remove_prefix(std::min(ek.size(), part.size() + 1));
    const auto eq = part.find('=');
    if (eq == std::string_view::npos) return InvalidArgument("--ek: expected x=HEX,y=HEX[,id=CURVE]");
    const std::string key(part.substr(0, eq));
    if (key != "x" && key != "y" && key != "id") return InvalidArgument("--ek: unknown part '" + key + "'");
    if (!parts.emplace(key, std::string(part.substr(eq + 1))).second) {
      return InvalidArgument("--ek: '" + key + "' given twice");
    }
  }
  if (!parts.contains("x") || !parts.contains("y")) return InvalidArgument("--ek: expected x=HEX,y=HEX[,id=CURVE]");
  const std::string curve = parts.contains("id") ? parts["id"] : "secp256r1";
  std::string algorithm;
  if (curve == "secp256r1" || curve == "prime256v1") {
    algorithm = "ecc-nist-p256";
  } else if (curve == "secp384r1") {
    algorithm = "ecc-nist-p384";
  } else {
    return InvalidArgument("--ek: vtpmd certifies ECC EKs on secp256r1 and secp384r1, not " + curve);
  }
  VTPMD_ASSIGN_OR_RETURN(std::string x, HexPart(parts["x"], "x"));
  VTPMD_ASSIGN_OR_RETURN(std::string y, HexPart(parts["y"], "y"));
  return boost::json::object{{"algorithm", algorithm}, {"x", x}, {"y", y}};
}

Result<ossl::BignumPtr> BignumParam(EVP_PKEY* key, const char* name) {
  BIGNUM* value = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &value) != 1) return ossl::LastError("reading the certificate's key");
  return ossl::BignumPtr(value);
}

Result<bool> SameNumber(EVP_PKEY* key, const char* name, const boost::json::value& hex) {
  VTPMD_ASSIGN_OR_RETURN(ossl::BignumPtr actual, BignumParam(key, name));
  VTPMD_ASSIGN_OR_RETURN(Bytes expected_bytes, HexDecode(hex.as_string()));
  ossl::BignumPtr expected(BN_bin2bn(expected_bytes.data(), static_cast<int>(expected_bytes.size()), nullptr));
  if (!expected) return ossl::LastError("BN_bin2bn");
  return BN_cmp(actual.get(), expected.get()) == 0;
}

}  // namespace

Result<CertToolArguments> ParseCertToolArguments(const std::vector<std::string>& args) {
  CertToolArguments out;
  std::map<std::string, std::string, std::less<>> values;
  std::set<std::string, std::less<>> switches;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (!arg.starts_with("--")) return InvalidArgument("unexpected argument '" + std::string(arg) + "'");
    arg.remove_prefix(2);
    std::string name(arg.substr(0, arg.find('=')));
    if (Contains(kSwitches, name)) {
      if (name.size() != arg.size()) return InvalidArgument("--" + name + " takes no value");
      if (!switches.insert(name).second) return InvalidArgument("--" + name + " given twice");
      continue;
    }
    if (!Contains(kValueOptions, name)) return InvalidArgument("unknown option --" + name);
    std::string value;
    if (name.size() < arg.size()) {
      value = std::string(arg.substr(name.size() + 1));
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return InvalidArgument("--" + name + " needs a value");
    }
    if (!values.emplace(name, std::move(value)).second) return InvalidArgument("--" + name + " given twice");
  }
  auto take = [&values](std::string_view name) -> std::optional<std::string> {
    auto it = values.find(name);
    return it == values.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  out.help = switches.contains("help");
  out.tpm2 = switches.contains("tpm2");
  out.allow_signing = switches.contains("allow-signing");
  out.type = take("type").value_or("");
  out.ek = take("ek").value_or("");
  out.dir = take("dir").value_or("");
  out.vmid = take("vmid");
  out.tpm_manufacturer = take("tpm-manufacturer");
  out.tpm_model = take("tpm-model");
  out.tpm_version = take("tpm-version");
  out.configfile = take("configfile");
  out.logfile = take("logfile");
  out.url = take("url");
  out.cacert = take("cacert");
  out.token_file = take("token-file");
  return out;
}

Result<CertToolConfig> ParseCertToolConfig(std::string_view text) {
  CertToolConfig config;
  std::size_t line_number = 0;
  while (!text.empty()) {
    if (++line_number > kMaxConfigLines) return InvalidArgument("more than 1000 lines");
    const std::string_view raw = text.substr(0, text.find('\n'));
    text.remove_prefix(std::min(text.size(), raw.size() + 1));
    const std::string_view line = Trim(raw);
    if (line.empty() || line.front() == '#') continue;
    const std::string where = "line " + std::to_string(line_number);
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) return InvalidArgument(where + ": expected key = value");
    const std::string_view key = Trim(line.substr(0, eq));
    const std::string value(Trim(line.substr(eq + 1)));
    if (value.empty()) return InvalidArgument(where + ": " + std::string(key) + " has no value");
    std::optional<std::string>* slot = nullptr;
    if (key == "url") slot = &config.url;
    if (key == "cacert") slot = &config.cacert;
    if (key == "token-file") slot = &config.token_file;
    if (slot == nullptr) {
      return InvalidArgument(where + ": unknown setting '" + std::string(key) + "' (url, cacert, token-file)");
    }
    if (*slot) return InvalidArgument(where + ": " + std::string(key) + " set twice");
    *slot = value;
  }
  return config;
}

Result<boost::json::object> EkPublicJson(std::string_view ek) {
  if (ek.empty()) return InvalidArgument("--ek is missing");
  if (ek.find('=') != std::string_view::npos) return EccJson(ek);
  auto modulus = HexDecode(ek);
  if (!modulus.ok() || modulus->empty()) {
    return InvalidArgument("--ek: expected an RSA modulus in hex or x=HEX,y=HEX[,id=CURVE]");
  }
  // The TPM's default exponent: swtpm_setup does not pass it, and the server assumes it.
  return boost::json::object{{"algorithm", "rsa" + std::to_string(BitLength(*modulus))}, {"modulus", std::string(ek)}};
}

Result<std::string> VmUuidFromVmid(std::string_view vmid) {
  if (auto uuid = CanonicalUuid(vmid); uuid.ok()) return uuid;
  if (const auto colon = vmid.rfind(':'); colon != std::string_view::npos) {
    if (auto uuid = CanonicalUuid(vmid.substr(colon + 1)); uuid.ok()) return uuid;
  }
  return InvalidArgument("--vmid '" + std::string(vmid) +
                         "' is neither a UUID nor NAME:UUID; the EK certificate names the VM by its UUID");
}

Result<boost::json::object> EkCertificateRequestJson(const CertToolArguments& args) {
  VTPMD_ASSIGN_OR_RETURN(boost::json::object ek_public, EkPublicJson(args.ek));
  boost::json::object body{{"ek_public", std::move(ek_public)}};
  if (args.vmid) {
    VTPMD_ASSIGN_OR_RETURN(std::string vm_id, VmUuidFromVmid(*args.vmid));
    body["vm_id"] = vm_id;
  }
  if (args.tpm_manufacturer) body["manufacturer"] = *args.tpm_manufacturer;
  if (args.tpm_model) body["model"] = *args.tpm_model;
  if (args.tpm_version) body["firmware_version"] = *args.tpm_version;
  return body;
}

Status CheckCertificateKey(ByteView der, const boost::json::object& ek_public) {
  VTPMD_ASSIGN_OR_RETURN(ossl::X509Ptr certificate, ossl::ParseCertificateDer(der));
  EVP_PKEY* key = X509_get0_pubkey(certificate.get());
  if (key == nullptr) return InvalidArgument("the certificate has no usable public key");
  const std::string_view algorithm = ek_public.at("algorithm").as_string();
  bool same = false;
  if (algorithm.starts_with("rsa")) {
    if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) return InvalidArgument("the certificate's key is not RSA");
    VTPMD_ASSIGN_OR_RETURN(same, SameNumber(key, OSSL_PKEY_PARAM_RSA_N, ek_public.at("modulus")));
  } else {
    if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC) return InvalidArgument("the certificate's key is not ECC");
    VTPMD_ASSIGN_OR_RETURN(bool same_x, SameNumber(key, OSSL_PKEY_PARAM_EC_PUB_X, ek_public.at("x")));
    VTPMD_ASSIGN_OR_RETURN(bool same_y, SameNumber(key, OSSL_PKEY_PARAM_EC_PUB_Y, ek_public.at("y")));
    same = same_x && same_y;
  }
  if (!same) return InvalidArgument("the certificate certifies another key than the EK");
  return Ok();
}

}  // namespace vtpmd::cli
