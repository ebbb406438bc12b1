#pragma once
// Errors are values with context. Modules return Result<T>; nothing throws across module
// boundaries. `Error::kind` drives the exit code (usage/config/io errors -> 2).
#include <string>
#include <utility>
#include <variant>

namespace glpatrol {

enum class ErrorKind { Usage, Config, Io, Git, Engine, Network, Internal };

struct Error {
  ErrorKind kind = ErrorKind::Internal;
  std::string message;  ///< human-readable, already includes context ("rules/x.toml: line 3: ...")

  static Error usage(std::string m) { return {ErrorKind::Usage, std::move(m)}; }
  static Error config(std::string m) { return {ErrorKind::Config, std::move(m)}; }
  static Error io(std::string m) { return {ErrorKind::Io, std::move(m)}; }
  static Error git(std::string m) { return {ErrorKind::Git, std::move(m)}; }
  static Error engine(std::string m) { return {ErrorKind::Engine, std::move(m)}; }
  static Error internal(std::string m) { return {ErrorKind::Internal, std::move(m)}; }

  /// Prepends context: Error::io("denied").with_context("a.txt") -> "a.txt: denied".
  Error with_context(const std::string& ctx) const& { return {kind, ctx + ": " + message}; }
};

/// A tiny expected<T, Error> with the std::expected member names, to swap later.
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT: implicit by design
  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

/// Result<void>.
class Status {
 public:
  Status() = default;
  Status(Error e) : err_(std::move(e)), ok_(false) {}  // NOLINT: implicit by design
  static Status ok() { return {}; }
  bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return err_; }

 private:
  Error err_;
  bool ok_ = true;
};

}  // namespace glpatrol
