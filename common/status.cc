#include "common/status.h"

#include <cstdarg>
#include <cstdio>
#include <vector>

namespace systole {

const char* StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "OK";
    case StatusCode::kInvalidArgument: return "INVALID_ARGUMENT";
    case StatusCode::kNotFound: return "NOT_FOUND";
    case StatusCode::kUnimplemented: return "UNIMPLEMENTED";
    case StatusCode::kFailedPrecondition: return "FAILED_PRECONDITION";
    case StatusCode::kOutOfRange: return "OUT_OF_RANGE";
    case StatusCode::kDataLoss: return "DATA_LOSS";
    case StatusCode::kUnavailable: return "UNAVAILABLE";
    case StatusCode::kDeadlineExceeded: return "DEADLINE_EXCEEDED";
    case StatusCode::kCancelled: return "CANCELLED";
    case StatusCode::kInternal: return "INTERNAL";
  }
  return "UNKNOWN";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  return std::string(StatusCodeName(code_)) + ": " + message_;
}

namespace {
std::string VFormat(const char* fmt, va_list ap) {
  va_list ap2;
  va_copy(ap2, ap);
  int n = std::vsnprintf(nullptr, 0, fmt, ap2);
  va_end(ap2);
  if (n < 0) return fmt;
  std::vector<char> buf(static_cast<size_t>(n) + 1);
  std::vsnprintf(buf.data(), buf.size(), fmt, ap);
  return std::string(buf.data(), static_cast<size_t>(n));
}
}  // namespace

std::string StrFormat(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  std::string s = VFormat(fmt, ap);
  va_end(ap);
  return s;
}

#define SYSTOLE_DEFINE_STATUS_CTOR(Name, Code) \
  Status Name(const char* fmt, ...) {          \
    va_list ap;                                \
    va_start(ap, fmt);                         \
    std::string s = VFormat(fmt, ap);          \
    va_end(ap);                                \
    return Status(StatusCode::Code, s);        \
  }
SYSTOLE_DEFINE_STATUS_CTOR(InvalidArgument, kInvalidArgument)
SYSTOLE_DEFINE_STATUS_CTOR(NotFound, kNotFound)
SYSTOLE_DEFINE_STATUS_CTOR(Unimplemented, kUnimplemented)
SYSTOLE_DEFINE_STATUS_CTOR(FailedPrecondition, kFailedPrecondition)
SYSTOLE_DEFINE_STATUS_CTOR(OutOfRange, kOutOfRange)
SYSTOLE_DEFINE_STATUS_CTOR(DataLoss, kDataLoss)
SYSTOLE_DEFINE_STATUS_CTOR(Unavailable, kUnavailable)
SYSTOLE_DEFINE_STATUS_CTOR(DeadlineExceeded, kDeadlineExceeded)
SYSTOLE_DEFINE_STATUS_CTOR(Cancelled, kCancelled)
SYSTOLE_DEFINE_STATUS_CTOR(Internal, kInternal)
#undef SYSTOLE_DEFINE_STATUS_CTOR

Status Annotate(const Status& s, const std::string& context) {
  if (s.ok()) return s;
  return Status(s.code(), context + ": " + s.message());
}

}  // namespace systole
