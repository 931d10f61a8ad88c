// The whole `ferry` program minus main(): parse the command line, print help or a usage
// error, or run the command. Returns the exit status (report.h: 0, 1 or 2).
//
// Writes normal output to `out`, errors to `err`; `produce` reads `stdin_fd`. Everything the
// program reads from its environment comes in through `env`, so tests can drive it.
#pragma once

#include <ostream>
#include <span>
#include <string>

#include "cli/brokers.h"

namespace ferry::cli {

// `args` excludes argv[0].
int run_cli(std::span<const std::string> args, const Environment& env, std::ostream& out,
            std::ostream& err, int stdin_fd);

// "0.1.0" (the CMake project version).
std::string_view ferry_version();

}  // namespace ferry::cli
