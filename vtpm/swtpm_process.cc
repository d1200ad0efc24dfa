#include "vtpm/swtpm_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "core/file_io.h"
#include "core/unique_fd.h"
#include "core/unix_socket.h"

namespace vtpmd::vtpm {
namespace {

namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

constexpr auto kPollInterval = std::chrono::milliseconds(10);
constexpr std::size_t kLogTailBytes = 2048;
// The child finds its state key here; everything above it is closed before exec.
constexpr int kKeyFdInChild = 3;
// Parent-side fds are moved above the standard streams so that dup2 onto 0..3 in
// the child can never clobber one of them.
constexpr int kParentFdFloor = 10;

std::string ErrnoText(std::string_view what) {
  return std::string(what) + ": " + std::strerror(errno);
}

Result<UniqueFd> RaiseFd(int fd, std::string_view what) {
  UniqueFd original(fd);
  if (fd < 0) return Unavailable(ErrnoText(what));
  int raised = ::fcntl(fd, F_DUPFD_CLOEXEC, kParentFdFloor);
  if (raised < 0) return Unavailable(ErrnoText(what));
  return UniqueFd(raised);
}

// An invalid descriptor when nothing accepts at `path` (or the path cannot be one).
UniqueFd Connect(const fs::path& path) {
  const auto addr = UnixSocketAddress(path);
  if (!addr.ok()) return UniqueFd();
  UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (sock.valid() && ::connect(sock.get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof(*addr)) != 0) {
    sock.Reset();
  }
  return sock;
}

bool CanConnect(const fs::path& path) {
  return Connect(path).get() >= 0;
}

constexpr std::uint8_t kGetCapability[4] = {0, 0, 0, 1};  // answer: 8 bytes of capability flags

// One request/response exchange on a connection to one of swtpm's sockets. swtpm
// serves one client per socket at a time and leaves others in the listen backlog,
// so a busy socket shows as a timeout rather than a refused connection.
Result<Bytes> Request(const UniqueFd& sock, const fs::path& path, ByteView request, std::size_t response_size,
                      std::chrono::milliseconds timeout) {
  if (::send(sock.get(), request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
    return Unavailable(ErrnoText("sending to " + path.string()));
  }
  Bytes response(response_size);
  std::size_t received = 0;
  const auto deadline = SteadyClock::now() + timeout;
  while (received < response.size()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
    pollfd pfd{.fd = sock.get(), .events = POLLIN, .revents = 0};
    if (left.count() <= 0 || ::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) {
      return Unavailable("no answer on " + path.string() + " (another client holds it?)");
    }
    const ssize_t n = ::recv(sock.get(), response.data() + received, response.size() - received, 0);
    if (n <= 0) return Unavailable(path.string() + " closed the connection");
    received += static_cast<std::size_t>(n);
  }
  return response;
}

Result<Bytes> Exchange(const fs::path& path, ByteView request, std::size_t response_size,
                       std::chrono::milliseconds timeout) {
  UniqueFd sock = Connect(path);
  if (sock.get() < 0) return Unavailable(ErrnoText("connecting to " + path.string()));
  return Request(sock, path, request, response_size, timeout);
}

// swtpm listens before it has loaded (and decrypted) its state, so an accepted
// connection proves little. An answer to CMD_GET_CAPABILITY comes from its main
// loop, i.e. after the TPM initialized.
bool ControlChannelAnswers(const fs::path& ctrl_path, std::chrono::milliseconds timeout) {
  return Exchange(ctrl_path, kGetCapability, 8, timeout).ok();
}

// PR_SET_PDEATHSIG is tied to the thread that forked: were that a request worker
// or a supervision thread, its exit would SIGKILL a healthy swtpm. Every fork
// therefore runs on this thread, which lives until static destruction at exit.
class ForkThread {
 public:
  static ForkThread& Get() {
    static ForkThread thread;
    return thread;
  }
  ForkThread(const ForkThread&) = delete;
  ForkThread& operator=(const ForkThread&) = delete;

  // Runs `fork_child` there and returns its result.
  pid_t Run(std::function<pid_t()> fork_child) {
    std::packaged_task<pid_t()> task(std::move(fork_child));
    std::future<pid_t> pid = task.get_future();
    {
      std::lock_guard lock(mu_);
      tasks_.push_back(std::move(task));
    }
    cv_.notify_one();
    return pid.get();
  }

 private:
  ForkThread() : thread_([this] { Loop(); }) {}
  ~ForkThread() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }

  void Loop() {
    std::unique_lock lock(mu_);
    while (true) {
      cv_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
      if (tasks_.empty()) return;
      std::packaged_task<pid_t()> task = std::move(tasks_.front());
      tasks_.pop_front();
      lock.unlock();
      task();
      lock.lock();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::packaged_task<pid_t()>> tasks_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts once the members above exist
};

// Resolved before fork: execvp in the child could allocate.
Result<std::string> FindSwtpm() {
  const char* path_env = std::getenv("PATH");
  std::string_view dirs = path_env != nullptr ? path_env : "/usr/bin:/bin";
  while (true) {
    const std::size_t colon = dirs.find(':');
    const std::string_view dir = dirs.substr(0, colon);
    fs::path candidate = fs::path(dir.empty() ? "." : dir) / "swtpm";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    if (colon == std::string_view::npos) break;
    dirs.remove_prefix(colon + 1);
  }
  return Unavailable("swtpm executable not found in PATH");
}

// Writes the key into a pipe the child inherits. 32 bytes fit the pipe buffer,
// so the write completes before the child exists and the write end is closed
// (swtpm reads to EOF).
Result<UniqueFd> KeyPipe(const SecretBytes& key) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return Unavailable(ErrnoText("pipe for swtpm state key"));
  UniqueFd write_end(fds[1]);
  VTPMD_ASSIGN_OR_RETURN(UniqueFd read_end, RaiseFd(fds[0], "pipe for swtpm state key"));
  std::size_t written = 0;
  while (written < key.size()) {
    ssize_t n = ::write(write_end.get(), key.data() + written, key.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Unavailable(ErrnoText("writing swtpm state key"));
    written += static_cast<std::size_t>(n);
  }
  return read_end;
}

// Runs in the forked child: async-signal-safe calls only, never returns.
[[noreturn]] void ExecChild(pid_t parent, int dev_null, int key_fd, const std::string& swtpm,
                            std::vector<char*>& argv) {
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) ::_exit(126);
  // The parent may have died before prctl took effect; then nobody would kill us.
  if (::getppid() != parent) ::_exit(126);
  for (int stdfd = 0; stdfd <= 2; ++stdfd) {
    if (::dup2(dev_null, stdfd) < 0) ::_exit(126);
  }
  int first_to_close = kKeyFdInChild;
  if (key_fd >= 0) {
    if (::dup2(key_fd, kKeyFdInChild) < 0) ::_exit(126);
    first_to_close = kKeyFdInChild + 1;
  }
  ::close_range(static_cast<unsigned>(first_to_close), ~0U, 0);
  ::execv(swtpm.c_str(), argv.data());
  ::_exit(127);
}

}  // namespace

Result<std::unique_ptr<SwtpmProcess>> SwtpmProcess::Start(const SwtpmOptions& options) {
  const fs::path& dir = options.state_dir;
  if (dir.empty()) return InvalidArgument("swtpm state directory is empty");
  // swtpm splits its option values on commas.
  if (dir.string().find(',') != std::string::npos) {
    return InvalidArgument("swtpm state directory must not contain ',': " + dir.string());
  }
  if (options.state_key && options.state_key->size() != kStateKeySize) {
    return InvalidArgument("swtpm state key must be 32 bytes (AES-256)");
  }
  const fs::path& socket_dir = options.socket_dir.empty() ? dir : options.socket_dir;
  if (socket_dir.string().find(',') != std::string::npos) {
    return InvalidArgument("swtpm socket directory must not contain ',': " + socket_dir.string());
  }
  fs::path socket_path = socket_dir / "swtpm.sock";
  std::string ctrl_path = socket_path.string() + ".ctrl";
  if (ctrl_path.size() >= sizeof(sockaddr_un::sun_path)) {
    return InvalidArgument("swtpm socket path too long for AF_UNIX: " + ctrl_path);
  }
  // The state is the TPM's secrets and the sockets reach it: vtpmd's user only.
  VTPMD_RETURN_IF_ERROR(CreateDirectoryWithMode(dir));
  VTPMD_RETURN_IF_ERROR(CreateDirectoryWithMode(socket_dir));
  if (CanConnect(socket_path)) {
    return FailedPrecondition("another swtpm already serves " + socket_path.string());
  }
  // Sockets left behind by a crashed instance would make swtpm's bind() fail.
  std::error_code ignored;
  fs::remove(socket_path, ignored);
  fs::remove(ctrl_path, ignored);

  VTPMD_ASSIGN_OR_RETURN(std::string swtpm, FindSwtpm());
  VTPMD_ASSIGN_OR_RETURN(UniqueFd dev_null, RaiseFd(::open("/dev/null", O_RDWR | O_CLOEXEC), "/dev/null"));
  UniqueFd key_fd;
  if (options.state_key) {
    VTPMD_ASSIGN_OR_RETURN(key_fd, KeyPipe(*options.state_key));
  }

  std::vector<std::string> args = {
      swtpm,
      "socket",
      "--tpm2",
      "--tpmstate",
      "dir=" + dir.string(),
      "--server",
      "type=unixio,path=" + socket_path.string(),
      "--ctrl",
      "type=unixio,path=" + ctrl_path,
      "--flags",
      options.startup_clear ? "not-need-init,startup-clear" : "not-need-init",
      "--log",
      "file=" + (dir / "swtpm.log").string(),
  };
  if (options.state_key) {
    args.push_back("--key");
    args.push_back("fd=" + std::to_string(kKeyFdInChild) + ",format=binary,mode=aes-256-cbc");
  }
  // argv is built before fork: the child of a multi-threaded parent must not allocate.
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  std::error_code no_log;
  const auto log_size = fs::file_size(dir / "swtpm.log", no_log);
  const off_t log_start = no_log ? 0 : static_cast<off_t>(log_size);

  const pid_t parent = ::getpid();
  // errno is per thread: a failed fork reports it as the negated result.
  const pid_t pid = ForkThread::Get().Run([&] {
    const pid_t child = ::fork();
    if (child == 0) ExecChild(parent, dev_null.get(), key_fd.get(), swtpm, argv);
    return child < 0 ? -errno : child;
  });
  if (pid < 0) return Unavailable(std::string("fork for swtpm: ") + std::strerror(-pid));
  key_fd.Reset();

  std::unique_ptr<SwtpmProcess> process(
      new SwtpmProcess(pid, dir, std::move(socket_path), options.stop_timeout, log_start));
  Status ready = process->AwaitSockets(options.start_timeout);
  if (!ready.ok()) return std::move(ready).error();
  return process;
}

SwtpmProcess::~SwtpmProcess() {
  Stop();
}

bool SwtpmProcess::PollRunning() {
  if (reaped_) return false;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_ || (r < 0 && errno == ECHILD)) reaped_ = true;
  return !reaped_;
}

bool SwtpmProcess::Alive() {
  return PollRunning();
}

bool SwtpmProcess::Stop() {
  if (!PollRunning()) return true;
  ::kill(pid_, SIGTERM);
  const auto deadline = SteadyClock::now() + stop_timeout_;
  while (SteadyClock::now() < deadline) {
    if (!PollRunning()) return true;
    std::this_thread::sleep_for(kPollInterval);
  }
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  reaped_ = true;
  return false;
}

bool SwtpmProcess::Serving(const std::filesystem::path& socket_path) {
  return CanConnect(socket_path);
}

Status SwtpmProcess::ResetTpm(std::chrono::milliseconds timeout) {
  if (!PollRunning()) return Unavailable("swtpm is not running");
  // A request left in a busy socket's backlog still runs once the holder leaves.
  // So both sockets are probed with harmless requests first (TPM2_GetRandom: any
  // TPM response header will do), and CMD_INIT goes only over a control
  // connection that has already been answered.
  constexpr std::uint8_t kGetRandom8[12] = {0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x7b, 0, 8};
  constexpr std::size_t kTpmResponseHeader = 10;
  VTPMD_RETURN_IF_ERROR(Exchange(socket_path_, kGetRandom8, kTpmResponseHeader, timeout));
  const fs::path ctrl_path = socket_path_.string() + ".ctrl";
  UniqueFd ctrl = Connect(ctrl_path);
  if (ctrl.get() < 0) return Unavailable(ErrnoText("connecting to " + ctrl_path.string()));
  VTPMD_RETURN_IF_ERROR(Request(ctrl, ctrl_path, kGetCapability, 8, timeout));
  // CMD_INIT with PTM_INIT_FLAG_DELETE_VOLATILE; the answer is a u32 TPM result.
  constexpr std::uint8_t kInit[8] = {0, 0, 0, 2, 0, 0, 0, 1};
  VTPMD_ASSIGN_OR_RETURN(Bytes result, Request(ctrl, ctrl_path, kInit, 4, timeout));
  if (result != Bytes{0, 0, 0, 0}) {
    return Unavailable("swtpm refused CMD_INIT (result 0x" + HexEncode(result) + "); log: " + LogTail());
  }
  return Ok();
}

Status SwtpmProcess::AwaitSockets(std::chrono::milliseconds timeout) {
  const fs::path ctrl_path = socket_path_.string() + ".ctrl";
  const auto deadline = SteadyClock::now() + timeout;
  while (true) {
    if (!PollRunning()) {
      return Unavailable("swtpm exited during start-up; log: " + LogTail());
    }
    if (ControlChannelAnswers(ctrl_path, kPollInterval * 10) && CanConnect(socket_path_)) {
      return Ok();
    }
    if (SteadyClock::now() >= deadline) {
      Stop();
      return Unavailable("swtpm did not open its sockets within " + std::to_string(timeout.count()) +
                         " ms; log: " + LogTail());
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

std::string SwtpmProcess::LogTail() const {
  UniqueFd log(::open((state_dir_ / "swtpm.log").c_str(), O_RDONLY | O_CLOEXEC));
  if (log.get() < 0) return "(no swtpm.log)";
  const off_t size = ::lseek(log.get(), 0, SEEK_END);
  // A log shorter than before was started afresh, by this child.
  const off_t ours = size < log_start_ ? 0 : log_start_;
  if (size <= ours) return "(swtpm wrote nothing to swtpm.log)";
  const off_t start = std::max<off_t>(ours, size - static_cast<off_t>(kLogTailBytes));
  std::string tail(static_cast<std::size_t>(size - start), '\0');
  const ssize_t n = ::pread(log.get(), tail.data(), tail.size(), start);
  tail.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  return tail.empty() ? "(swtpm wrote nothing to swtpm.log)" : tail;
}

}  // namespace vtpmd::vtpm
