#pragma once
// Shared helpers for the libFuzzer targets in fuzz/. An oracle failure prints what broke
// (offsets, lengths, rule ids; never a generated token) and aborts, so libFuzzer saves the
// input as a crash reproducer.
#include <cstdarg>
#include <cstdio>
#include <cstdlib>

namespace glpatrol::fuzz {

[[noreturn]] inline void fail(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
[[noreturn]] inline void fail(const char* fmt, ...) {
  std::va_list ap;
  va_start(ap, fmt);
  std::fputs("ORACLE FAILURE: ", stderr);
  std::vfprintf(stderr, fmt, ap);
  std::fputc('\n', stderr);
  va_end(ap);
  std::abort();
}

#define GLP_FUZZ_CHECK(cond, ...)                     \
  do {                                                \
    if (!(cond)) ::glpatrol::fuzz::fail(__VA_ARGS__); \
  } while (0)

}  // namespace glpatrol::fuzz
