// `ferry`: see cli/README.md. main() only gathers argv and the environment.
#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

#include "cli/app.h"

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  std::vector<std::string> args(argv + 1, argv + argc);
  return ferry::cli::run_cli(args, ferry::cli::environment_from_process(), std::cout, std::cerr,
                             STDIN_FILENO);
}
