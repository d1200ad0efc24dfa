#include "server/app/subscription_records.h"

#include <boost/json.hpp>

#include "core/crypto.h"

namespace vtpmd::app {
namespace {

constexpr std::string_view kColumns =
    "id, owner_token, url, event_types, vm_ids, instance_ids, secret_sealed, previous_secret_sealed, "
    "previous_secret_until, state, state_detail, cursor, head_attempts, next_attempt_at_ms, failure_streak, "
    "created_at";

std::string JsonList(const std::vector<std::string>& items) {
  boost::json::array out;
  for (const std::string& item : items) out.emplace_back(item);
  return boost::json::serialize(out);
}

Result<std::vector<std::string>> ParseJsonList(const std::string& text) {
  boost::system::error_code ec;
  boost::json::value parsed = boost::json::parse(text, ec);
  if (ec || !parsed.is_array()) return Internal("a stored subscription list is not a JSON array");
  std::vector<std::string> out;
  for (const boost::json::value& item : parsed.as_array()) {
    if (!item.is_string()) return Internal("a stored subscription list holds a non-string");
    out.emplace_back(item.as_string());
  }
  return out;
}

Result<SubscriptionState> StateFromName(std::string_view name) {
  for (SubscriptionState state : {SubscriptionState::kActive, SubscriptionState::kPaused, SubscriptionState::kDisabled}) {
    if (SubscriptionStateName(state) == name) return state;
  }
  return Internal("unknown subscription state in the store: " + std::string(name));
}

Result<Subscription> ReadSubscription(const Statement& row) {
  Subscription out;
  out.id = row.Text(0);
  out.owner_token = row.Text(1);
  out.url = row.Text(2);
  VTPMD_ASSIGN_OR_RETURN(out.event_types, ParseJsonList(row.Text(3)));
  VTPMD_ASSIGN_OR_RETURN(out.vm_ids, ParseJsonList(row.Text(4)));
  VTPMD_ASSIGN_OR_RETURN(out.instance_ids, ParseJsonList(row.Text(5)));
  out.secret_sealed = row.Blob(6);
  if (!row.IsNull(7)) out.previous_secret_sealed = row.Blob(7);
  if (!row.IsNull(8)) out.previous_secret_until = row.Int(8);
  VTPMD_ASSIGN_OR_RETURN(out.state, StateFromName(row.Text(9)));
  out.state_detail = row.Text(10);
  out.cursor = row.Int(11);
  out.head_attempts = row.Int(12);
  out.next_attempt_at_ms = row.Int(13);
  out.failure_streak = row.Int(14);
  out.created_at = row.Int(15);
  return out;
}

Result<std::vector<Subscription>> ReadAll(Statement& select) {
  std::vector<Subscription> out;
  while (true) {
    VTPMD_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) return out;
    VTPMD_ASSIGN_OR_RETURN(Subscription subscription, ReadSubscription(select));
    out.push_back(std::move(subscription));
  }
}

Result<AttemptOutcome> OutcomeFromName(std::string_view name) {
  for (AttemptOutcome outcome : {AttemptOutcome::kDelivered, AttemptOutcome::kRetrying, AttemptOutcome::kGaveUp}) {
    if (AttemptOutcomeName(outcome) == name) return outcome;
  }
  return Internal("unknown delivery outcome in the store: " + std::string(name));
}

Status ExpectOneRow(const Statement& statement, std::string_view id) {
  if (statement.Changes() == 0) return NotFound("no subscription " + std::string(id));
  return Ok();
}

std::string KeyAad(std::string_view subscription_id) {
  return "vtpmd subscription signing key " + std::string(subscription_id);
}

}  // namespace

Result<Bytes> SealSubscriptionKey(const SecretBytes& data_key, std::string_view subscription_id,
                                  const SecretBytes& key, Rng& rng) {
  return AesGcmSeal(data_key, key.view(), AsBytes(KeyAad(subscription_id)), rng);
}

Result<SecretBytes> OpenSubscriptionKey(const SecretBytes& data_key, std::string_view subscription_id,
                                        ByteView sealed) {
  return AesGcmOpen(data_key, sealed, AsBytes(KeyAad(subscription_id)));
}

