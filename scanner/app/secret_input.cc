#include "app/secret_input.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>

#include "common/echo.h"

namespace glpatrol {

Result<std::string> read_secret(const std::string& file, const char* env, std::string_view file_option) {
  std::string value;
  if (!file.empty()) {
    std::ifstream in(file, std::ios::binary);
    if (!in)
      return Error::usage(std::string(file_option) + ": cannot read '" + redact_token_shaped(file) + "'");
    std::getline(in, value);
  } else if (const char* e = std::getenv(env); e != nullptr) {
    value = e;
  }
  constexpr const char* kBlanks = " \t\r\n\f\v";
  const auto first = value.find_first_not_of(kBlanks);
  value = first == std::string::npos ? "" : value.substr(first, value.find_last_not_of(kBlanks) - first + 1);
  if (std::any_of(value.begin(), value.end(), [](unsigned char c) { return c < 0x21 || c > 0x7e; }))
    return Error::usage(std::string(file_option) + " / " + env +
                        ": the token holds characters a token cannot have");
  return value;
}

}  // namespace glpatrol
