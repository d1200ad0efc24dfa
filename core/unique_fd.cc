#include "core/unique_fd.h"

#include <unistd.h>

namespace vtpmd {

void UniqueFd::Reset() {
  // close() is not retried on EINTR: on Linux the descriptor is gone either way,
  // and a retry could close a descriptor another thread just received.
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

}  // namespace vtpmd
