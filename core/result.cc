#include "core/result.h"

namespace vtpmd {

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return "invalid-argument";
    case ErrorCode::kUnauthenticated: return "unauthenticated";
    case ErrorCode::kPermissionDenied: return "permission-denied";
    case ErrorCode::kNotFound: return "not-found";
    case ErrorCode::kAlreadyExists: return "already-exists";
    case ErrorCode::kFailedPrecondition: return "failed-precondition";
    case ErrorCode::kResourceExhausted: return "resource-exhausted";
    case ErrorCode::kUnsupported: return "unsupported";
    case ErrorCode::kUnsupportedMediaType: return "unsupported-media-type";
    case ErrorCode::kUnavailable: return "unavailable";
    case ErrorCode::kInternal: return "internal";
  }
  return "internal";
}

}  // namespace vtpmd
