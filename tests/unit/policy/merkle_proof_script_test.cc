// scripts/verify_merkle_proof.py, the independent checker a relying party runs,
// against proofs made by the C++ tree: it accepts the good ones (in every JSON
// shape it documents) and refuses the tampered ones.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "policy/deep_quote_binding.h"
#include "policy/merkle_tree.h"
#include "tests/support/run_command.h"

namespace vtpmd::policy {
namespace {

class MerkleProofScriptTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "vtpmd-merkle.XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  // The script's exit status for `document` (read from a file), with its output in `output`.
  int Run(const boost::json::value& document, const std::string& flags = "", std::string* output = nullptr) {
    const std::filesystem::path input = dir_ / ("input" + std::to_string(runs_++) + ".json");
    std::ofstream(input) << boost::json::serialize(document);
    return testing::RunCommand(
        std::string(PYTHON3) + " " + VERIFY_MERKLE_PROOF_SCRIPT + " " + flags + " " + input.string(), output);
  }

  std::filesystem::path dir_;
  int runs_ = 0;
};

struct Batch {
  std::vector<Bytes> leaves;
  MerkleTree tree;
};

Batch MakeBatch(std::vector<Bytes> leaves) {
  std::vector<Bytes> hashes;
  for (const Bytes& leaf : leaves) hashes.push_back(MerkleLeafHash(leaf));
  auto tree = MerkleTree::FromLeafHashes(std::move(hashes));
  EXPECT_TRUE(tree.ok());
  return {std::move(leaves), std::move(tree).value()};
}

std::vector<Bytes> SyntheticLeaves(std::size_t n) {
  std::vector<Bytes> leaves;
  for (std::size_t i = 0; i < n; ++i) leaves.push_back(Bytes(32, static_cast<std::uint8_t>(i * 37 + 1)));
  return leaves;
}

boost::json::array HexArray(const std::vector<Bytes>& items) {
  boost::json::array out;
  for (const Bytes& item : items) out.emplace_back(HexEncode(item));
  return out;
}

// The flat shape: {"leaf", "leaf_index", "tree_size", "path", "root"}.
boost::json::object FlatProof(const Batch& batch, std::size_t index) {
  auto path = batch.tree.InclusionPath(index);
  EXPECT_TRUE(path.ok());
  return {{"leaf", HexEncode(batch.leaves[index])},
          {"leaf_index", index},
          {"tree_size", batch.tree.size()},
          {"path", HexArray(*path)},
          {"root", HexEncode(batch.tree.root())}};
}

// vtpmd's answer shape: {"deep_quote": {"leaf", "root", "inclusion_proof": {...}}}.
boost::json::object NestedProof(const Batch& batch, std::size_t index) {
  boost::json::object flat = FlatProof(batch, index);
  boost::json::object proof = {{"leaf_index", flat["leaf_index"]},
                               {"tree_size", flat["tree_size"]},
                               {"path", flat["path"]}};
  return {{"deep_quote", boost::json::object{{"leaf", flat["leaf"]}, {"root", flat["root"]}, {"inclusion_proof", proof}}}};
}

// Each run starts a Python interpreter, so the proofs are a sample: the first, a
// middle and the last leaf of trees of a few shapes.
TEST_F(MerkleProofScriptTest, AcceptsGoodProofs) {
  for (std::size_t n : {1U, 2U, 7U, 13U}) {
    const Batch batch = MakeBatch(SyntheticLeaves(n));
    for (std::size_t i : std::set<std::size_t>{0, n / 2, n - 1}) {
      std::string output;
      EXPECT_EQ(Run(FlatProof(batch, i), "", &output), 0) << i << " of " << n << ": " << output;
    }
  }
  const Batch batch = MakeBatch(SyntheticLeaves(70));
  for (std::size_t i : {31U, 69U}) {
    std::string output;
    EXPECT_EQ(Run(NestedProof(batch, i), "", &output), 0) << i << ": " << output;
  }
  // The fields nested under "inclusion_proof" at the top level, from stdin.
  boost::json::object nested = NestedProof(batch, 5)["deep_quote"].as_object();
  const std::filesystem::path input = dir_ / "stdin.json";
  std::ofstream(input) << boost::json::serialize(nested);
  const std::string command = std::string(PYTHON3) + " " + VERIFY_MERKLE_PROOF_SCRIPT + " < " + input.string() + " > /dev/null";
  const int status = std::system(command.c_str());
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST_F(MerkleProofScriptTest, RefusesTamperedProofs) {
  const Batch batch = MakeBatch(SyntheticLeaves(11));
  const std::size_t index = 6;
  const boost::json::object good = FlatProof(batch, index);
  ASSERT_EQ(Run(good), 0);

  std::vector<std::pair<std::string, boost::json::object>> tampered;
  for (std::size_t e : {std::size_t{0}, good.at("path").as_array().size() - 1}) {
    boost::json::object proof = good;
    std::string element(proof["path"].as_array()[e].as_string());
    element[10] = element[10] == '0' ? '1' : '0';
    proof["path"].as_array()[e] = element;
    tampered.emplace_back("path element " + std::to_string(e) + " changed", proof);
  }
  {
    boost::json::object proof = good;
    proof["leaf_index"] = index + 1;
    tampered.emplace_back("wrong index", proof);
    proof["leaf_index"] = 11;
    tampered.emplace_back("index past the end", proof);
  }
  // Tree sizes that move leaf 6 elsewhere in the tree (sizes 9 to 16 would not:
  // an inclusion proof does not authenticate the tree size, only the leaf's place).
  for (int size : {8, 17}) {
    boost::json::object proof = good;
    proof["tree_size"] = size;
    tampered.emplace_back("tree size " + std::to_string(size), proof);
  }
  {
    boost::json::object proof = good;
    proof["path"].as_array().pop_back();
    tampered.emplace_back("truncated path", proof);
  }
  {
    boost::json::object proof = good;
    proof["path"].as_array().emplace_back(HexEncode(batch.tree.root()));
    tampered.emplace_back("extended path", proof);
  }
  {
    boost::json::object proof = good;
    proof["leaf"] = HexEncode(batch.leaves[index + 1]);
    tampered.emplace_back("another leaf", proof);
  }
  {
    boost::json::object proof = good;
    std::string root(proof["root"].as_string());
    root[0] = root[0] == 'f' ? 'e' : 'f';
    proof["root"] = root;
    tampered.emplace_back("another root", proof);
  }
  {
    boost::json::object proof = good;
    std::string element(proof["path"].as_array()[0].as_string());
    proof["path"].as_array()[0] = element.substr(2);
    tampered.emplace_back("31-byte path element", proof);
  }
  for (const auto& [what, proof] : tampered) {
    std::string output;
    EXPECT_EQ(Run(proof, "", &output), 1) << what << ": " << output;
    EXPECT_NE(output.find("FAILED"), std::string::npos) << what << ": " << output;
  }
}

TEST_F(MerkleProofScriptTest, BindingModeRecomputesTheLeaf) {
  const Bytes nonce = {0xde, 0xad, 0xbe, 0xef};
  const std::string instance_id = "5b1f8a44-0c1d-4c5e-9a7b-3d2e1f0a9b8c";
  const Bytes ek_name(34, 0x11);
  const Bytes aik_name(34, 0x22);
  const Bytes attest(120, 0x33);
  auto leaf = DeepQuoteLeaf({nonce, instance_id, ek_name, aik_name, attest});
  ASSERT_TRUE(leaf.ok());
  std::vector<Bytes> leaves = SyntheticLeaves(9);
  leaves[4] = *leaf;
  const Batch batch = MakeBatch(leaves);

  boost::json::object proof = FlatProof(batch, 4);
  proof["nonce"] = HexEncode(nonce);
  proof["instance_id"] = instance_id;
  proof["ek_name"] = HexEncode(ek_name);
  proof["aik_name"] = HexEncode(aik_name);
  proof["guest_attest"] = HexEncode(attest);
  std::string output;
  EXPECT_EQ(Run(proof, "--binding", &output), 0) << output;
  proof.erase("leaf");  // the binding alone is enough
  EXPECT_EQ(Run(proof, "--binding", &output), 0) << output;

  for (const char* field : {"nonce", "ek_name", "aik_name", "guest_attest"}) {
    boost::json::object changed = proof;
    changed[field] = std::string(changed[field].as_string()) + "00";
    EXPECT_EQ(Run(changed, "--binding", &output), 1) << field << ": " << output;
  }
  boost::json::object other_instance = proof;
  other_instance["instance_id"] = "5b1f8a44-0c1d-4c5e-9a7b-3d2e1f0a9b8d";
  EXPECT_EQ(Run(other_instance, "--binding", &output), 1) << output;
  // A leaf given with the binding must be the binding's.
  boost::json::object mismatched = proof;
  mismatched["leaf"] = HexEncode(leaves[3]);
  EXPECT_EQ(Run(mismatched, "--binding", &output), 1) << output;
}

}  // namespace
}  // namespace vtpmd::policy
