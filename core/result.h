#pragma once
// Errors are values: every fallible call on a request path returns Result<T> or
// Status, and the server translates an Error into an RFC 9457 problem exactly once.

#include <cassert>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace vtpmd {

enum class ErrorCode {
  kInvalidArgument,     // the caller's input is malformed or out of range (400)
  kUnauthenticated,     // no or bad credentials (401)
  kPermissionDenied,    // authenticated, wrong role (403)
  kNotFound,            // (404)
  kAlreadyExists,       // (409)
  kFailedPrecondition,  // the system is not in a state that allows this (409)
  kResourceExhausted,   // a limit was reached (413/429)
  kUnsupported,         // well-formed but not something we do (422)
  kUnsupportedMediaType,  // a body in a format the resource does not take (415)
  kUnavailable,         // a dependency (TPM, disk) is down; retry may help (503)
  kInternal,            // a bug or an invariant broken; details stay in the log (500)
};

std::string_view ErrorCodeName(ErrorCode code);

class [[nodiscard]] Error {
 public:
  Error(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Prefixes context the way a call stack would read: "loading CA keys: unseal: ...".
  Error WithContext(std::string_view context) const& {
    return Error(code_, std::string(context) + ": " + message_);
  }

 private:
  ErrorCode code_;
  std::string message_;
};

inline Error InvalidArgument(std::string m) { return {ErrorCode::kInvalidArgument, std::move(m)}; }
inline Error NotFound(std::string m) { return {ErrorCode::kNotFound, std::move(m)}; }
inline Error AlreadyExists(std::string m) { return {ErrorCode::kAlreadyExists, std::move(m)}; }
inline Error FailedPrecondition(std::string m) { return {ErrorCode::kFailedPrecondition, std::move(m)}; }
inline Error Unauthenticated(std::string m) { return {ErrorCode::kUnauthenticated, std::move(m)}; }
inline Error PermissionDenied(std::string m) { return {ErrorCode::kPermissionDenied, std::move(m)}; }
inline Error ResourceExhausted(std::string m) { return {ErrorCode::kResourceExhausted, std::move(m)}; }
inline Error Unsupported(std::string m) { return {ErrorCode::kUnsupported, std::move(m)}; }
inline Error UnsupportedMediaType(std::string m) { return {ErrorCode::kUnsupportedMediaType, std::move(m)}; }
inline Error Unavailable(std::string m) { return {ErrorCode::kUnavailable, std::move(m)}; }
inline Error Internal(std::string m) { return {ErrorCode::kInternal, std::move(m)}; }

template <typename T>
class [[nodiscard]] Result {
 public:
  static_assert(!std::is_same_v<T, Error>);
  Result(T value) : state_(std::move(value)) {}   // NOLINT: implicit by design
  Result(Error error) : state_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(state_); }
  const T& value() const& { assert(ok()); return std::get<0>(state_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const& { assert(!ok()); return std::get<1>(state_); }
  Error&& error() && { assert(!ok()); return std::get<1>(std::move(state_)); }

 private:
  std::variant<T, Error> state_;
};

// Status is Result<void>: success carries nothing.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), failed_(true) {}  // NOLINT: implicit by design

  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const Error& error() const& { assert(failed_); return error_; }
  Error&& error() && { assert(failed_); return std::move(error_); }

 private:
  Error error_{ErrorCode::kInternal, ""};
  bool failed_ = false;
};

using Status = Result<void>;
inline Status Ok() { return {}; }

}  // namespace vtpmd

#define VTPMD_CONCAT_INNER(a, b) a##b
#define VTPMD_CONCAT(a, b) VTPMD_CONCAT_INNER(a, b)

// Returns the error of `expr` from the enclosing function.
#define VTPMD_RETURN_IF_ERROR(expr) VTPMD_RETURN_IF_ERROR_IMPL(VTPMD_CONCAT(vtpmd_status_, __LINE__), expr)
// The line-unique name keeps -Wshadow quiet when a lambda using the macro sits
// inside a function that uses it too.
#define VTPMD_RETURN_IF_ERROR_IMPL(tmp, expr)   \
  do {                                          \
    auto tmp = (expr);                          \
    if (!tmp.ok()) return std::move(tmp).error(); \
  } while (false)

// Declares `lhs` from the value of `expr`, or returns its error.
#define VTPMD_ASSIGN_OR_RETURN(lhs, expr) \
  VTPMD_ASSIGN_OR_RETURN_IMPL(VTPMD_CONCAT(vtpmd_result_, __LINE__), lhs, expr)
#define VTPMD_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return std::move(tmp).error();     \
  lhs = std::move(tmp).value()