std::string_view SubscriptionStateName(SubscriptionState state) {
  switch (state) {
    case SubscriptionState::kActive: return "active";
    case SubscriptionState::kPaused: return "paused";
    case SubscriptionState::kDisabled: return "disabled";
  }
  return "disabled";
}

std::string_view AttemptOutcomeName(AttemptOutcome outcome) {
  switch (outcome) {
    case AttemptOutcome::kDelivered: return "delivered";
    case AttemptOutcome::kRetrying: return "retrying";
    case AttemptOutcome::kGaveUp: return "gave-up";
  }
  return "gave-up";
}

Status SubscriptionRecords::Insert(const Subscription& s) {
  VTPMD_ASSIGN_OR_RETURN(auto insert, store_.Prepare("INSERT INTO subscriptions(" + std::string(kColumns) +
                                                     ") VALUES(?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?, ?, 0, 0, 0, ?)"));
  insert.Bind(1, s.id).Bind(2, s.owner_token).Bind(3, s.url).Bind(4, JsonList(s.event_types))
      .Bind(5, JsonList(s.vm_ids)).Bind(6, JsonList(s.instance_ids)).Bind(7, ByteView(s.secret_sealed))
      .Bind(8, SubscriptionStateName(s.state)).Bind(9, s.state_detail).Bind(10, s.cursor).Bind(11, s.created_at);
  return insert.Run();
}

Result<Subscription> SubscriptionRecords::Get(std::string_view id) const {
  VTPMD_ASSIGN_OR_RETURN(auto select,
                         store_.Prepare("SELECT " + std::string(kColumns) + " FROM subscriptions WHERE id = ?"));
  select.Bind(1, id);
  VTPMD_ASSIGN_OR_RETURN(bool row, select.Step());
  if (!row) return NotFound("no subscription " + std::string(id));
  return ReadSubscription(select);
}

Result<std::vector<Subscription>> SubscriptionRecords::List(std::string_view owner_token) const {
  VTPMD_ASSIGN_OR_RETURN(auto select, store_.Prepare("SELECT " + std::string(kColumns) +
                                                     " FROM subscriptions WHERE (? = '' OR owner_token = ?) "
                                                     "ORDER BY created_at, id"));
  select.Bind(1, owner_token).Bind(2, owner_token);
  return ReadAll(select);
}

Result<std::vector<Subscription>> SubscriptionRecords::ListActive() const {
  VTPMD_ASSIGN_OR_RETURN(auto select, store_.Prepare("SELECT " + std::string(kColumns) +
                                                     " FROM subscriptions WHERE state = 'active'"));
  return ReadAll(select);
}

Status SubscriptionRecords::UpdateSettings(const Subscription& s) {
  // Resuming starts a fresh failure streak: the subscriber says the endpoint is back.
  VTPMD_ASSIGN_OR_RETURN(auto update, store_.Prepare(
      "UPDATE subscriptions SET url = ?, event_types = ?, vm_ids = ?, instance_ids = ?, state = ?, "
      "state_detail = ?, failure_streak = CASE WHEN ? = 'active' AND state != 'active' THEN 0 ELSE failure_streak END, "
      "next_attempt_at_ms = CASE WHEN ? = 'active' AND state != 'active' THEN 0 ELSE next_attempt_at_ms END "
      "WHERE id = ?"));
  const std::string_view state = SubscriptionStateName(s.state);
  update.Bind(1, s.url).Bind(2, JsonList(s.event_types)).Bind(3, JsonList(s.vm_ids)).Bind(4, JsonList(s.instance_ids))
      .Bind(5, state).Bind(6, s.state_detail).Bind(7, state).Bind(8, state).Bind(9, s.id);
  VTPMD_RETURN_IF_ERROR(update.Run());
  return ExpectOneRow(update, s.id);
}

Status SubscriptionRecords::UpdateSecrets(const Subscription& s) {
  VTPMD_ASSIGN_OR_RETURN(auto update, store_.Prepare(
      "UPDATE subscriptions SET secret_sealed = ?, previous_secret_sealed = ?, previous_secret_until = ? "
      "WHERE id = ?"));
  update.Bind(1, ByteView(s.secret_sealed));
  if (s.previous_secret_sealed) {
    update.Bind(2, ByteView(*s.previous_secret_sealed));
  } else {
    update.BindNull(2);
  }
  if (s.previous_secret_until) {
    update.Bind(3, *s.previous_secret_until);
  } else {
    update.BindNull(3);
  }
  update.Bind(4, s.id);
  VTPMD_RETURN_IF_ERROR(update.Run());
  return ExpectOneRow(update, s.id);
}

