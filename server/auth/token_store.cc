#include "server/auth/token_store.h"

#include <openssl/crypto.h>


#include "core/bytes.h"
#include "core/crypto.h"

namespace vtpmd::auth {
namespace {

constexpr std::string_view kPrefix = "vtpmd_";
constexpr std::size_t kIdBytes = 8;
constexpr std::size_t kSecretBytes = 32;

Error BadToken() { return Unauthenticated("invalid or expired bearer token"); }

TokenInfo ReadInfo(const Statement& row) {
  TokenInfo info{row.Text(0), Role::kAdmin, row.Text(2), row.Int(3), std::nullopt, std::nullopt};
  if (auto role = RoleFromName(row.Text(1)); role.ok()) info.role = *role;
  if (!row.IsNull(4)) info.expires_at = row.Int(4);
  if (!row.IsNull(5)) info.revoked_at = row.Int(5);
  return info;
}

constexpr std::string_view kSelectColumns = "SELECT id, role, label, created_at, expires_at, revoked_at";

}  // namespace

std::int64_t TokenStore::NowSeconds() const {
  return std::chrono::duration_cast<std::chrono::seconds>(clock_.Now().time_since_epoch()).count();
}

Result<IssuedToken> TokenStore::Issue(Role role, std::string_view label, std::optional<std::chrono::seconds> ttl) {
  // Bounded so that an expiry is always a time the store and every clock can hold.
  constexpr std::int64_t kMaxTtlSeconds = 10LL * 366 * 24 * 3600;
  if (ttl && (ttl->count() <= 0 || ttl->count() > kMaxTtlSeconds)) {
    return InvalidArgument("ttl_seconds must be between 1 and " + std::to_string(kMaxTtlSeconds) + " (10 years)");
  }
  VTPMD_ASSIGN_OR_RETURN(Bytes id_bytes, rng_.Generate(kIdBytes));
  VTPMD_ASSIGN_OR_RETURN(SecretBytes secret, rng_.GenerateSecret(kSecretBytes));
  VTPMD_ASSIGN_OR_RETURN(Bytes secret_hash, Sha256(secret.view()));

  const std::int64_t now = NowSeconds();
  TokenInfo info{HexEncode(id_bytes), role, std::string(label), now, std::nullopt, std::nullopt};
  if (ttl) info.expires_at = now + ttl->count();

  VTPMD_ASSIGN_OR_RETURN(auto insert, store_.Prepare(
      "INSERT INTO tokens(id, secret_hash, role, label, created_at, expires_at) VALUES(?, ?, ?, ?, ?, ?)"));
  insert.Bind(1, info.id).Bind(2, ByteView(secret_hash)).Bind(3, RoleName(role)).Bind(4, info.label).Bind(5, now);
  if (info.expires_at) {
    insert.Bind(6, *info.expires_at);
  } else {
    insert.BindNull(6);
  }
  VTPMD_RETURN_IF_ERROR(insert.Run());

  std::string encoded = Base64UrlEncode(secret.view());
  std::string bearer = std::string(kPrefix) + info.id + "_" + encoded;
  IssuedToken issued{std::move(info), SecretBytes::CopyFrom(AsBytes(bearer))};
  OPENSSL_cleanse(encoded.data(), encoded.size());
  OPENSSL_cleanse(bearer.data(), bearer.size());
  return issued;
}

Result<TokenInfo> TokenStore::Authenticate(std::string_view bearer) const {
  if (!bearer.starts_with(kPrefix)) return BadToken();
  bearer.remove_prefix(kPrefix.size());
  const auto separator = bearer.find('_');
  if (separator != kIdBytes * 2) return BadToken();
  const std::string_view id = bearer.substr(0, separator);
  auto secret = Base64UrlDecode(bearer.substr(separator + 1));
  if (!secret.ok() || secret->size() != kSecretBytes) return BadToken();
  VTPMD_ASSIGN_OR_RETURN(Bytes presented_hash, Sha256(*secret));
  OPENSSL_cleanse(secret->data(), secret->size());

  std::optional<TokenInfo> info = Recall(id, presented_hash);
  if (!info) {
    const std::uint64_t generation = [this] {
      std::lock_guard lock(mu_);
      return generation_;
    }();
    VTPMD_ASSIGN_OR_RETURN(auto select, store_.Prepare(std::string(kSelectColumns) +
                                                       ", secret_hash FROM tokens WHERE id = ?"));
    select.Bind(1, id);
    VTPMD_ASSIGN_OR_RETURN(bool found, select.Step());
    if (!found) return BadToken();
    const Bytes stored_hash = select.Blob(6);
    if (!ConstantTimeEquals(presented_hash, stored_hash)) return BadToken();
    info = ReadInfo(select);
    if (info->revoked_at) return BadToken();
    Remember(generation, std::string(id), Known{stored_hash, *info});
  }
  if (info->expires_at && *info->expires_at <= NowSeconds()) return BadToken();
  return std::move(*info);
}

std::optional<TokenInfo> TokenStore::Recall(std::string_view id, ByteView presented_hash) const {
  std::lock_guard lock(mu_);
  const auto found = known_.find(std::string(id));
  if (found == known_.end() || !ConstantTimeEquals(presented_hash, found->second.secret_hash)) return std::nullopt;
  return found->second.info;
}

void TokenStore::Remember(std::uint64_t generation, std::string id, Known known) const {
  // Only tokens that authenticated are remembered, so the map grows only as fast
  // as admins issue tokens; the bound is a backstop.
  constexpr std::size_t kMaxKnownTokens = 65536;
  std::lock_guard lock(mu_);
  if (generation != generation_) return;
  if (known_.size() >= kMaxKnownTokens) known_.clear();
  known_.insert_or_assign(std::move(id), std::move(known));
}

Result<std::vector<TokenInfo>> TokenStore::List() const {
  VTPMD_ASSIGN_OR_RETURN(auto select, store_.Prepare(std::string(kSelectColumns) +
                                                     " FROM tokens ORDER BY created_at, id"));
  std::vector<TokenInfo> out;
  while (true) {
    VTPMD_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) break;
    out.push_back(ReadInfo(select));
  }
  return out;
}

