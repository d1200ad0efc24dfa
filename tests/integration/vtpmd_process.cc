#include "tests/integration/vtpmd_process.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <array>
#include <chrono>
#include <cstdio>
#include <thread>
#include <utility>

#include "core/file_io.h"

namespace vtpmd::testing {
namespace {

// Absent files read as empty: the ready file and logs appear while we poll.
std::string ReadFile(const std::filesystem::path& path) {
  auto text = ReadSmallFile(path, 64 * 1024 * 1024);
  return text.ok() ? std::move(*text) : std::string();
}

std::string ShellQuote(const std::string& arg) {
  std::string out = "'";
  for (char c : arg) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

int DecodeWaitStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  return -1;
}

}  // namespace

CommandResult RunCommand(const std::string& command) {
  CommandResult result{-1, ""};
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buf;
  while (std::size_t n = std::fread(buf.data(), 1, buf.size(), pipe)) result.output.append(buf.data(), n);
  result.exit_code = DecodeWaitStatus(::pclose(pipe));
  return result;
}

std::filesystem::path MakeTempDir(const std::string& prefix) {
  std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) return {};
  return pattern;
}

CommandResult RunVtpmdToExit(const std::vector<std::string>& args) {
  std::string command = ShellQuote(VTPMD_BINARY);
  for (const auto& arg : args) command += " " + ShellQuote(arg);
  return RunCommand("timeout 60 " + command);
}

Result<std::unique_ptr<VtpmdProcess>> VtpmdProcess::Start(const std::filesystem::path& data_dir,
                                                          const std::vector<std::string>& extra_args) {
  const std::filesystem::path ready = data_dir.string() + ".ready.json";
  const std::filesystem::path log = data_dir.string() + ".log";
  std::filesystem::remove(ready);
  std::vector<std::string> args = {VTPMD_BINARY,   "--data-dir",   data_dir.string(),
                                   "--socket-dir", data_dir.string() + "-sockets", "--listen",
                                   "127.0.0.1:0",  "--ready-file", ready.string()};
  args.insert(args.end(), extra_args.begin(), extra_args.end());

  const pid_t pid = ::fork();
  if (pid < 0) return Internal("fork failed");
  if (pid == 0) {
    std::FILE* out = std::fopen(log.c_str(), "a");
    if (out != nullptr) {
      ::dup2(fileno(out), STDOUT_FILENO);
      ::dup2(fileno(out), STDERR_FILENO);
    }
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  std::unique_ptr<VtpmdProcess> process(new VtpmdProcess(data_dir, extra_args, pid));
  // Generous: a sanitizer build generating a CA hierarchy and TPM keys is slow.
  for (int i = 0; i < 1200; ++i) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      process->pid_ = -1;
      return Unavailable("vtpmd exited with " + std::to_string(DecodeWaitStatus(status)) + ":\n" + ReadFile(log));
    }
    const std::string text = ReadFile(ready);
    boost::system::error_code ec;
    const auto json = boost::json::parse(text, ec);
    if (!ec && json.is_object() && json.as_object().contains("port")) {
      process->port_ = static_cast<std::uint16_t>(json.as_object().at("port").to_number<int>());
      return process;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return Unavailable("vtpmd did not become ready:\n" + ReadFile(log));
}

VtpmdProcess::~VtpmdProcess() {
  if (pid_ > 0) Kill();
}

std::string VtpmdProcess::admin_token() const {
  std::string token = ReadFile(admin_token_file());
  while (!token.empty() && token.back() == '\n') token.pop_back();
  return token;
}

std::string VtpmdProcess::log() const { return ReadFile(data_dir_.string() + ".log"); }

int VtpmdProcess::Stop() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return DecodeWaitStatus(status);
}

void VtpmdProcess::Kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

Status VtpmdProcess::Restart() {
  const int stopped = Stop();
  if (stopped != 0) return Internal("vtpmd exited with " + std::to_string(stopped) + " on SIGTERM:\n" + log());
  VTPMD_ASSIGN_OR_RETURN(std::unique_ptr<VtpmdProcess> again, Start(data_dir_, extra_args_));
  pid_ = std::exchange(again->pid_, -1);
  port_ = again->port_;
  return Ok();
}

Result<std::unique_ptr<http::HttpsClient>> VtpmdProcess::Client() const {
  http::ClientOptions options;
  options.host = "127.0.0.1";
  options.port = port_;
  options.ca_pem = ReadFile(root_ca_file());
  return http::HttpsClient::Connect(options);
}

}  // namespace vtpmd::testing
