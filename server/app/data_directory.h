#pragma once
// The data directory: created 0700, and locked so that two vtpmd processes never
// share one store or one simulated platform TPM.

#include <filesystem>
#include <memory>
#include <string_view>

#include "core/result.h"
#include "core/unique_fd.h"

namespace vtpmd::app {

class DataDirectory {
 public:
  static Result<std::unique_ptr<DataDirectory>> OpenAndLock(const std::filesystem::path& path);

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path File(std::string_view name) const { return path_ / name; }

  // Replaces `name` atomically (write to a temporary, fsync, rename) with the given mode.
  Status WriteFileAtomically(std::string_view name, std::string_view contents, unsigned mode) const;

 private:
  DataDirectory(std::filesystem::path path, UniqueFd lock) : path_(std::move(path)), lock_(std::move(lock)) {}

  std::filesystem::path path_;
  UniqueFd lock_;  // flock()ed while this object lives
};

}  // namespace vtpmd::app