Result<bool> SubscriptionRecords::Disable(std::string_view id, std::string_view detail) {
  VTPMD_ASSIGN_OR_RETURN(auto update, store_.Prepare(
      "UPDATE subscriptions SET state = 'disabled', state_detail = ? WHERE id = ? AND state = 'active'"));
  update.Bind(1, detail).Bind(2, id);
  VTPMD_RETURN_IF_ERROR(update.Run());
  return update.Changes() == 1;
}

Result<std::vector<std::string>> SubscriptionRecords::DisableOwnedBy(std::string_view owner_token,
                                                                    std::string_view detail) {
  std::vector<std::string> ids;
  {
    VTPMD_ASSIGN_OR_RETURN(auto select, store_.Prepare(
        "SELECT id FROM subscriptions WHERE owner_token = ? AND state != 'disabled'"));
    select.Bind(1, owner_token);
    while (true) {
      VTPMD_ASSIGN_OR_RETURN(bool row, select.Step());
      if (!row) break;
      ids.push_back(select.Text(0));
    }
  }
  VTPMD_ASSIGN_OR_RETURN(auto update, store_.Prepare(
      "UPDATE subscriptions SET state = 'disabled', state_detail = ? WHERE owner_token = ? AND state != 'disabled'"));
  VTPMD_RETURN_IF_ERROR(update.Bind(1, detail).Bind(2, owner_token).Run());
  return ids;
}

Status SubscriptionRecords::Delete(std::string_view id) {
  return store_.Transaction([&]() -> Status {
    VTPMD_ASSIGN_OR_RETURN(auto remove, store_.Prepare("DELETE FROM subscriptions WHERE id = ?"));
    remove.Bind(1, id);
    VTPMD_RETURN_IF_ERROR(remove.Run());
    VTPMD_RETURN_IF_ERROR(ExpectOneRow(remove, id));
    for (std::string_view table : {"delivery_attempts", "redeliveries"}) {
      VTPMD_ASSIGN_OR_RETURN(auto children,
                             store_.Prepare("DELETE FROM " + std::string(table) + " WHERE subscription_id = ?"));
      children.Bind(1, id);
      VTPMD_RETURN_IF_ERROR(children.Run());
    }
    return Ok();
  });
}

Result<bool> SubscriptionRecords::SaveProgress(const DeliveryProgress& p) {
  VTPMD_ASSIGN_OR_RETURN(auto update, store_.Prepare(
      "UPDATE subscriptions SET cursor = MAX(cursor, ?), head_attempts = ?, next_attempt_at_ms = ?, "
      "failure_streak = ? WHERE id = ?"));
  update.Bind(1, p.cursor).Bind(2, p.head_attempts).Bind(3, p.next_attempt_at_ms).Bind(4, p.failure_streak)
      .Bind(5, p.subscription_id);
  VTPMD_RETURN_IF_ERROR(update.Run());
  return update.Changes() > 0;  // a subscription deleted meanwhile has no progress to keep
}

Status SubscriptionRecords::AddAttempt(const DeliveryAttempt& a) {
  VTPMD_ASSIGN_OR_RETURN(auto insert, store_.Prepare(
      "INSERT INTO delivery_attempts(subscription_id, event_id, event_seq, attempt, attempted_at_ms, http_status, "
      "latency_us, error, outcome) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"));
  insert.Bind(1, a.subscription_id).Bind(2, a.event_id).Bind(3, a.event_seq).Bind(4, a.attempt)
      .Bind(5, a.attempted_at_ms);
  if (a.http_status) {
    insert.Bind(6, *a.http_status);
  } else {
    insert.BindNull(6);
  }
  insert.Bind(7, a.latency_us).Bind(8, a.error).Bind(9, AttemptOutcomeName(a.outcome));
  return insert.Run();
}

