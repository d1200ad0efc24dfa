#include "policy/store_attestation_history.h"

#include <cstdint>

namespace vtpmd::policy {

Result<std::optional<ClockSnapshot>> StoreAttestationHistory::Last(ByteView aik_name) {
  VTPMD_ASSIGN_OR_RETURN(
      Statement select,
      store_.Prepare("SELECT clock, reset_count, restart_count FROM attestation_history WHERE aik_name = ?"));
  select.Bind(1, aik_name);
  VTPMD_ASSIGN_OR_RETURN(bool found, select.Step());
  if (!found) return std::optional<ClockSnapshot>();
  return std::optional<ClockSnapshot>(ClockSnapshot{static_cast<std::uint64_t>(select.Int(0)),
                                                    static_cast<std::uint32_t>(select.Int(1)),
                                                    static_cast<std::uint32_t>(select.Int(2))});
}

// The clock is unsigned 64-bit but stored as SQLite's signed integer: a clock
// with the top bit set reads as negative, so "clock < 0" orders before the value.
Status StoreAttestationHistory::RecordIfLater(ByteView aik_name, const ClockSnapshot& snapshot) {
  VTPMD_ASSIGN_OR_RETURN(
      Statement upsert,
      store_.Prepare("INSERT INTO attestation_history(aik_name, clock, reset_count, restart_count) VALUES(?, ?, ?, ?) "
                     "ON CONFLICT(aik_name) DO UPDATE SET clock = excluded.clock, reset_count = excluded.reset_count, "
                     "restart_count = excluded.restart_count WHERE (excluded.reset_count, excluded.restart_count, "
                     "excluded.clock < 0, excluded.clock) > (reset_count, restart_count, clock < 0, clock)"));
  upsert.Bind(1, aik_name)
      .Bind(2, static_cast<std::int64_t>(snapshot.clock))
      .Bind(3, static_cast<std::int64_t>(snapshot.reset_count))
      .Bind(4, static_cast<std::int64_t>(snapshot.restart_count));
  return upsert.Run();
}

Result<ClockComparison> StoreAttestationHistory::Compare(ByteView aik_name, const ClockSnapshot& observed) {
  VTPMD_ASSIGN_OR_RETURN(std::optional<ClockSnapshot> last, Last(aik_name));
  return ClockComparison{last, CompareClock(last, observed)};
}

Result<ClockComparison> StoreAttestationHistory::CompareAndRecord(ByteView aik_name, const ClockSnapshot& observed) {
  ClockComparison comparison;
  VTPMD_RETURN_IF_ERROR(store_.Transaction([&]() -> Status {
    VTPMD_ASSIGN_OR_RETURN(comparison.last, Last(aik_name));
    comparison.order = CompareClock(comparison.last, observed);
    // Nothing to write when the snapshot is refused or repeats the last one.
    if (!IsAcceptable(comparison.order) || comparison.last == observed) return Ok();
    return RecordIfLater(aik_name, observed);
  }));
  return comparison;
}

}  // namespace vtpmd::policy
