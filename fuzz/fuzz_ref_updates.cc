// Fuzz target: the pre-receive / pre-push input parser (parse_ref_updates). On a GitLab
// server this text comes from the push, so it must never crash, hang or accept a malformed
// line.
//
// The first byte picks the format (pre-receive "<old> <new> <ref>" or pre-push "<local ref>
// <local oid> <remote ref> <remote oid>"); the rest is the hook's stdin. Half of the inputs are
// also rebuilt from well-formed lines (fuzzer-chosen ids, ref names, separators, CRLF) so the
// accept path is exercised as much as the reject path.
//
// Oracle: an independent, deliberately naive re-implementation of the contract in
// ref_updates.h. Both must agree on accept/reject, and on every accepted update (ids, ref,
// deletion/creation). Errors must carry a message.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fuzz/fuzz_common.h"
#include "sources/git/ref_updates.h"

using namespace glpatrol;

namespace {

bool hex_id(const std::string& s) {
  if (s.size() != 40 && s.size() != 64) return false;
  for (char c : s)
    if (!(('0' <= c && c <= '9') || ('a' <= c && c <= 'f'))) return false;
  return true;
}

// The contract, written the slow obvious way: split on '\n', drop one trailing '\r', split
// fields on runs of ' '/'\t', skip empty lines.
std::optional<std::vector<RefUpdate>> reference_parse(const std::string& text, bool pre_push) {
  std::vector<RefUpdate> out;
  std::vector<std::string> lines;
  std::string cur;
  for (char c : text) {
    if (c == '\n') {
      lines.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) lines.push_back(cur);
  for (std::string line : lines) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::vector<std::string> f;
    std::string w;
    for (char c : line + " ") {
      if (c == ' ' || c == '\t') {
        if (!w.empty()) f.push_back(w);
        w.clear();
      } else {
        w += c;
      }
    }
    if (f.empty()) continue;
    if (out.size() >= kMaxRefUpdates) return std::nullopt;
    if (f.size() != (pre_push ? 4u : 3u)) return std::nullopt;
    RefUpdate u{pre_push ? f[3] : f[0], f[1], f[2]};
    if (!hex_id(u.old_id) || !hex_id(u.new_id) || u.old_id.size() != u.new_id.size()) return std::nullopt;
    out.push_back(u);
  }
  return out;
}

std::string make_id(FuzzedDataProvider& fdp) {
  const std::size_t n = fdp.ConsumeBool() ? 40 : 64;
  switch (fdp.ConsumeIntegralInRange<int>(0, 5)) {
    case 0:
      return std::string(n, '0');  // creation / deletion
    case 1:
      return std::string(n - 1, 'a');  // short
    case 2:
      return std::string(n, 'A');  // uppercase is refused
    default: {
      std::string s;
      for (std::size_t i = 0; i < n; ++i) s += "0123456789abcdef"[fdp.ConsumeIntegral<std::uint8_t>() % 16];
      return s;
    }
  }
}

std::string make_lines(FuzzedDataProvider& fdp, bool pre_push) {
  std::string text;
  const int lines = fdp.ConsumeIntegralInRange<int>(0, 8);
  for (int i = 0; i < lines; ++i) {
    const std::string sep = fdp.PickValueInArray({" ", "\t", "  ", " \t"});
    const std::string ref = "refs/heads/" + fdp.ConsumeRandomLengthString(24);
    if (pre_push)
      text += ref + sep + make_id(fdp) + sep + ref + sep + make_id(fdp);
    else
      text += make_id(fdp) + sep + make_id(fdp) + sep + ref;
    text += fdp.PickValueInArray({"\n", "\r\n", "\n\n", ""});
    if (text.back() != '\n') text += '\n';
  }
  return text;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider fdp(data, size);
  const bool pre_push = fdp.ConsumeBool();
  const bool structured = fdp.ConsumeBool();
  const std::string text = structured ? make_lines(fdp, pre_push) : fdp.ConsumeRemainingBytesAsString();

  const auto got = parse_ref_updates(text, pre_push);
  const auto want = reference_parse(text, pre_push);
  GLP_FUZZ_CHECK(got.has_value() == want.has_value(), "parser %s, reference %s (%zu bytes, %s)",
                 got ? "accepted" : "rejected", want ? "accepted" : "rejected", text.size(),
                 pre_push ? "pre-push" : "pre-receive");
  if (!got) {
    GLP_FUZZ_CHECK(!got.error().message.empty(), "rejection without a message");
    return 0;
  }
  GLP_FUZZ_CHECK(got->size() == want->size(), "%zu updates, reference %zu", got->size(), want->size());
  for (std::size_t i = 0; i < got->size(); ++i) {
    const RefUpdate& g = (*got)[i];
    const RefUpdate& w = (*want)[i];
    GLP_FUZZ_CHECK(g.old_id == w.old_id && g.new_id == w.new_id && g.ref == w.ref,
                   "update %zu differs from the reference", i);
    GLP_FUZZ_CHECK(g.is_deletion() == (g.new_id.find_first_not_of('0') == std::string::npos),
                   "update %zu: is_deletion wrong", i);
    GLP_FUZZ_CHECK(g.is_creation() == (g.old_id.find_first_not_of('0') == std::string::npos),
                   "update %zu: is_creation wrong", i);
    GLP_FUZZ_CHECK(!g.ref.empty() && g.ref.find_first_of(" \t\n") == std::string::npos,
                   "update %zu: ref holds a separator", i);
  }
  return 0;
}
