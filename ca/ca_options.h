#pragma once
// What an operator chooses about the CA hierarchy.

#include <string>
#include <vector>

#include "ca/key_algorithm.h"

namespace vtpmd::ca {

struct CaOptions {
  // Used only when the hierarchy is first created; a later change does not rotate keys
  // (existing certificates chain to the existing root, and rotating it would orphan every
  // certificate already issued). The host TLS identity is re-issued in the stored algorithm.
  KeyAlgorithm algorithm = KeyAlgorithm::kEcdsaP256;
  std::string organization = "vtpmd";
  std::string host_name;  // goes into subjects, to tell hosts' hierarchies apart
  std::vector<std::string> tls_dns_names = {"localhost"};
  std::vector<std::string> tls_ip_addresses = {"127.0.0.1", "::1"};
  // Adds the development TPM manufacturer that certifies the simulated platform TPM's EK.
  bool simulated_platform = true;
};

}  // namespace vtpmd::ca
