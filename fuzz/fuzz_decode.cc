// Fuzz target: the decoding module (scanner/decode): hint search + decode_hits/decode_at,
// containers (for_each_member in memory and streamed), whole-content UTF-16, LFS pointers.
//
// Arbitrary bytes go into an exactly sized heap copy (so ASan sees any over-read). Half of the
// inputs also get a planted token: a GitLab prefix (or a fuzzer-chosen custom prefix from
// GitLab's charset) plus a 20-character body, base64-encoded (alphabet and padding chosen by
// the fuzzer), optionally line-wrapped, inserted at a fuzzer-chosen offset between newlines.
//
// Oracles: no crash, leak, hang or over-read; every view satisfies its contract (encoded span
// inside the content, anchors sorted, to_parent monotonic and inside the span, decoded size
// consistent with the span for its encoding); the budget is never overspent by more than one
// view; a planted token is found in some view; containers report only known fault reasons,
// never more bytes than the limits allow; an accepted LFS pointer has a valid oid.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "decode/decode.h"
#include "rules/rule.h"
#include "fuzz/fuzz_common.h"

using namespace glpatrol::decode;

namespace {

/// The built-in rules' token prefixes, as the scanner derives them (their keywords).
const std::vector<std::string>& prefixes() {
  static const std::vector<std::string> p =
      glpatrol::token_prefixes(glpatrol::RuleSet{glpatrol::builtin_rules(), {}});
  return p;
}

std::string b64(std::string_view in, bool url, bool pad) {
  const char* a = url ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                      : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16 | static_cast<unsigned char>(in[i + 1]) << 8 |
                       static_cast<unsigned char>(in[i + 2]);
    out += {a[v >> 18], a[(v >> 12) & 63], a[(v >> 6) & 63], a[v & 63]};
  }
  if (in.size() - i == 1) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16;
    out += {a[v >> 18], a[(v >> 12) & 63]};
    if (pad) out += "==";
  } else if (in.size() - i == 2) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16 | static_cast<unsigned char>(in[i + 1]) << 8;
    out += {a[v >> 18], a[(v >> 12) & 63], a[(v >> 6) & 63]};
    if (pad) out += "=";
  }
  return out;
}

void check_view(const View& v, std::size_t size) {
  GLP_FUZZ_CHECK(v.begin <= v.end && v.end <= size, "view span [%llu,%llu) outside %zu",
                 static_cast<unsigned long long>(v.begin), static_cast<unsigned long long>(v.end), size);
  GLP_FUZZ_CHECK(!v.anchors.empty(), "view without anchors");
  for (std::size_t i = 1; i < v.anchors.size(); ++i)
    GLP_FUZZ_CHECK(
        v.anchors[i - 1].unit <= v.anchors[i].unit && v.anchors[i - 1].parent <= v.anchors[i].parent,
        "anchors not sorted at %zu", i);
  std::uint64_t prev = v.begin;
  for (std::size_t d = 0; d <= v.bytes.size(); ++d) {
    const std::uint64_t p = v.to_parent(d);
    GLP_FUZZ_CHECK(p >= prev && p >= v.begin && p <= v.end,
                   "to_parent(%zu) = %llu not monotonic in [%llu,%llu]", d,
                   static_cast<unsigned long long>(p), static_cast<unsigned long long>(v.begin),
                   static_cast<unsigned long long>(v.end));
    prev = p;
  }
  const std::uint64_t span = v.end - v.begin;
  switch (v.encoding) {
    case Encoding::Base64:
      GLP_FUZZ_CHECK(v.bytes.size() <= span * 3 / 4 + 2, "base64 view: %zu bytes from %llu", v.bytes.size(),
                     static_cast<unsigned long long>(span));
      break;
    case Encoding::Utf16le:
    case Encoding::Utf16be:
      // A fragment is whole units; a whole-content view also spans a BOM and an odd last byte.
      GLP_FUZZ_CHECK(2 * v.bytes.size() <= span && span <= 2 * v.bytes.size() + 3,
                     "utf-16 view: %zu bytes from %llu", v.bytes.size(),
                     static_cast<unsigned long long>(span));
      break;
    case Encoding::Percent:
      GLP_FUZZ_CHECK(v.bytes.size() <= span, "percent view larger than its span");
      break;
    case Encoding::JsonEscape:
      GLP_FUZZ_CHECK(v.bytes.size() <= span, "json view larger than its span");
      break;
  }
}

