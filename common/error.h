// Errors as values.
//
// Ferry has two error channels (STYLE.md habit 4):
//  * expected failures travel as values: `Error` (a code plus a human message) inside a
//    `Result<T>`; both are [[nodiscard]], and ignoring one is spelled `(void)` or
//    `ignore_error(...)` so it can be grepped;
//  * broken invariants stop the process loudly through FERRY_ASSERT / FERRY_PANIC (assert.h).
//
// The code space is Kafka's protocol error codes (common/error_codes.def): almost every failure
// in Ferry ends up in front of a Kafka client as one of them, so internal modules speak them
// too (an I/O error is KAFKA_STORAGE_ERROR, a bad batch CORRUPT_MESSAGE, a Raft follower asked
// to write answers NOT_CONTROLLER). No exception crosses a module boundary.
#pragma once

#include <cstdint>
#include <new>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "common/assert.h"

namespace ferry {

enum class ErrorCode : int16_t {
#define FERRY_ERROR_CODE(name, code, retriable, message) name = code,
#include "common/error_codes.def"
#undef FERRY_ERROR_CODE
};

// Kafka's upper-case name ("NOT_LEADER_OR_FOLLOWER"); "UNKNOWN_ERROR_CODE(n)" for codes we
// do not know (returned as a static string for known codes).
std::string error_name(ErrorCode code);
// Kafka's default message for the code.
std::string_view error_default_message(ErrorCode code);
// Whether Kafka clients treat the code as retriable (Java's RetriableException).
bool error_is_retriable(ErrorCode code);
// Parses a code from its wire value; unknown values map to UNKNOWN_SERVER_ERROR.
ErrorCode error_code_from_int(int16_t value);
inline int16_t to_int(ErrorCode code) {
  return static_cast<int16_t>(code);
}

class [[nodiscard]] Error {
 public:
  Error(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}
  explicit Error(ErrorCode code) : code_(code), message_(error_default_message(code)) {}

  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "CORRUPT_MESSAGE: batch at position 4096 has CRC 0x1 but 0x2 was computed"
  std::string to_string() const;

  // Prefixes context to the message ("opening orders-3: " + message).
  Error with_context(std::string_view context) const&;

 private:
  ErrorCode code_;
  std::string message_;
};

// Result<T>: either a T or an Error. A small tagged union (g++ 12 has no std::expected).
template <typename T>
class [[nodiscard]] Result {
 public:
  using value_type = T;

  Result(const T& value) : ok_(true) { new (&value_) T(value); }               // NOLINT(implicit)
  Result(T&& value) : ok_(true) { new (&value_) T(std::move(value)); }         // NOLINT(implicit)
  Result(Error error) : ok_(false) { new (&error_) Error(std::move(error)); }  // NOLINT(implicit)
  template <typename U>
  requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::decay_t<U>, T> &&
           !std::is_same_v<std::decay_t<U>, Error> && !std::is_same_v<std::decay_t<U>, Result>)
      Result(U&& value)
      : ok_(true) {  // NOLINT(implicit)
    new (&value_) T(std::forward<U>(value));
  }

  Result(const Result& other) : ok_(other.ok_) {
    if (ok_) {
      new (&value_) T(other.value_);
    } else {
      new (&error_) Error(other.error_);
    }
  }
  Result(Result&& other) noexcept(std::is_nothrow_move_constructible_v<T>) : ok_(other.ok_) {
    if (ok_) {
      new (&value_) T(std::move(other.value_));
    } else {
      new (&error_) Error(std::move(other.error_));
    }
  }
  Result& operator=(Result other) noexcept(std::is_nothrow_move_constructible_v<T>) {
    destroy();
    ok_ = other.ok_;
    if (ok_) {
      new (&value_) T(std::move(other.value_));
    } else {
      new (&error_) Error(std::move(other.error_));
    }
    return *this;
  }
  ~Result() { destroy(); }

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }

  T& value() & {
    FERRY_ASSERT(ok_, "Result::value() on an error: {}", error_.to_string());
    return value_;
  }
  const T& value() const& {
    FERRY_ASSERT(ok_, "Result::value() on an error: {}", error_.to_string());
    return value_;
  }
  T&& value() && {
    FERRY_ASSERT(ok_, "Result::value() on an error: {}", error_.to_string());
    return std::move(value_);
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& {
    FERRY_ASSERT(!ok_, "Result::error() on a value");
    return error_;
  }
  Error&& error() && {
    FERRY_ASSERT(!ok_, "Result::error() on a value");
    return std::move(error_);
  }
  ErrorCode code() const { return ok_ ? ErrorCode::NONE : error_.code(); }

  T value_or(T fallback) const& { return ok_ ? value_ : std::move(fallback); }

 private:
  void destroy() {
    if (ok_) {
      value_.~T();
    } else {
      error_.~Error();
    }
  }

  bool ok_;
  union {
    T value_;
    Error error_;
  };
};

// Result<void>, also spelled Status: success or an Error.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT(implicit)

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const& {
    FERRY_ASSERT(!ok_, "Status::error() on success");
    return error_;
  }
  Error&& error() && {
    FERRY_ASSERT(!ok_, "Status::error() on success");
    return std::move(error_);
  }
  ErrorCode code() const { return ok_ ? ErrorCode::NONE : error_.code(); }

 private:
  Error error_{ErrorCode::NONE, std::string()};
  bool ok_ = true;
};

using Status = Result<void>;

inline Status ok_status() {
  return Status();
}

// The one spelling for deliberately dropping an error; greppable.
template <typename T>
inline void ignore_error(const Result<T>&) {}

}  // namespace ferry

// FERRY_TRY(expr): evaluate a Result/Status expression; return its Error from the enclosing
// function if it failed.
#define FERRY_TRY(expr)                                                       \
  do {                                                                        \
    auto&& ferry_try_result_ = (expr);                                        \
    if (!ferry_try_result_.ok()) return std::move(ferry_try_result_).error(); \
  } while (0)

#define FERRY_CONCAT_INNER(a, b) a##b
#define FERRY_CONCAT(a, b) FERRY_CONCAT_INNER(a, b)

// FERRY_ASSIGN_OR_RETURN(lhs, expr): `lhs = std::move(*expr)` or return the error.
#define FERRY_ASSIGN_OR_RETURN(lhs, expr) \
  FERRY_ASSIGN_OR_RETURN_IMPL(FERRY_CONCAT(ferry_result_, __LINE__), lhs, expr)
#define FERRY_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return std::move(tmp).error();     \
  lhs = std::move(tmp).value()
