// Invariant checks that stay on in release builds (TigerBeetle style): a broken invariant stops
// the process loudly, with file, line and context, rather than corrupting data or a replica.
// Expected failures are not asserted: they are Result/Error values (common/error.h).
#pragma once

#include <fmt/format.h>

#include <string>

namespace ferry::detail {
[[noreturn]] void panic(const char* file, int line, const char* condition, const std::string& msg);
}  // namespace ferry::detail

// FERRY_ASSERT(cond, "format {}", args...): abort with the formatted context if cond is false.
#define FERRY_ASSERT(cond, ...)                                                         \
  do {                                                                                  \
    if (__builtin_expect(!(cond), 0)) {                                                 \
      ::ferry::detail::panic(__FILE__, __LINE__, #cond, ::fmt::format("" __VA_ARGS__)); \
    }                                                                                   \
  } while (0)

// FERRY_PANIC("format {}", args...): unconditional stop.
#define FERRY_PANIC(...) \
  ::ferry::detail::panic(__FILE__, __LINE__, nullptr, ::fmt::format(__VA_ARGS__))
