// Fuzz target: the matcher on arbitrary bytes, with a planted-token oracle.
//
// The input is split by FuzzedDataProvider into control values (taken from the end) and filler
// bytes (the rest). Up to 4 built-in rule examples (rules/gitlab.toml, expanded at run time with
// a fuzzer-chosen seed exactly as `glpatrol rules check` does) are planted into the filler at
// fuzzer-chosen offsets, each framed by '\n' so that no rule can join it with filler bytes;
// offsets are biased towards scan_stream's chunk boundaries.
//
// Oracles:
//  1. Isolation: each example, scanned alone, yields its rule at its marked span
//     (what `rules check` asserts for one seed, here for any seed).
//  2. Planting: every match the example yields alone is found again, exactly once, at the
//     shifted offsets, with the same rule, secret, column and an independently computed line.
//  3. Streaming: scan_stream with fuzzer-chosen chunk sizes and read sizes (down to 1 byte per
//     read) returns exactly the matches of the whole-blob scan.
//  4. Invariants for every match: in bounds, secret == the bytes at the span, sorted and
//     non-overlapping, and the redacted form never contains the token.
//  5. Hint gate: HintGate::find_runs on every instruction set the CPU has equals the
//     byte-by-byte runs, and the scan's hint hits are exactly the literal occurrences in
//     those runs read without their line breaks (HintGate::hint_hits_bytewise).
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "decode/text.h"
#include "fuzz/fuzz_common.h"
#include "matcher/hint_gate.h"
#include "matcher/matcher.h"
#include "findings/finding.h"
#include "rules/rule.h"
#include "rules/examples.h"

using namespace glpatrol;

namespace {

struct Example {
  std::uint32_t rule;
  std::string tmpl;
};

struct Env {
  RuleDb* db = nullptr;
  Matcher* matcher = nullptr;
  std::vector<Example> examples;
  std::size_t overlap = 0;  // scan_stream's overlap: max_width + 64
};

Env& env() {
  static Env* e = [] {
    auto* out = new Env;
    RuleSet set;
    set.rules = builtin_rules();
    auto db = RuleDb::build(std::move(set));
    if (!db) fuzz::fail("built-in rules do not compile: %s", db.error().message.c_str());
    out->db = new RuleDb(std::move(*db));
    auto m = Matcher::create(*out->db);
    if (!m) fuzz::fail("no matcher: %s", m.error().message.c_str());
    out->matcher = new Matcher(std::move(*m));
    for (std::uint32_t i = 0; i < out->db->rules().size(); ++i)
      for (const auto& t : out->db->rule(i).examples) out->examples.push_back({i, t});
    out->overlap = out->db->max_width() + 64;
    return out;
  }();
  return *e;
}

/// Independent line computation with the documented semantics: "\r\n", "\r" and "\n" each end
/// one line.
std::uint64_t line_at(std::string_view buf, std::size_t pos) {
  std::uint64_t line = 1;
  for (std::size_t i = 0; i < pos; ++i) {
    if (buf[i] == '\r')
      ++line;
    else if (buf[i] == '\n' && (i == 0 || buf[i - 1] != '\r'))
      ++line;
  }
  return line;
}

bool same(const LocatedMatch& a, const LocatedMatch& b) {
  return a.match.rule == b.match.rule && a.match.start == b.match.start && a.match.end == b.match.end &&
         a.match.secret_start == b.match.secret_start && a.match.checksum == b.match.checksum &&
         a.match.attributes == b.match.attributes && a.secret == b.secret && a.line == b.line &&
         a.column == b.column && a.end_line == b.end_line && a.end_column == b.end_column &&
         a.inline_allow == b.inline_allow;
}

void check_invariants(const Env& e, std::string_view buf, const std::vector<LocatedMatch>& out,
                      const char* mode) {
  std::uint64_t prev_end = 0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const Match& m = out[i].match;
    GLP_FUZZ_CHECK(m.rule < e.db->rules().size(), "%s: match %zu has rule %u", mode, i, m.rule);
    GLP_FUZZ_CHECK(m.start < m.end && m.end <= buf.size(), "%s: match %zu span [%llu,%llu) outside [0,%zu)",
                   mode, i, (unsigned long long)m.start, (unsigned long long)m.end, buf.size());
    GLP_FUZZ_CHECK(m.secret_start >= m.start && m.secret_start < m.end,
                   "%s: match %zu secret_start %llu outside span", mode, i,
                   (unsigned long long)m.secret_start);
    GLP_FUZZ_CHECK(out[i].secret == buf.substr(m.secret_start, m.end - m.secret_start),
                   "%s: match %zu secret differs from the bytes at its span", mode, i);
    GLP_FUZZ_CHECK(i == 0 || m.start >= prev_end, "%s: match %zu overlaps or is out of order", mode, i);
    prev_end = m.end;
    GLP_FUZZ_CHECK(out[i].line >= 1 && out[i].column >= 1 && out[i].end_line >= out[i].line,
                   "%s: match %zu has location %llu:%llu-%llu:%llu", mode, i, (unsigned long long)out[i].line,
                   (unsigned long long)out[i].column, (unsigned long long)out[i].end_line,
                   (unsigned long long)out[i].end_column);
    // The prefix choice mirrors ScanStep::make_finding: the kind prefix, else the routable one.
    std::string prefix = token_kind_prefix(out[i].secret);
    for (const auto& [k, v] : m.attributes)
      if (k == "routable.prefix" && prefix.empty()) prefix = v;
    const std::string redacted = redact_token(out[i].secret, prefix);
    GLP_FUZZ_CHECK(redacted.find(out[i].secret) == std::string::npos,
                   "%s: match %zu (%s): redacted form contains the token", mode, i,
                   e.db->rule(m.rule).id.c_str());
  }
}

