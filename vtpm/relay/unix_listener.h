#pragma once
// A listening AF_UNIX stream socket at a path that only its owner may use (0600),
// removed again when the listener goes away.

#include <sys/types.h>

#include <filesystem>
#include <memory>

#include "core/result.h"
#include "core/unique_fd.h"

namespace vtpmd::vtpm {

class UnixListener {
 public:
  // Refuses a path that another process is listening on or that is not a socket;
  // a socket file left behind by a crashed vtpmd is replaced.
  static Result<std::unique_ptr<UnixListener>> Listen(const std::filesystem::path& path);

  UnixListener(const UnixListener&) = delete;
  UnixListener& operator=(const UnixListener&) = delete;
  // Unlinks the path only while it is still the socket this listener created, so
  // a successor bound to the same path keeps its socket.
  ~UnixListener();

  int fd() const { return fd_.get(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  UnixListener(UniqueFd fd, std::filesystem::path path, dev_t dev, ino_t ino)
      : fd_(std::move(fd)), path_(std::move(path)), dev_(dev), ino_(ino) {}

  UniqueFd fd_;
  std::filesystem::path path_;
  dev_t dev_;
  ino_t ino_;
};

}  // namespace vtpmd::vtpm