Result<std::int64_t> SubscriptionRecords::PruneAttempts(std::int64_t before_ms, std::size_t limit) {
  // Attempts are appended roughly in time order, so the oldest rows by seq are the
  // candidates; looking at no more than `limit` of them bounds each call's work.
  VTPMD_ASSIGN_OR_RETURN(auto prune, store_.Prepare(
      "DELETE FROM delivery_attempts WHERE seq IN (SELECT seq FROM delivery_attempts ORDER BY seq LIMIT ?) "
      "AND attempted_at_ms < ?"));
  prune.Bind(1, static_cast<std::int64_t>(limit)).Bind(2, before_ms);
  VTPMD_RETURN_IF_ERROR(prune.Run());
  return static_cast<std::int64_t>(prune.Changes());
}

Result<std::vector<DeliveryAttempt>> SubscriptionRecords::ListAttempts(std::string_view subscription_id,
                                                                       std::int64_t before_seq,
                                                                       std::size_t limit) const {
  VTPMD_ASSIGN_OR_RETURN(auto select, store_.Prepare(
      "SELECT seq, subscription_id, event_id, event_seq, attempt, attempted_at_ms, http_status, latency_us, error, "
      "outcome FROM delivery_attempts WHERE subscription_id = ? AND (? = 0 OR seq < ?) ORDER BY seq DESC LIMIT ?"));
  select.Bind(1, subscription_id).Bind(2, before_seq).Bind(3, before_seq).Bind(4, static_cast<std::int64_t>(limit));
  std::vector<DeliveryAttempt> out;
  while (true) {
    VTPMD_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) return out;
    DeliveryAttempt a;
    a.seq = select.Int(0);
    a.subscription_id = select.Text(1);
    a.event_id = select.Text(2);
    a.event_seq = select.Int(3);
    a.attempt = select.Int(4);
    a.attempted_at_ms = select.Int(5);
    if (!select.IsNull(6)) a.http_status = select.Int(6);
    a.latency_us = select.Int(7);
    a.error = select.Text(8);
    VTPMD_ASSIGN_OR_RETURN(a.outcome, OutcomeFromName(select.Text(9)));
    out.push_back(std::move(a));
  }
}

Result<std::int64_t> SubscriptionRecords::CountOwnedBy(std::string_view owner_token) const {
  VTPMD_ASSIGN_OR_RETURN(auto count, store_.Prepare("SELECT COUNT(*) FROM subscriptions WHERE owner_token = ?"));
  count.Bind(1, owner_token);
  VTPMD_ASSIGN_OR_RETURN(bool row, count.Step());
  return row ? count.Int(0) : 0;
}

Result<std::int64_t> SubscriptionRecords::CountRedeliveries(std::string_view subscription_id) const {
  VTPMD_ASSIGN_OR_RETURN(auto count, store_.Prepare("SELECT COUNT(*) FROM redeliveries WHERE subscription_id = ?"));
  count.Bind(1, subscription_id);
  VTPMD_ASSIGN_OR_RETURN(bool row, count.Step());
  return row ? count.Int(0) : 0;
}

Status SubscriptionRecords::AddRedelivery(const Redelivery& r) {
  VTPMD_ASSIGN_OR_RETURN(auto insert, store_.Prepare(
      "INSERT OR REPLACE INTO redeliveries(subscription_id, event_seq, requested_at) VALUES(?, ?, ?)"));
  insert.Bind(1, r.subscription_id).Bind(2, r.event_seq).Bind(3, r.requested_at);
  return insert.Run();
}

Result<std::vector<Redelivery>> SubscriptionRecords::ListRedeliveries(std::string_view subscription_id) const {
  VTPMD_ASSIGN_OR_RETURN(auto select, store_.Prepare(
      "SELECT subscription_id, event_seq, requested_at FROM redeliveries WHERE subscription_id = ? "
      "ORDER BY event_seq"));
  select.Bind(1, subscription_id);
  std::vector<Redelivery> out;
  while (true) {
    VTPMD_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) return out;
    out.push_back({select.Text(0), select.Int(1), select.Int(2)});
  }
}

Status SubscriptionRecords::RemoveRedelivery(std::string_view subscription_id, std::int64_t event_seq) {
  VTPMD_ASSIGN_OR_RETURN(auto remove,
                         store_.Prepare("DELETE FROM redeliveries WHERE subscription_id = ? AND event_seq = ?"));
  remove.Bind(1, subscription_id).Bind(2, event_seq);
  return remove.Run();
}

}  // namespace vtpmd::app
