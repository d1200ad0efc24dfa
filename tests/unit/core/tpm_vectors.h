#pragma once
// The quotes recorded with swtpm + tpm2-tools under tests/data/tpm (see its README).

#include <array>
#include <string>

namespace vtpmd::tpm {

struct QuoteVector {
  std::string key;    // tpm/<key>.pub, .name, .pem
  std::string quote;  // tpm/<quote>.msg, .sig, .pcrs, .pcrvalues
  std::string nonce_hex;
  std::string hash;   // the quote's signing hash (tpm2_checkquote -g)
};

inline const std::array<QuoteVector, 4> kQuoteVectors = {{
    {"ak", "quote", "0011223344556677", "sha256"},           // RSA-2048, RSASSA, sha256:0,1,2
    {"akecc", "quote_ecc", "a5a5a5a5", "sha256"},            // P-256, ECDSA, sha1:0,1+sha256:0,1,2
    {"akpss", "quote_pss", "5a5a5a5a", "sha256"},            // RSA-2048, RSAPSS, sha256:0
    {"akp384", "quote_p384", "0102", "sha384"},              // P-384, ECDSA, sha384:0
}};

}  // namespace vtpmd::tpm
