#pragma once
// Bearer tokens. A token reads "vtpmd_<id>_<secret>": the id finds the record, and
// only SHA-256(secret) is stored, so a leaked database reveals no usable token.
// Secrets carry 256 bits of entropy, which is why a plain hash (no slow KDF) suffices.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/bytes.h"
#include "core/clock.h"
#include "core/random.h"
#include "core/result.h"
#include "core/secret_bytes.h"
#include "core/store.h"
#include "server/auth/role.h"

namespace vtpmd::auth {

struct TokenInfo {
  std::string id;
  Role role;
  std::string label;
  std::int64_t created_at;
  std::optional<std::int64_t> expires_at;
  std::optional<std::int64_t> revoked_at;
};

struct IssuedToken {
  TokenInfo info;
  SecretBytes token;  // the full bearer string; shown once, never stored
};

class TokenStore {
 public:
  TokenStore(Store& store, const Clock& clock, Rng& rng) : store_(store), clock_(clock), rng_(rng) {}

  Result<IssuedToken> Issue(Role role, std::string_view label, std::optional<std::chrono::seconds> ttl);
  // Unauthenticated for anything malformed, unknown, revoked or expired; the
  // message never says which, so probing learns nothing.
  Result<TokenInfo> Authenticate(std::string_view bearer) const;
  Result<std::vector<TokenInfo>> List() const;
  // Revoking the last active admin token would lock every operator out: refused.
  Status Revoke(std::string_view id);
  // Runs inside every revocation's transaction, so what the token owned (its webhook
  // subscriptions) goes with it or the revocation fails. Set once, at start-up.
  using RevocationHook = std::function<Status(std::string_view token_id)>;
  void OnRevocation(RevocationHook hook) { on_revocation_ = std::move(hook); }
  Result<std::size_t> CountActive(Role role) const;

 private:
  std::int64_t NowSeconds() const;
  // A token that authenticated, remembered by id so that the next request with it
  // reads no store (every request carries a token). Revoke forgets it; expiry is
  // checked each time.
  struct Known {
    Bytes secret_hash;
    TokenInfo info;
  };
  std::optional<TokenInfo> Recall(std::string_view id, ByteView presented_hash) const;
  void Remember(std::uint64_t generation, std::string id, Known known) const;

  Store& store_;
  const Clock& clock_;
  Rng& rng_;
  RevocationHook on_revocation_;
  mutable std::mutex mu_;
  mutable std::unordered_map<std::string, Known> known_;
  // Bumped by every revocation, so a lookup that raced with one is not remembered.
  std::uint64_t generation_ = 0;
};

}  // namespace vtpmd::auth
