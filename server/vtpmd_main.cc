// vtpmd: the vTPM host manager, EK authority, privacy CA and attestation server.

#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <exception>

#include "server/app/application.h"
#include "server/app/config.h"
#include "server/app/log.h"

int main(int argc, char** argv) {
  // libtss2-mu logs every malformed structure it is handed; on a server that parses
  // hostile input that is a log flood. Errors reach us as values anyway.
  ::setenv("TSS2_LOG", "all+none", /*overwrite=*/0);
  // Each vTPM holds a few descriptors (relay sockets, its swtpm connection, the
  // guest's): a host with a thousand VMs needs more than the default soft limit.
  if (rlimit files{}; ::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &files);
  }
  using vtpmd::app::Log;
  using vtpmd::app::LogLevel;
  auto config = vtpmd::app::ParseConfig(argc, argv);
  if (!config.ok()) {
    if (config.error().code() == vtpmd::ErrorCode::kFailedPrecondition) {  // --help
      std::fputs(config.error().message().c_str(), stdout);
      return 0;
    }
    std::fprintf(stderr, "vtpmd: %s\n\n%s", config.error().message().c_str(), vtpmd::app::ConfigUsage().c_str());
    return 2;
  }
  // Errors are values throughout; this catch only turns an allocation failure or a
  // library bug into a clean exit instead of std::terminate.
  try {
    auto app = vtpmd::app::Application::Start(*config);
    if (!app.ok()) {
      Log(LogLevel::kError, "vtpmd cannot start: " + app.error().message());
      return 1;
    }
    (*app)->Run();
  } catch (const std::exception& e) {
    Log(LogLevel::kError, std::string("vtpmd stopped on an unexpected exception: ") + e.what());
    return 1;
  }
  return 0;
}
