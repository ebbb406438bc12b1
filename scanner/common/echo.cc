#include "common/echo.h"

#include <cstddef>

#include "common/encoding.h"

namespace glpatrol {

namespace {

bool word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/// Length of the kind prefix of a token-shaped `word`, or npos when the word is not token-shaped.
std::size_t token_prefix(std::string_view w) {
  constexpr std::size_t kBodyAfterPrefix = 16, kGeneric = 20;
  // "gl" + 1..10 lower-case letters + "-" (glpat-, glrt-, glcbt-, glagent-, ...).
  if (w.size() > 3 && w[0] == 'g' && w[1] == 'l') {
    std::size_t i = 2;
    while (i < w.size() && i < 12 && w[i] >= 'a' && w[i] <= 'z') ++i;
    if (i > 2 && i < w.size() && w[i] == '-' && w.size() - (i + 1) >= kBodyAfterPrefix) return i + 1;
  }
  constexpr std::string_view kRunnerRegistration = "GR1348941";
  if (w.substr(0, kRunnerRegistration.size()) == kRunnerRegistration &&
      w.size() - kRunnerRegistration.size() >= kBodyAfterPrefix)
    return kRunnerRegistration.size();
  if (w.size() < kGeneric) return std::string_view::npos;
  bool upper = false, lower = false, digit = false;
  for (char c : w) {
    upper |= c >= 'A' && c <= 'Z';
    lower |= c >= 'a' && c <= 'z';
    digit |= c >= '0' && c <= '9';
  }
  if (!(upper && lower && digit)) return std::string_view::npos;
  // A custom instance prefix ("inst-glpat-"): keep the part up to the last '-' within 24 bytes.
  const std::size_t dash = w.substr(0, 24).rfind('-');
  return dash == std::string_view::npos ? 0 : dash + 1;
}

template <typename OnWord>
void for_each_word(std::string_view text, OnWord&& on_word) {
  std::size_t i = 0;
  while (i < text.size()) {
    if (!word_char(text[i])) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < text.size() && word_char(text[j])) ++j;
    on_word(i, j);
    i = j;
  }
}

}  // namespace

bool contains_token_shaped(std::string_view text) {
  bool found = false;
  for_each_word(text, [&](std::size_t b, std::size_t e) {
    found |= token_prefix(text.substr(b, e - b)) != std::string_view::npos;
  });
  return found;
}

std::string redact_token_shaped(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t copied = 0;
  for_each_word(text, [&](std::size_t b, std::size_t e) {
    const std::size_t keep = token_prefix(text.substr(b, e - b));
    if (keep == std::string_view::npos) return;
    out.append(text.substr(copied, b + keep - copied));
    out += "****";
    copied = e;
  });
  out.append(text.substr(copied));
  return out;
}

std::string terminal_message(std::string_view text) { return escape_for_terminal(redact_token_shaped(text)); }

}  // namespace glpatrol
