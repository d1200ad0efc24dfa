#pragma once
// Shared by the vtpm tests: a private temporary directory (short, so AF_UNIX
// socket paths fit) and running the real command-line tools.

#include <filesystem>
#include <string>

#include "core/bytes.h"

namespace vtpmd::vtpm::testing {

class TempDir {
 public:
  TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Runs `command` through /bin/sh with output captured into `output`; returns the exit status.
int RunCommand(const std::string& command, std::string* output = nullptr);

Bytes ReadFileBytes(const std::filesystem::path& path);
void WriteFileBytes(const std::filesystem::path& path, ByteView data);

}  // namespace vtpmd::vtpm::testing