const std::set<std::string> kReasons = {"encrypted",    "corrupt-archive", "truncated",
                                        "decoded-size", "member-size",     "ratio",
                                        "members",      "depth",           "unsupported"};

void check_containers(std::string_view data, std::size_t chunk) {
  ArchiveLimits lim;
  lim.max_member_size = 64u << 10;
  lim.max_ratio = 50;
  lim.ratio_grace = 64u << 10;
  for (int mode = 0; mode < 2; ++mode) {
    DecodeBudget budget;
    budget.max_decoded = 1u << 20;
    budget.max_members = 200;
    std::uint64_t delivered = 0;
    const MemberFn on_member = [&](const Member& m, const ReadFn& read) {
      GLP_FUZZ_CHECK(std::memchr(m.name.data(), '\0', m.name.size()) == nullptr, "member name with NUL");
      std::uint64_t here = 0;
      std::vector<char> buf(chunk);
      for (long n; (n = read(buf.data(), buf.size())) != 0;) {
        GLP_FUZZ_CHECK(n > 0 && static_cast<std::size_t>(n) <= buf.size(), "member read returned %ld", n);
        here += static_cast<std::uint64_t>(n);
      }
      GLP_FUZZ_CHECK(here <= lim.max_member_size, "member delivered %llu bytes",
                     static_cast<unsigned long long>(here));
      delivered += here;
      return true;
    };
    const FaultFn on_fault = [&](const Fault& f) {
      GLP_FUZZ_CHECK(kReasons.count(f.reason) == 1, "unknown fault reason '%s'", f.reason.c_str());
    };
    if (mode == 0) {
      GLP_FUZZ_CHECK(for_each_member(data, "fuzz.bin.gz", lim, budget, on_member, on_fault).has_value(),
                     "for_each_member failed");
    } else {
      std::size_t pos = 0;
      const ReadFn src = [&](char* b, std::size_t cap) -> long {
        const std::size_t n = std::min({cap, chunk, data.size() - pos});
        std::memcpy(b, data.data() + pos, n);
        pos += n;
        return static_cast<long>(n);
      };
      GLP_FUZZ_CHECK(for_each_member(src, "fuzz.zip", lim, budget, on_member, on_fault).has_value(),
                     "for_each_member (stream) failed");
    }
    GLP_FUZZ_CHECK(delivered <= budget.max_decoded && budget.decoded <= budget.max_decoded,
                   "delivered %llu, charged %llu of %llu", static_cast<unsigned long long>(delivered),
                   static_cast<unsigned long long>(budget.decoded),
                   static_cast<unsigned long long>(budget.max_decoded));
    GLP_FUZZ_CHECK(budget.members <= budget.max_members + 1, "members %llu",
                   static_cast<unsigned long long>(budget.members));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Parameters come from the input's tail (FuzzedDataProvider takes integers from the end),
  // so the head is the content as given: the seeds are files followed by 64 zero bytes.
  FuzzedDataProvider fdp(data, size);
  const bool plant = fdp.ConsumeBool();
  const bool url = fdp.ConsumeBool(), pad = fdp.ConsumeBool(), wrap = fdp.ConsumeBool();
  const std::size_t which = fdp.ConsumeIntegral<std::size_t>();
  const std::size_t at_sel = fdp.ConsumeIntegral<std::size_t>();
  const std::size_t hit_sel = fdp.ConsumeIntegral<std::size_t>();
  const std::size_t end_sel = fdp.ConsumeIntegral<std::size_t>();
  const std::size_t chunk = fdp.ConsumeIntegralInRange<std::size_t>(1, 9000);
  std::uint64_t custom_seed = fdp.ConsumeIntegral<std::uint64_t>();
  std::uint64_t body_seed = fdp.ConsumeIntegral<std::uint64_t>();
  std::string text = fdp.ConsumeRemainingBytesAsString();

  // A custom prefix from GitLab's charset (6..20 characters when the seed asks for one) and a
  // 20-character body, both drawn from the seeds.
  static constexpr char kPrefixChars[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_+=/@:.-";
  static constexpr char kBody[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz123456789_-";
  std::string cp;
  const std::size_t cp_len = custom_seed % 2 ? 6 + (custom_seed >> 1) % 15 : 0;
  for (std::size_t i = 0; i < cp_len;
       ++i, custom_seed = custom_seed * 6364136223846793005ull + 1442695040888963407ull)
    cp += kPrefixChars[(custom_seed >> 33) % (sizeof kPrefixChars - 1)];
  std::string body;
  for (std::size_t i = 0; i < 20;
       ++i, body_seed = body_seed * 6364136223846793005ull + 1442695040888963407ull)
    body += kBody[(body_seed >> 33) % (sizeof kBody - 1)];
  std::vector<std::string> ps = prefixes();
  if (!cp.empty()) ps.push_back(cp);
  static const std::vector<Hint> builtin_hints = hint_literals(prefixes());
  const std::vector<Hint> hints = cp.empty() ? builtin_hints : hint_literals(ps);

  std::string token;
  if (plant) {
    const std::string& prefix = ps[which % ps.size()];
    token = prefix + body;
    std::string enc = b64(token, url, pad);
    if (wrap) {
      std::string w;
      for (std::size_t i = 0; i < enc.size(); i += 16) w += enc.substr(i, 16) + "\n";
      enc = w;
    }
    const std::size_t at = text.empty() ? 0 : at_sel % (text.size() + 1);
    text.insert(at, "\n" + enc + "\n");
  }

  std::unique_ptr<char[]> exact(new char[text.size() + 1]);
  std::memcpy(exact.get(), text.data(), text.size());
  const std::string_view v(exact.get(), text.size());

  // Hints and decoding (the literal search; a wrapped plant is checked only when its prefix's
  // encoding fits the first 16-character line, see below).
  TextLimits lim;
  lim.context_before = 64;
  lim.max_view = 4096;
  DecodeBudget budget;
  budget.max_decoded = 1u << 20;
  const auto hits = find_hint_hits(v, hints);
  std::size_t fault_count = 0;
  const auto views = decode_hits(v, hints, hits, lim, budget, [&](const Fault& f) {
    GLP_FUZZ_CHECK(f.reason == "decoded-size", "text fault '%s'", f.reason.c_str());
    ++fault_count;
  });
  std::uint64_t total = 0;
  for (const auto& view : views) {
    check_view(view, v.size());
    total += view.bytes.size();
  }
  GLP_FUZZ_CHECK(total == budget.decoded, "budget %llu != views %llu",
                 static_cast<unsigned long long>(budget.decoded), static_cast<unsigned long long>(total));
  GLP_FUZZ_CHECK(fault_count <= 1, "%zu budget faults", fault_count);
  // A planted token is found unless the budget ran out first (thousands of chance hits on
  // inconsistent grids), or a wrap splits its prefix's encoding (hint_pattern's job).
  if (plant && fault_count == 0 && (!wrap || ps[which % ps.size()].size() <= 12)) {
    bool found = false;
    for (const auto& view : views) found |= view.bytes.find(token) != std::string::npos;
    GLP_FUZZ_CHECK(found, "planted token (prefix #%zu, %s, %s, %s) not decoded; %zu hits, %zu views",
                   which % ps.size(), url ? "url" : "std", pad ? "padded" : "unpadded",
                   wrap ? "wrapped" : "flat", hits.size(), views.size());
  }
  // decode_at with arbitrary hints and end offsets, past the end included.
  if (!hints.empty()) {
    const Hint& h = hints[hit_sel % hints.size()];
    const std::uint64_t end = end_sel % (v.size() + 2);
    if (const auto one = decode_at(v, h, end, lim)) check_view(*one, v.size());
  }

  // Containers, UTF-16, LFS on the same bytes.
  (void)sniff_container(v.substr(0, kSniffBytes));
  check_containers(v, chunk);
  if (const auto u = utf16_view(v)) {
    check_view(*u, v.size());
    GLP_FUZZ_CHECK(u->bytes.size() == (v.size() - utf16_bom_size(v)) / 2, "utf-16 view size");
  }
  if (const auto p = parse_lfs_pointer(v)) {
    GLP_FUZZ_CHECK(v.size() <= 1024 && p->oid.size() == 64 && !lfs_object_path("/r", p->oid).empty(),
                   "accepted LFS pointer with a bad oid");
  }
  return 0;
}
