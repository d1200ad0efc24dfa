// The RFC 9162 Merkle tree of deep quotes: the Certificate Transparency test vectors
// (the published leaf hashes, roots and inclusion proofs of the eight reference
// leaves), a straight transcription of the RFC's recursive definitions for larger
// trees, and the verifier's refusal of every kind of tampered proof.
#include "policy/merkle_tree.h"

#include <gtest/gtest.h>

#include <bit>
#include <string>
#include <vector>

#include "core/crypto.h"

namespace vtpmd::policy {
namespace {

Bytes Hex(std::string_view text) {
  auto bytes = HexDecode(text);
  EXPECT_TRUE(bytes.ok()) << text;
  return bytes.ok() ? *bytes : Bytes{};
}

std::vector<Bytes> HexList(std::initializer_list<std::string_view> texts) {
  std::vector<Bytes> out;
  for (std::string_view text : texts) out.push_back(Hex(text));
  return out;
}

// The Certificate Transparency reference leaves (RFC 6962 test data, as in
// certificate-transparency-go and transparency-dev/merkle).
const std::vector<Bytes>& ReferenceLeaves() {
  static const std::vector<Bytes> leaves = HexList({"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                                                    "606162636465666768696a6b6c6d6e6f"});
  return leaves;
}

// Their published leaf hashes, SHA-256(0x00 ‖ leaf).
const std::vector<Bytes>& ReferenceLeafHashes() {
  static const std::vector<Bytes> hashes = HexList({
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
      "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
      "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
      "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
      "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
  });
  return hashes;
}

// The published roots of the trees of the first 0, 1, ..., 8 reference leaves.
const std::vector<Bytes>& ReferenceRoots() {
  static const std::vector<Bytes> roots = HexList({
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
      "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
      "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
      "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
      "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
      "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
  });
  return roots;
}

struct ReferenceInclusionProof {
  std::uint64_t index;
  std::uint64_t tree_size;
  std::vector<Bytes> path;
};

// The published inclusion proofs (0-based leaf indexes).
std::vector<ReferenceInclusionProof> ReferenceInclusionProofs() {
  return {
      {0, 1, {}},
      {0, 8,
       HexList({"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"})},
      {5, 8,
       HexList({"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"})},
      {2, 3, HexList({"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"})},
      {1, 5,
       HexList({"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"})},
  };
}

// --- RFC 9162 §2.1.1 and §2.1.3.1, transcribed recursively (independent of the
// level-by-level construction under test).

std::size_t LargestPowerOfTwoBelow(std::size_t n) { return std::bit_floor(n - 1); }

Bytes Node(const Bytes& left, const Bytes& right) {
  const std::uint8_t prefix[] = {0x01};
  auto hash = DigestParts(HashAlg::kSha256, {ByteView(prefix), left, right});
  EXPECT_TRUE(hash.ok());
  return hash.ok() ? *hash : Bytes{};
}

// MTH(D[n]) over leaf hashes.
Bytes ReferenceRoot(std::span<const Bytes> hashes) {
  if (hashes.size() == 1) return hashes[0];
  const std::size_t k = LargestPowerOfTwoBelow(hashes.size());
  return Node(ReferenceRoot(hashes.subspan(0, k)), ReferenceRoot(hashes.subspan(k)));
}

// PATH(m, D[n]).
std::vector<Bytes> ReferencePath(std::size_t m, std::span<const Bytes> hashes) {
  if (hashes.size() == 1) return {};
  const std::size_t k = LargestPowerOfTwoBelow(hashes.size());
  std::vector<Bytes> path;
  if (m < k) {
    path = ReferencePath(m, hashes.subspan(0, k));
    path.push_back(ReferenceRoot(hashes.subspan(k)));
  } else {
    path = ReferencePath(m - k, hashes.subspan(k));
    path.push_back(ReferenceRoot(hashes.subspan(0, k)));
  }
  return path;
}

// Which side each path element sits on (true: left) for leaf m of a tree of n
// leaves: a function of (m, n) alone, which decides whether a proof checked with a
// wrong tree size can still succeed.
std::vector<bool> ReferencePathSides(std::size_t m, std::size_t n) {
  if (n == 1) return {};
  const std::size_t k = LargestPowerOfTwoBelow(n);
  std::vector<bool> sides = m < k ? ReferencePathSides(m, k) : ReferencePathSides(m - k, n - k);
  sides.push_back(m >= k);
  return sides;
}

std::vector<Bytes> SyntheticLeafHashes(std::size_t n) {
  std::vector<Bytes> hashes;
  for (std::size_t i = 0; i < n; ++i) {
    const Bytes leaf = {static_cast<std::uint8_t>(i), static_cast<std::uint8_t>(i >> 8U), 0x5a};
    hashes.push_back(MerkleLeafHash(leaf));
  }
  return hashes;
}

MerkleTree Build(std::vector<Bytes> hashes) {
  auto tree = MerkleTree::FromLeafHashes(std::move(hashes));
  EXPECT_TRUE(tree.ok()) << tree.error().message();
  return std::move(tree).value();
}

std::vector<Bytes> PathOf(const MerkleTree& tree, std::uint64_t index) {
  auto path = tree.InclusionPath(index);
  EXPECT_TRUE(path.ok()) << path.error().message();
  return path.ok() ? *path : std::vector<Bytes>{};
}

TEST(MerkleTree, LeafHashesAreTheReferenceOnes) {
  for (std::size_t i = 0; i < ReferenceLeaves().size(); ++i) {
    EXPECT_EQ(HexEncode(MerkleLeafHash(ReferenceLeaves()[i])), HexEncode(ReferenceLeafHashes()[i])) << i;
  }
}

TEST(MerkleTree, RootsOfEveryReferenceTreeSize) {
  for (std::size_t n = 0; n <= ReferenceLeaves().size(); ++n) {
    std::vector<Bytes> hashes;
    for (std::size_t i = 0; i < n; ++i) hashes.push_back(MerkleLeafHash(ReferenceLeaves()[i]));
    const MerkleTree tree = Build(hashes);
    EXPECT_EQ(tree.size(), n);
    EXPECT_EQ(HexEncode(tree.root()), HexEncode(ReferenceRoots()[n])) << "tree size " << n;
  }
}

TEST(MerkleTree, ReferenceInclusionProofsAreProducedAndVerify) {
  for (const ReferenceInclusionProof& proof : ReferenceInclusionProofs()) {
    const std::vector<Bytes> hashes(ReferenceLeafHashes().begin(),
                                    ReferenceLeafHashes().begin() + static_cast<std::ptrdiff_t>(proof.tree_size));
    const MerkleTree tree = Build(hashes);
    EXPECT_EQ(PathOf(tree, proof.index), proof.path) << proof.index << " of " << proof.tree_size;
    EXPECT_TRUE(VerifyMerkleInclusion(ReferenceLeafHashes()[proof.index], proof.index, proof.tree_size, proof.path,
                                      ReferenceRoots()[proof.tree_size]))
        << proof.index << " of " << proof.tree_size;
  }
}

TEST(MerkleTree, EveryLeafOfTreesUpTo70MatchesTheRecursiveDefinitionAndVerifies) {
  for (std::size_t n = 1; n <= 70; ++n) {
    const std::vector<Bytes> hashes = SyntheticLeafHashes(n);
    const MerkleTree tree = Build(hashes);
    ASSERT_EQ(HexEncode(tree.root()), HexEncode(ReferenceRoot(hashes))) << "tree size " << n;
    for (std::size_t i = 0; i < n; ++i) {
      const std::vector<Bytes> path = PathOf(tree, i);
      ASSERT_EQ(path, ReferencePath(i, hashes)) << i << " of " << n;
      EXPECT_TRUE(VerifyMerkleInclusion(hashes[i], i, n, path, tree.root())) << i << " of " << n;
    }
  }
}

TEST(MerkleTree, TamperedProofsFail) {
  for (std::size_t n = 1; n <= 70; ++n) {
    const std::vector<Bytes> hashes = SyntheticLeafHashes(n);
    const MerkleTree tree = Build(hashes);
    const Bytes& root = tree.root();
    for (std::size_t i = 0; i < n; ++i) {
      const std::vector<Bytes> path = PathOf(tree, i);
      const std::string where = std::to_string(i) + " of " + std::to_string(n);

      // A flipped bit anywhere in any path element.
      for (std::size_t e = 0; e < path.size(); ++e) {
        for (std::size_t bit : {std::size_t{0}, std::size_t{7}, std::size_t{131}, std::size_t{255}}) {
          std::vector<Bytes> flipped = path;
          flipped[e][bit / 8] ^= static_cast<std::uint8_t>(1U << (bit % 8));
          EXPECT_FALSE(VerifyMerkleInclusion(hashes[i], i, n, flipped, root)) << where << " element " << e;
        }
      }
      // Another leaf, or a flipped bit in the leaf hash or the root.
      if (n > 1) {
        EXPECT_FALSE(VerifyMerkleInclusion(hashes[(i + 1) % n], i, n, path, root)) << where;
      }
      Bytes bad_leaf = hashes[i];
      bad_leaf[31] ^= 1;
      EXPECT_FALSE(VerifyMerkleInclusion(bad_leaf, i, n, path, root)) << where;
      Bytes bad_root = root;
      bad_root[0] ^= 0x80;
      EXPECT_FALSE(VerifyMerkleInclusion(hashes[i], i, n, path, bad_root)) << where;

      // Any other index (every one in the smaller trees, neighbours and the ends in
      // the larger), including ones at or past the tree size.
      std::vector<std::size_t> others = {i ^ 1U, i + 1, i - 1, 0, n - 1, n, n + 1, ~std::size_t{0}};
      if (n <= 24) {
        for (std::size_t other = 0; other < n; ++other) others.push_back(other);
      }
      for (std::size_t other : others) {
        if (other != i) {
          EXPECT_FALSE(VerifyMerkleInclusion(hashes[i], other, n, path, root)) << where << " as " << other;
        }
      }
      // A wrong tree size fails unless it puts the path's elements on the same
      // sides (then the proof is the same statement: the tree size is not what
      // an inclusion proof authenticates).
      for (std::size_t other_size : {n - 1, n + 1, 2 * n, n + 7}) {
        if (other_size == n) continue;
        const bool same_sides = i < other_size && ReferencePathSides(i, other_size) == ReferencePathSides(i, n);
        EXPECT_EQ(VerifyMerkleInclusion(hashes[i], i, other_size, path, root), same_sides)
            << where << " with tree size " << other_size;
      }
      // A truncated path, an extended one.
      if (!path.empty()) {
        const std::vector<Bytes> truncated(path.begin(), path.end() - 1);
        EXPECT_FALSE(VerifyMerkleInclusion(hashes[i], i, n, truncated, root)) << where;
        EXPECT_FALSE(VerifyMerkleInclusion(hashes[i], i, n, std::span(path).subspan(1), root)) << where;
      }
      std::vector<Bytes> extended = path;
      extended.push_back(hashes[0]);
      EXPECT_FALSE(VerifyMerkleInclusion(hashes[i], i, n, extended, root)) << where;
      std::vector<Bytes> extended_front = path;
      extended_front.insert(extended_front.begin(), hashes[0]);
      EXPECT_FALSE(VerifyMerkleInclusion(hashes[i], i, n, extended_front, root)) << where;
    }
  }
}

TEST(MerkleTree, AWrongTreeSizeFailsWhereItMovesTheLeaf) {
  // An inclusion proof authenticates the leaf's place in the tree, not the tree's
  // size. Leaf 0 of 5 has the path [leaf 1, leaves 2-3, leaf 4], every element on
  // its right; checked as a tree of 6 or 8 leaves, the verifier puts them on the
  // same sides and arrives at the same root. Of 9 leaves the path would be one
  // longer, and leaf 4 of 5 moves with any other size.
  const std::vector<Bytes> hashes = SyntheticLeafHashes(5);
  const MerkleTree tree = Build(hashes);
  EXPECT_TRUE(VerifyMerkleInclusion(hashes[0], 0, 6, PathOf(tree, 0), tree.root()));
  EXPECT_TRUE(VerifyMerkleInclusion(hashes[0], 0, 8, PathOf(tree, 0), tree.root()));
  EXPECT_FALSE(VerifyMerkleInclusion(hashes[0], 0, 9, PathOf(tree, 0), tree.root()));
  EXPECT_FALSE(VerifyMerkleInclusion(hashes[4], 4, 6, PathOf(tree, 4), tree.root()));
  EXPECT_FALSE(VerifyMerkleInclusion(hashes[4], 4, 4, PathOf(tree, 4), tree.root()));
}

TEST(MerkleTree, HashesOfTheWrongSizeFail) {
  const std::vector<Bytes> hashes = SyntheticLeafHashes(5);
  const MerkleTree tree = Build(hashes);
  const std::vector<Bytes> path = PathOf(tree, 2);
  ASSERT_TRUE(VerifyMerkleInclusion(hashes[2], 2, 5, path, tree.root()));

  std::vector<Bytes> short_element = path;
  short_element[1].pop_back();
  EXPECT_FALSE(VerifyMerkleInclusion(hashes[2], 2, 5, short_element, tree.root()));
  std::vector<Bytes> long_element = path;
  long_element[0].push_back(0);
  EXPECT_FALSE(VerifyMerkleInclusion(hashes[2], 2, 5, long_element, tree.root()));
  const Bytes short_leaf(hashes[2].begin(), hashes[2].end() - 1);
  EXPECT_FALSE(VerifyMerkleInclusion(short_leaf, 2, 5, path, tree.root()));
  const Bytes long_root = [&] {
    Bytes r = tree.root();
    r.push_back(0);
    return r;
  }();
  EXPECT_FALSE(VerifyMerkleInclusion(hashes[2], 2, 5, path, long_root));
  EXPECT_FALSE(VerifyMerkleInclusion(hashes[0], 0, 0, {}, ReferenceRoots()[0]));
}

TEST(MerkleTree, RefusesLeafHashesOfTheWrongSizeAndIndexesPastTheEnd) {
  std::vector<Bytes> hashes = SyntheticLeafHashes(3);
  hashes[1].pop_back();
  EXPECT_EQ(MerkleTree::FromLeafHashes(hashes).error().code(), ErrorCode::kInvalidArgument);

  const MerkleTree tree = Build(SyntheticLeafHashes(3));
  EXPECT_EQ(tree.InclusionPath(3).error().code(), ErrorCode::kInvalidArgument);
  const MerkleTree empty = Build({});
  EXPECT_EQ(empty.size(), 0U);
  EXPECT_EQ(empty.InclusionPath(0).error().code(), ErrorCode::kInvalidArgument);
}

TEST(MerkleTree, LargeBatchesBuildOnceAndEveryProofVerifies) {
  // The size of a full batch; the paths are read off the stored levels.
  const std::vector<Bytes> hashes = SyntheticLeafHashes(4096 + 3);
  const MerkleTree tree = Build(hashes);
  EXPECT_EQ(HexEncode(tree.root()), HexEncode(ReferenceRoot(hashes)));
  for (std::size_t i = 0; i < hashes.size(); ++i) {
    const std::vector<Bytes> path = PathOf(tree, i);
    ASSERT_LE(path.size(), 13U);
    ASSERT_TRUE(VerifyMerkleInclusion(hashes[i], i, hashes.size(), path, tree.root())) << i;
  }
}

}  // namespace
}  // namespace vtpmd::policy
