#pragma once
// Runs the real vtpmd binary for integration tests: a temporary data directory, port 0,
// the simulated platform TPM, and the ready file to learn the port and token path.

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "server/http/https_client.h"

namespace vtpmd::testing {

struct CommandResult {
  int exit_code;
  std::string output;  // stdout and stderr together
};

// Runs `command` through /bin/sh; output is captured.
CommandResult RunCommand(const std::string& command);

std::filesystem::path MakeTempDir(const std::string& prefix);

class VtpmdProcess {
 public:
  // Starts vtpmd with --data-dir `data_dir` --listen 127.0.0.1:0 plus `extra_args`
  // and waits until it is ready, or exits (Error carries its log).
  static Result<std::unique_ptr<VtpmdProcess>> Start(const std::filesystem::path& data_dir,
                                                     const std::vector<std::string>& extra_args = {});
  ~VtpmdProcess();

  std::uint16_t port() const { return port_; }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(port_); }
  const std::filesystem::path& data_dir() const { return data_dir_; }
  std::filesystem::path root_ca_file() const { return data_dir_ / "root-ca.pem"; }
  std::filesystem::path admin_token_file() const { return data_dir_ / "admin.token"; }
  std::string admin_token() const;
  std::string log() const;
  pid_t pid() const { return pid_; }

  // SIGTERM and wait; returns the exit status (or -signal).
  int Stop();
  // SIGKILL, as a crash would.
  void Kill();
  // Stop() and start again on the same data directory and flags; an error when the
  // stop was not clean or the start fails.
  Status Restart();

  Result<std::unique_ptr<http::HttpsClient>> Client() const;

 private:
  VtpmdProcess(std::filesystem::path data_dir, std::vector<std::string> extra_args, pid_t pid)
      : data_dir_(std::move(data_dir)), extra_args_(std::move(extra_args)), pid_(pid) {}

  std::filesystem::path data_dir_;
  std::vector<std::string> extra_args_;
  pid_t pid_;
  std::uint16_t port_ = 0;
};

// Runs vtpmd to completion (for start-up failures); output captured.
CommandResult RunVtpmdToExit(const std::vector<std::string>& args);

}  // namespace vtpmd::testing
