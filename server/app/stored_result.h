#pragma once
// An attestation result as it is stored. A result quotes certificate chains in
// full: the AIK's with the evidence and the platform AIK's with the deep quote.
// The platform's is the same in every result and an AIK's in all of its results,
// about 4.5 KB of a 10.7 KB result. So the stored document refers to each chain
// by the SHA-256 of its PEM, as {"sha256": hex}, and the store keeps every
// distinct chain once (attestation_chains). Results stored before that keep their
// chains inline and read back unchanged, as do chains that did not verify.

#include <boost/json/fwd.hpp>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/result.h"

namespace vtpmd::app {

struct StoredChain {
  Bytes sha256;  // of `pem`
  std::string pem;
};

struct SerializedResult {
  std::string full_json;            // what a challenger receives
  std::string stored_json;          // the same with its chains referred to
  std::vector<StoredChain> chains;  // the chains stored_json refers to
};

// Only chains that verified are referred to, since every stored chain stays: the
// platform AIK's always, the evidence's when `evidence_chain_verified`. A chain
// that did not verify could be anything a client sent; it stays inline in its
// result and is deleted with it.
Result<SerializedResult> SerializeResult(boost::json::object result, bool evidence_chain_verified);

// The chain whose PEM has this digest.
using ChainLookup = std::function<Result<std::string>(ByteView sha256)>;

// The document a challenger received, from its stored form.
Result<std::string> ExpandStoredResult(std::string_view stored_json, const ChainLookup& chain_pem);

}  // namespace vtpmd::app
