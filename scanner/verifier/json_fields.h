#pragma once
// Reading fields of GitLab's JSON answers without exceptions: a field of the wrong type is
// "absent", never a throw (an instance answer is untrusted input). Shared by the verifier and
// the audit's inventory reader.
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace glpatrol::json_fields {

inline std::optional<std::string> opt_string(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

inline std::string string_or_empty(const nlohmann::json& j, const char* key) {
  return opt_string(j, key).value_or(std::string());
}

inline std::optional<std::int64_t> opt_int(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<std::int64_t>();
}

inline std::optional<bool> opt_bool(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_boolean()) return std::nullopt;
  return it->get<bool>();
}

}  // namespace glpatrol::json_fields
