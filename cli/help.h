// `--help` and `ferry help` text, generated from the command table (command_specs.h).
#pragma once

#include <string>
#include <string_view>

namespace ferry::cli {

// Help for "" (top level), a group ("topic") or a command ("topic create"). Precondition:
// `path` is one of those (args.h only produces such paths).
std::string render_help(std::string_view path);

}  // namespace ferry::cli