Result<std::size_t> TokenStore::CountActive(Role role) const {
  VTPMD_ASSIGN_OR_RETURN(auto count, store_.Prepare(
      "SELECT COUNT(*) FROM tokens WHERE role = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)"));
  count.Bind(1, RoleName(role)).Bind(2, NowSeconds());
  VTPMD_ASSIGN_OR_RETURN(bool row, count.Step());
  if (!row) return Internal("COUNT returned no row");
  return static_cast<std::size_t>(count.Int(0));
}

Status TokenStore::Revoke(std::string_view id) {
  const Status revoked = store_.Transaction([&]() -> Status {
    VTPMD_ASSIGN_OR_RETURN(auto select, store_.Prepare(
        "SELECT role, revoked_at FROM tokens WHERE id = ?"));
    select.Bind(1, id);
    VTPMD_ASSIGN_OR_RETURN(bool found, select.Step());
    if (!found) return NotFound("no token with id '" + std::string(id) + "'");
    if (!select.IsNull(1)) return Ok();  // revoking twice is harmless
    VTPMD_ASSIGN_OR_RETURN(Role role, RoleFromName(select.Text(0)));
    if (role == Role::kAdmin) {
      VTPMD_ASSIGN_OR_RETURN(auto others, store_.Prepare(
          "SELECT COUNT(*) FROM tokens WHERE role = 'admin' AND id != ? AND revoked_at IS NULL "
          "AND (expires_at IS NULL OR expires_at > ?)"));
      others.Bind(1, id).Bind(2, NowSeconds());
      VTPMD_ASSIGN_OR_RETURN(bool row, others.Step());
      if (!row || others.Int(0) == 0) return FailedPrecondition("refusing to revoke the last active admin token");
    }
    VTPMD_ASSIGN_OR_RETURN(auto update, store_.Prepare("UPDATE tokens SET revoked_at = ? WHERE id = ?"));
    VTPMD_RETURN_IF_ERROR(update.Bind(1, NowSeconds()).Bind(2, id).Run());
    return on_revocation_ ? on_revocation_(id) : Ok();
  });
  std::lock_guard lock(mu_);
  ++generation_;
  known_.erase(std::string(id));
  return revoked;
}

}  // namespace vtpmd::auth
