#include "rules/examples.h"

#include <algorithm>
#include <map>
#include <vector>

#include "common/encoding.h"

namespace glpatrol {

namespace {

/// splitmix64: tiny deterministic generator; test data only, never for secrets.
struct Rng {
  std::uint64_t s;
  std::uint64_t next() {
    std::uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
};

std::string alphabet_of(std::string_view name) {
  const std::string upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ", lower = "abcdefghijklmnopqrstuvwxyz",
                    digits = "0123456789";
  if (name == "b64") return upper + lower + digits + "-_";
  if (name == "devise") {  // Devise.friendly_token never emits l, I, O or 0
    std::string a = upper + lower + digits + "-_", out;
    for (char c : a)
      if (c != 'l' && c != 'I' && c != 'O' && c != '0') out += c;
    return out;
  }
  if (name == "hex") return digits + "abcdef";
  if (name == "alnum") return upper + lower + digits;
  if (name == "b36") return digits + lower;
  return {};
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (true) {
    const std::size_t next = s.find(sep, pos);
    out.emplace_back(s.substr(pos, next == std::string_view::npos ? s.npos : next - pos));
    if (next == std::string_view::npos) break;
    pos = next + 1;
  }
  return out;
}

}  // namespace

Result<std::string> random_token_chars(std::string_view alphabet, std::size_t n, std::uint64_t seed) {
  const std::string a = alphabet_of(alphabet);
  if (a.empty()) return Error::config("unknown example alphabet '" + std::string(alphabet) + "'");
  Rng rng{seed};
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string out;
    for (std::size_t i = 0; i < n; ++i) out += a[rng.next() % a.size()];
    // Keep generated examples clearly random (mixed classes), like real Devise tokens.
    const bool has_digit = std::any_of(out.begin(), out.end(), [](char c) { return c >= '0' && c <= '9'; });
    const bool has_alpha =
        std::any_of(out.begin(), out.end(), [](char c) { return (c | 32) >= 'a' && (c | 32) <= 'z'; });
    if (n < 8 || (has_digit && has_alpha)) return out;
  }
  return Error::internal("could not generate example characters");
}

Result<std::string> make_routable_token(std::string_view prefix, std::string_view version,
                                        std::string_view routing, std::uint64_t seed, bool corrupt_crc) {
  std::map<std::string, std::string> kv;
  for (const auto& part : split(routing, ',')) {
    const auto eq = part.find('=');
    if (eq == std::string::npos || eq == 0)
      return Error::config("bad routing '" + std::string(routing) + "' (expected k=v,...)");
    kv[part.substr(0, eq)] = part.substr(eq + 1);
  }
  std::string payload;
  for (const auto& [k, v] : kv) {  // GitLab sorts the routing hash
    if (!payload.empty()) payload += '\n';
    payload += k + ":" + v;
  }
  if (payload.size() > 159) return Error::config("routing payload longer than 159 bytes");
  Rng rng{seed};
  std::string random(16, '\0');
  for (auto& c : random) c = static_cast<char>(rng.next() & 0xFF);
  std::string encodable;
  const bool versioned = version != "none";
  if (versioned) {
    encodable = random + payload + static_cast<char>(payload.size());
  } else {
    encodable = payload + random + static_cast<char>(16);
  }
  const std::string b64 = base64url_encode(encodable);
  std::string token = std::string(prefix) + b64 + ".";
  if (versioned) token += std::string(version) + ".";
  token += to_base36(b64.size(), 2);
  std::uint32_t crc = crc32(token);
  if (corrupt_crc) crc ^= 0x5A5A5A5Au;
  token += to_base36(crc, 7);
  return token;
}

Result<ExpandedExample> expand_example(std::string_view tmpl, std::uint64_t seed) {
  std::string out;
  std::size_t span_begin = std::string::npos, span_end = std::string::npos;
  std::uint64_t n_gen = 0;
  for (std::size_t i = 0; i < tmpl.size();) {
    if (tmpl.compare(i, 2, "<<") == 0 && span_begin == std::string::npos) {
      span_begin = out.size();
      i += 2;
      continue;
    }
    if (tmpl.compare(i, 2, ">>") == 0 && span_begin != std::string::npos && span_end == std::string::npos) {
      span_end = out.size();
      i += 2;
      continue;
    }
    if (tmpl.compare(i, 2, "{{") == 0) {
      const std::size_t close = tmpl.find("}}", i + 2);
      if (close == std::string_view::npos) return Error::config("unterminated {{ in example");
      const std::string spec(tmpl.substr(i + 2, close - i - 2));
      const auto parts = split(spec, ':');
      const std::uint64_t s = seed * 1000003u + (++n_gen);
      if (parts[0] == "routable" || parts[0] == "routable-badcrc") {
        if (parts.size() != 4) return Error::config("bad generator {{" + spec + "}}");
        auto tok = make_routable_token(parts[1], parts[2], parts[3], s, parts[0] == "routable-badcrc");
        if (!tok) return tok.error();
        out += *tok;
      } else if (parts[0] == "jwt") {
        const std::string iss = parts.size() > 1 ? parts[1] : "gitlab.example.com";
        auto rnd = random_token_chars("b64", 43, s);
        auto sub = random_token_chars("alnum", 6, s + 1);
        if (!rnd || !sub) return Error::internal("jwt example");
        out += base64url_encode(R"({"alg":"RS256","kid":"glpatrol-example","typ":"JWT"})");
        out += '.';
        out += base64url_encode(R"({"iss":")" + iss +
                                R"(","aud":"gitlab-authz-token","sub":"gid://gitlab/Ci::Build/)" + *sub +
                                R"(","exp":1893456000,"version":"0.1.0"})");
        out += '.';
        out += *rnd + *rnd;
      } else if (parts.size() == 2) {
        std::size_t n = 0;
        try {
          n = static_cast<std::size_t>(std::stoul(parts[1]));
        } catch (...) {
          return Error::config("bad generator {{" + spec + "}}");
        }
        auto chars = random_token_chars(parts[0], n, s);
        if (!chars) return chars.error();
        out += *chars;
      } else {
        return Error::config("bad generator {{" + spec + "}}");
      }
      i = close + 2;
      continue;
    }
    out += tmpl[i++];
  }
  if (span_begin == std::string::npos) {
    span_begin = 0;
    span_end = out.size();
  } else if (span_end == std::string::npos) {
    return Error::config("example has << without >>");
  }
  return ExpandedExample{out, span_begin, span_end};
}

}  // namespace glpatrol
