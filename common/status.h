// Status and StatusOr: the error currency of every Systole library.
//
// Contract: no exception crosses a module boundary. A function that can fail
// returns Status (or StatusOr<T>); the message names the object, the offending
// value and the rule it broke, e.g.
//   "tensor 12 ('conv1/w'): buffer index 40 out of range (model has 31 buffers)".
// TfLiteStatus is used only at the TensorFlow Lite ABI edge.
#ifndef SYSTOLE_COMMON_STATUS_H_
#define SYSTOLE_COMMON_STATUS_H_

#include <cstdarg>
#include <cstdio>
#include <string>
#include <utility>
#include <variant>

namespace systole {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,   // the caller's input (model, option, file) breaks a rule
  kNotFound,          // a named thing does not exist
  kUnimplemented,     // valid input this build does not support
  kFailedPrecondition,// a call out of lifecycle order
  kOutOfRange,        // an index or size outside its bounds
  kDataLoss,          // a truncated or corrupt file or reply
  kUnavailable,       // a device or transport is not there
  kInternal,          // a bug in Systole
  kDeadlineExceeded,  // a timeout expired before the operation completed
  kCancelled,         // the caller cancelled the operation
};

const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message)
      : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "INVALID_ARGUMENT: message" or "OK".
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// printf-style constructors.
#if defined(__GNUC__)
#define SYSTOLE_PRINTF_ATTR(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define SYSTOLE_PRINTF_ATTR(fmt, args)
#endif
std::string StrFormat(const char* fmt, ...) SYSTOLE_PRINTF_ATTR(1, 2);
Status InvalidArgument(const char* fmt, ...) SYSTOLE_PRINTF_ATTR(1, 2);
Status NotFound(const char* fmt, ...) SYSTOLE_PRINTF_ATTR(1, 2);
Status Unimplemented(const char* fmt, ...) SYSTOLE_PRINTF_ATTR(1, 2);
Status FailedPrecondition(const char* fmt, ...) SYSTOLE_PRINTF_ATTR(1, 2);
Status OutOfRange(const char* fmt, ...) SYSTOLE_PRINTF_ATTR(1, 2);
Status DataLoss(const char* fmt, ...) SYSTOLE_PRINTF_ATTR(1, 2);
Status Unavailable(const char* fmt, ...) SYSTOLE_PRINTF_ATTR(1, 2);
Status Internal(const char* fmt, ...) SYSTOLE_PRINTF_ATTR(1, 2);
Status DeadlineExceeded(const char* fmt, ...) SYSTOLE_PRINTF_ATTR(1, 2);
Status Cancelled(const char* fmt, ...) SYSTOLE_PRINTF_ATTR(1, 2);

// Prefixes the message with context: Annotate(s, "model.tflite") gives
// "model.tflite: <message>". OK stays OK.
Status Annotate(const Status& s, const std::string& context);

template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(const Status& status) : v_(status) {}  // NOLINT: implicit by design
  StatusOr(Status&& status) : v_(std::move(status)) {}  // NOLINT
  StatusOr(const T& value) : v_(value) {}  // NOLINT
  StatusOr(T&& value) : v_(std::move(value)) {}  // NOLINT

  bool ok() const { return std::holds_alternative<T>(v_); }
  Status status() const { return ok() ? Status() : std::get<Status>(v_); }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<Status, T> v_;
};

}  // namespace systole

#define SYSTOLE_CONCAT_INNER(a, b) a##b
#define SYSTOLE_CONCAT(a, b) SYSTOLE_CONCAT_INNER(a, b)

#define RETURN_IF_ERROR(expr)                        \
  do {                                               \
    ::systole::Status _systole_status = (expr);      \
    if (!_systole_status.ok()) return _systole_status; \
  } while (0)

#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return tmp.status();         \
  lhs = std::move(tmp).value()

#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(SYSTOLE_CONCAT(_systole_or_, __LINE__), lhs, expr)

#endif  // SYSTOLE_COMMON_STATUS_H_
