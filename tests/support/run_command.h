#pragma once
// Runs a shell command for a test that checks vtpmd against an independent tool.

#include <string>

namespace vtpmd::testing {

// `command` through sh with stderr folded into stdout, captured in `output` when
// given. The exit status, or -1 when it did not exit normally.
int RunCommand(const std::string& command, std::string* output = nullptr);

}  // namespace vtpmd::testing