struct Plant {
  std::size_t pos;    // insertion offset in the filler
  std::size_t index;  // into Env::examples
  std::string text;   // "\n" + example + "\n"
  std::vector<LocatedMatch> alone;
  std::size_t at = 0;  // final offset of text in the buffer
};

/// Oracle 5 (after m.scan(buf)): the gate's runs and the hint hits.
void check_hint_gate(const Env& e, const Matcher& m, const std::string& buf) {
  const HintGate& gate = e.db->hint_gate();
  if (!gate.enabled()) return;
  std::vector<HintGate::Run> want;
  gate.find_runs_bytewise(buf, want);
  for (auto isa : {HintGate::Isa::Portable, HintGate::Isa::Avx2, HintGate::Isa::Avx512}) {
    HintGate g = gate;
    if (!g.force_isa(isa)) continue;
    std::vector<HintGate::Run> got;
    g.find_runs(buf, got);
    GLP_FUZZ_CHECK(got.size() == want.size(), "hint gate (isa %d): %zu runs, byte by byte %zu",
                   static_cast<int>(isa), got.size(), want.size());
    for (std::size_t i = 0; i < got.size(); ++i)
      GLP_FUZZ_CHECK(got[i].begin == want[i].begin && got[i].end == want[i].end,
                     "hint gate (isa %d): run %zu is [%zu,%zu), byte by byte [%zu,%zu)",
                     static_cast<int>(isa), i, got[i].begin, got[i].end, want[i].begin, want[i].end);
  }
  const auto expected = gate.hint_hits_bytewise(buf, e.db->hints());
  std::vector<std::pair<std::uint32_t, std::uint64_t>> found;
  for (const auto& h : m.hint_hits()) found.emplace_back(h.hint, h.end);
  std::sort(found.begin(), found.end());
  GLP_FUZZ_CHECK(found == expected, "hint hits: %zu found, %zu literal occurrences inside runs", found.size(),
                 expected.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Env& e = env();
  Matcher& m = *e.matcher;
  FuzzedDataProvider fdp(data, size);

  // Controls (consumed from the end of the input).
  const std::size_t chunk_req = fdp.ConsumeIntegralInRange<std::size_t>(1, 1u << 16);
  const std::size_t chunk = std::max(chunk_req, e.overlap * 4);  // scan_stream's clamp
  const std::size_t max_read = fdp.ConsumeIntegralInRange<std::size_t>(1, 1u << 16);
  std::uint32_t read_rng = fdp.ConsumeIntegral<std::uint32_t>();
  // Large inputs are slow under ASan: stretch the filler past chunk boundaries 1 time in 4.
  const bool stretch = fdp.ConsumeIntegralInRange<int>(0, 3) == 0;
  const std::size_t stretch_to = stretch ? fdp.ConsumeIntegralInRange<std::size_t>(0, 160000) : 0;
  const int n_plants = fdp.ConsumeIntegralInRange<int>(0, 4);
  struct PlantCtl {
    std::size_t index;
    std::uint32_t seed;
    bool near_boundary;
    std::uint32_t where;
    std::uint8_t delta;
  };
  std::vector<PlantCtl> ctl;
  for (int i = 0; i < n_plants; ++i) {
    PlantCtl c{};
    c.index = fdp.ConsumeIntegralInRange<std::size_t>(0, e.examples.size() - 1);
    c.seed = fdp.ConsumeIntegral<std::uint32_t>();
    c.near_boundary = fdp.ConsumeBool();
    c.where = fdp.ConsumeIntegral<std::uint32_t>();
    c.delta = fdp.ConsumeIntegral<std::uint8_t>();
    ctl.push_back(c);
  }
  std::string filler = fdp.ConsumeRemainingBytesAsString();
  if (!filler.empty() && stretch_to > filler.size()) {
    std::string big;
    big.reserve(stretch_to);
    while (big.size() < stretch_to) big.append(filler, 0, std::min(filler.size(), stretch_to - big.size()));
    filler = std::move(big);
  }

  // Plants: expand, check in isolation (oracle 1), choose offsets.
  std::vector<Plant> plants;
  std::vector<LocatedMatch> tmp;
  for (const auto& c : ctl) {
    const Example& ex = e.examples[c.index];
    auto exp = expand_example(ex.tmpl, c.seed);
    if (!exp)
      fuzz::fail("example %zu of rule %s does not expand: %s", c.index, e.db->rule(ex.rule).id.c_str(),
                 exp.error().message.c_str());
    Plant p;
    p.index = c.index;
    p.text = "\n" + exp->text + "\n";
    tmp.clear();
    (void)m.scan(p.text, tmp);
    bool hit = false;
    for (const auto& lm : tmp)
      hit |= lm.match.rule == ex.rule && lm.match.start == exp->span_begin + 1 &&
             lm.match.end == exp->span_end + 1;
    GLP_FUZZ_CHECK(hit,
                   "isolation: example %zu of rule %s (seed %u, template `%s`) not found at "
                   "[%zu,%zu); %zu other match(es)",
                   c.index, e.db->rule(ex.rule).id.c_str(), c.seed, ex.tmpl.c_str(), exp->span_begin,
                   exp->span_end, tmp.size());
    p.alone = tmp;
    if (c.near_boundary) {
      // Just before a chunk boundary (k * chunk), so the token straddles it.
      const std::size_t k = 1 + c.where % 3;
      const std::size_t b = k * chunk;
      p.pos = std::min(filler.size(), b > c.delta ? b - c.delta : 0);
    } else {
      p.pos = filler.empty() ? 0 : c.where % (filler.size() + 1);
    }
    plants.push_back(std::move(p));
  }
  std::stable_sort(plants.begin(), plants.end(),
                   [](const Plant& a, const Plant& b) { return a.pos < b.pos; });
  std::string buf;
  std::size_t from = 0;
  for (auto& p : plants) {
    buf.append(filler, from, p.pos - from);
    from = p.pos;
    p.at = buf.size();
    buf += p.text;
  }
  buf.append(filler, from, std::string::npos);

  // Whole-blob scan.
  std::vector<LocatedMatch> out;
  if (auto s = m.scan(buf, out); !s) fuzz::fail("scan failed: %s", s.error().message.c_str());
  check_invariants(e, buf, out, "scan");
  check_hint_gate(e, m, buf);

  // Oracle 2: every match of each example alone is found at its shifted offset, exactly once.
  for (const auto& p : plants) {
    for (const auto& a : p.alone) {
      const std::uint64_t start = p.at + a.match.start, end = p.at + a.match.end;
      int n = 0;
      for (const auto& lm : out) {
        if (lm.match.start != start || lm.match.end != end) continue;
        ++n;
        GLP_FUZZ_CHECK(lm.match.rule == a.match.rule && lm.secret == a.secret && lm.column == a.column &&
                           lm.match.checksum == a.match.checksum && lm.match.attributes == a.match.attributes,
                       "planted example %zu (rule %s) at %llu: found as rule %s with different "
                       "secret/column/attributes",
                       p.index, e.db->rule(a.match.rule).id.c_str(), (unsigned long long)start,
                       e.db->rule(lm.match.rule).id.c_str());
        GLP_FUZZ_CHECK(
            lm.line == line_at(buf, start), "planted example %zu at %llu: line %llu, expected %llu", p.index,
            (unsigned long long)start, (unsigned long long)lm.line, (unsigned long long)line_at(buf, start));
      }
      GLP_FUZZ_CHECK(n == 1,
                     "planted example %zu (rule %s) at [%llu,%llu): found %d times in a "
                     "%zu-byte buffer",
                     p.index, e.db->rule(a.match.rule).id.c_str(), (unsigned long long)start,
                     (unsigned long long)end, n, buf.size());
    }
  }

  // Oracle 3: streaming with odd chunk and read sizes equals the whole-blob scan.
  std::size_t pos = 0;
  auto reader = [&](char* dst, std::size_t cap) -> long {
    read_rng = read_rng * 1664525u + 1013904223u;
    const std::size_t want = std::min({cap, buf.size() - pos, 1 + (read_rng >> 8) % max_read});
    std::memcpy(dst, buf.data() + pos, want);
    pos += want;
    return static_cast<long>(want);
  };
  std::vector<LocatedMatch> streamed;
  auto r = m.scan_stream(reader, streamed, chunk_req);
  if (!r) fuzz::fail("scan_stream failed: %s", r.error().message.c_str());
  GLP_FUZZ_CHECK(*r == buf.size(), "scan_stream read %llu of %zu bytes", (unsigned long long)*r, buf.size());
  check_invariants(e, buf, streamed, "scan_stream");
  GLP_FUZZ_CHECK(streamed.size() == out.size(),
                 "scan_stream (chunk %zu, max read %zu) found %zu matches, scan found %zu", chunk, max_read,
                 streamed.size(), out.size());
  for (std::size_t i = 0; i < out.size(); ++i)
    GLP_FUZZ_CHECK(same(streamed[i], out[i]),
                   "scan_stream (chunk %zu) match %zu differs from scan: [%llu,%llu) %s line %llu "
                   "allow %d vs [%llu,%llu) %s line %llu allow %d",
                   chunk, i, (unsigned long long)streamed[i].match.start,
                   (unsigned long long)streamed[i].match.end, e.db->rule(streamed[i].match.rule).id.c_str(),
                   (unsigned long long)streamed[i].line, static_cast<int>(streamed[i].inline_allow),
                   (unsigned long long)out[i].match.start, (unsigned long long)out[i].match.end,
                   e.db->rule(out[i].match.rule).id.c_str(), (unsigned long long)out[i].line,
                   static_cast<int>(out[i].inline_allow));
  return 0;
}
