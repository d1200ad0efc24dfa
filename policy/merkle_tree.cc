#include "policy/merkle_tree.h"

#include "core/crypto.h"

namespace vtpmd::policy {
namespace {

constexpr std::uint8_t kLeafPrefix[] = {0x00};
constexpr std::uint8_t kNodePrefix[] = {0x01};

Result<Bytes> NodeHash(ByteView left, ByteView right) {
  return DigestParts(HashAlg::kSha256, {ByteView(kNodePrefix), left, right});
}

}  // namespace

Bytes MerkleLeafHash(ByteView leaf) {
  auto hash = DigestParts(HashAlg::kSha256, {ByteView(kLeafPrefix), leaf});
  return hash.ok() ? std::move(hash).value() : Bytes{};
}

Result<MerkleTree> MerkleTree::FromLeafHashes(std::vector<Bytes> leaf_hashes) {
  for (std::size_t i = 0; i < leaf_hashes.size(); ++i) {
    if (leaf_hashes[i].size() != kMerkleHashSize) {
      return InvalidArgument("Merkle leaf hash " + std::to_string(i) + " is " +
                             std::to_string(leaf_hashes[i].size()) + " bytes, not 32");
    }
  }
  std::vector<std::vector<Bytes>> levels;
  if (leaf_hashes.empty()) {
    VTPMD_ASSIGN_OR_RETURN(Bytes empty_root, Sha256({}));
    return MerkleTree(std::move(levels), std::move(empty_root));
  }
  levels.push_back(std::move(leaf_hashes));
  while (levels.back().size() > 1) {
    const std::vector<Bytes>& below = levels.back();
    std::vector<Bytes> above;
    above.reserve((below.size() + 1) / 2);
    for (std::size_t i = 0; i + 1 < below.size(); i += 2) {
      VTPMD_ASSIGN_OR_RETURN(Bytes node, NodeHash(below[i], below[i + 1]));
      above.push_back(std::move(node));
    }
    if (below.size() % 2 == 1) above.push_back(below.back());
    levels.push_back(std::move(above));
  }
  Bytes root = levels.back().front();
  return MerkleTree(std::move(levels), std::move(root));
}

Result<std::vector<Bytes>> MerkleTree::InclusionPath(std::uint64_t index) const {
  if (index >= size()) {
    return InvalidArgument("leaf index " + std::to_string(index) + " is not below the tree size " +
                           std::to_string(size()));
  }
  std::vector<Bytes> path;
  std::size_t position = static_cast<std::size_t>(index);
  for (std::size_t level = 0; level + 1 < levels_.size(); ++level) {
    const std::size_t sibling = position ^ 1U;
    // No sibling: this node was carried up unchanged, so it adds nothing to the path.
    if (sibling < levels_[level].size()) path.push_back(levels_[level][sibling]);
    position /= 2;
  }
  return path;
}

bool VerifyMerkleInclusion(ByteView leaf_hash, std::uint64_t index, std::uint64_t tree_size,
                           std::span<const Bytes> path, ByteView root) {
  if (leaf_hash.size() != kMerkleHashSize || root.size() != kMerkleHashSize) return false;
  // 1. An index at or past the tree's size is not in the tree.
  if (index >= tree_size) return false;
  // 2. fn is the leaf's index, sn the last index; 3. r starts as the leaf hash.
  std::uint64_t fn = index;
  std::uint64_t sn = tree_size - 1;
  Bytes r(leaf_hash.begin(), leaf_hash.end());
  // 4. Fold each path element into r.
  for (const Bytes& p : path) {
    if (p.size() != kMerkleHashSize) return false;
    // 4a. The path is longer than the tree is deep.
    if (sn == 0) return false;
    if ((fn & 1U) != 0 || fn == sn) {
      // 4b. p is a left sibling (or fn is the last node of its level, whose right
      // subtree is empty: shift past the levels where it was carried up).
      auto node = NodeHash(p, r);
      if (!node.ok()) return false;
      r = std::move(node).value();
      if ((fn & 1U) == 0) {
        while ((fn & 1U) == 0 && fn != 0) {
          fn >>= 1U;
          sn >>= 1U;
        }
      }
    } else {
      // p is a right sibling.
      auto node = NodeHash(r, p);
      if (!node.ok()) return false;
      r = std::move(node).value();
    }
    // 4c.
    fn >>= 1U;
    sn >>= 1U;
  }
  // 5. The path must end exactly at the root, and r must be the root.
  return sn == 0 && r.size() == root.size() && ConstantTimeEquals(r, root);
}

}  // namespace vtpmd::policy
