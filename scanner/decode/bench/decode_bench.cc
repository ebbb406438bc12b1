// Measurements behind bench/decode_bench.md (not a test; prints numbers).
//   glpatrol_decode_bench hints DIR...   hint hits per GB on the files under DIR (raw bytes, as
//                                        a scan sees them), by hint kind and literal length,
//                                        views that survive decode_hits, and the Hyperscan cost
//                                        of the hint literals next to the bare prefixes
//   glpatrol_decode_bench random MB      the same on MB of random base64 (the worst case:
//                                        embedded images, certificates)
//   glpatrol_decode_bench cost DIR|random... Hyperscan cost of each hint family added to the
//                                        built-in rules
//   glpatrol_decode_bench cliff DIR...   rules + k hint literals, k = 0, 1, 2...: where the
//                                        literal matcher leaves its fast path
//   glpatrol_decode_bench decode         decode_hits cost per true and per chance hit
//   glpatrol_decode_bench archive FILE   for_each_member throughput (in memory and streamed)
#include <hs/hs.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "decode/decode.h"
#include "rules/rule.h"

using namespace glpatrol::decode;

namespace {

/// The built-in rules' token prefixes (their keywords), as the scanner derives them.
std::vector<std::string> builtin_prefixes() {
  return glpatrol::token_prefixes(glpatrol::RuleSet{glpatrol::builtin_rules(), {}});
}

/// The prefix of a built-in kind, by its leading part (e.g. "gldt"), split so that no
/// token-shaped literal is written here; aborts when the rule set has none.
std::string builtin_prefix(const std::string& kind) {
  for (const auto& p : builtin_prefixes())
    if (p.rfind(kind, 0) == 0 && p.size() == kind.size() + 1) return p;
  std::fprintf(stderr, "no built-in prefix %s\n", kind.c_str());
  std::abort();
}

/// CPU seconds of this thread: the machine is shared, so wall time measures the neighbours.
double cpu_now() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct HsDb {
  hs_database_t* db = nullptr;
  hs_scratch_t* scratch = nullptr;
  ~HsDb() {
    hs_free_scratch(scratch);
    hs_free_database(db);
  }
};

/// A block-mode database of literals (exact bytes) or of regex patterns.
std::unique_ptr<HsDb> compile(const std::vector<std::string>& exprs, bool literal) {
  auto out = std::make_unique<HsDb>();
  std::vector<const char*> ptrs;
  std::vector<std::size_t> lens;
  std::vector<unsigned> flags, ids;
  for (std::size_t i = 0; i < exprs.size(); ++i) {
    ptrs.push_back(exprs[i].c_str());
    lens.push_back(exprs[i].size());
    flags.push_back(0);
    ids.push_back(static_cast<unsigned>(i));
  }
  hs_compile_error_t* err = nullptr;
  const hs_error_t rc =
      literal
          ? hs_compile_lit_multi(ptrs.data(), flags.data(), ids.data(), lens.data(),
                                 static_cast<unsigned>(exprs.size()), HS_MODE_BLOCK, nullptr, &out->db, &err)
          : hs_compile_multi(ptrs.data(), flags.data(), ids.data(), static_cast<unsigned>(exprs.size()),
                             HS_MODE_BLOCK, nullptr, &out->db, &err);
  if (rc != HS_SUCCESS) {
    std::fprintf(stderr, "hs compile: %s\n", err ? err->message : "?");
    hs_free_compile_error(err);
    std::exit(1);
  }
  hs_alloc_scratch(out->db, &out->scratch);
  return out;
}

std::vector<HintHit>* g_hits = nullptr;
int on_match(unsigned id, unsigned long long, unsigned long long to, unsigned, void*) {
  if (g_hits) g_hits->push_back({id, to});
  return 0;
}

void scan(const HsDb& db, std::string_view data, std::vector<HintHit>* hits) {
  g_hits = hits;
  hs_scan(db.db, data.data(), static_cast<unsigned>(data.size()), 0, db.scratch, on_match, nullptr);
  g_hits = nullptr;
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string kind_of(const Hint& h) {
  if (h.encoding == Encoding::Base64) return h.depth == 2 ? "base64 depth 2" : "base64 depth 1";
  return std::string(to_string(h.encoding));
}

/// The built-in rules' Hyperscan expressions (what the main pass compiles, default prefixes).
std::vector<std::string> rule_exprs() {
  std::vector<std::string> out;
  for (const auto& r : glpatrol::builtin_rules()) out.push_back(glpatrol::expand_prefilter(r, {}));
  return out;
}

/// `lit` as a regex matching exactly its bytes.
std::string escape(std::string_view lit) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : lit) {
    if (std::isalnum(c))
      out += static_cast<char>(c);
    else
      out += {'\\', 'x', kHex[c >> 4], kHex[c & 15]};
  }
  return out;
}

/// Hits, views and Hyperscan time over a corpus given as a list of blobs.
void measure(const std::vector<std::string>& blobs, const char* label) {
  const auto prefixes = builtin_prefixes();
  const auto hints = hint_literals(prefixes);
  std::vector<std::string> lits, patterns;
  for (const auto& h : hints) {
    lits.push_back(h.literal);
    patterns.push_back(hint_pattern(h));
  }
  const auto rules = rule_exprs();
  std::vector<std::string> rules_lits = rules, rules_patterns = rules;
  for (const auto& l : lits) rules_lits.push_back(escape(l));
  rules_patterns.insert(rules_patterns.end(), patterns.begin(), patterns.end());
  const auto hint_db = compile(lits, true);
  const auto rules_db = compile(rules, false);
  const auto rules_lits_db = compile(rules_lits, false);
  const auto rules_patterns_db = compile(rules_patterns, false);
  const auto pattern_db = compile(patterns, false);

  std::uint64_t bytes = 0;
  for (const auto& b : blobs) bytes += b.size();
  const double gb = static_cast<double>(bytes) / 1e9;

  std::map<std::string, std::uint64_t> by_kind, by_len, views_by_kind;
  std::uint64_t hits_total = 0, views_total = 0, decoded = 0, pattern_hits = 0;
  std::vector<HintHit> hits;
  for (const auto& b : blobs) {
    hits.clear();
    scan(*hint_db, b, &hits);
    hits_total += hits.size();
    for (const auto& h : hits) {
      ++by_kind[kind_of(hints[h.hint])];
      if (hints[h.hint].encoding == Encoding::Base64)
        ++by_len["base64 literal of " + std::to_string(hints[h.hint].literal.size()) + " chars"];
    }
    DecodeBudget budget;
    for (const auto& v : decode_hits(b, hints, hits, {}, budget, {})) {
      ++views_total;
      decoded += v.bytes.size();
      ++views_by_kind[std::string(to_string(v.encoding))];
    }
    std::vector<HintHit> ph;
    scan(*pattern_db, b, &ph);
    pattern_hits += ph.size();
  }
  // Throughput: each database over the whole corpus, best of 3.
  const auto time_db = [&](const HsDb& db) {
    double best = 1e9;
    for (int r = 0; r < 5; ++r) {
      const double t0 = cpu_now();
      for (const auto& b : blobs) scan(db, b, nullptr);
      best = std::min(best, cpu_now() - t0);
    }
    return static_cast<double>(bytes) / 1e6 / best;
  };
  std::printf("== %s: %zu blobs, %.3f GB; %zu hint literals (%zu prefixes)\n", label, blobs.size(), gb,
              hints.size(), prefixes.size());
  // Chance hits expected from the literal lengths alone: random base64 text (64 equally
  // likely characters) and random bytes (compressed data).
  double per_gb_b64 = 0, per_gb_bytes = 0;
  for (const auto& h : hints) {
    per_gb_bytes += 1e9 * std::pow(256.0, -static_cast<double>(h.literal.size()));
    if (h.encoding == Encoding::Base64)
      per_gb_b64 += 1e9 * std::pow(64.0, -static_cast<double>(h.literal.size()));
  }
  std::printf("expected chance hits per GB from literal lengths: random base64 %.2f, random bytes %.6f\n",
              per_gb_b64, per_gb_bytes);
  std::printf("hint hits: %llu (%.1f per GB); views after decode_hits: %llu (%.1f per GB, %.1f MB decoded)\n",
              static_cast<unsigned long long>(hits_total), static_cast<double>(hits_total) / gb,
              static_cast<unsigned long long>(views_total), static_cast<double>(views_total) / gb,
              static_cast<double>(decoded) / 1e6);
  for (const auto& [k, n] : by_kind)
    std::printf("  hits %-16s %10llu  %10.1f/GB\n", k.c_str(), static_cast<unsigned long long>(n),
                static_cast<double>(n) / gb);
  for (const auto& [k, n] : by_len)
    std::printf("  hits %-30s %10llu  %10.1f/GB\n", k.c_str(), static_cast<unsigned long long>(n),
                static_cast<double>(n) / gb);
  for (const auto& [k, n] : views_by_kind)
    std::printf("  views %-14s %10llu  %10.1f/GB\n", k.c_str(), static_cast<unsigned long long>(n),
                static_cast<double>(n) / gb);
  std::printf("wrap-tolerant patterns (hint_pattern): %llu hits (%.1f per GB)\n",
              static_cast<unsigned long long>(pattern_hits), static_cast<double>(pattern_hits) / gb);
  std::printf(
      "Hyperscan MB/s (thread CPU time, best of 5): built-in rules %.0f | rules + hint literals %.0f | rules "
      "+ hint patterns %.0f | "
      "hint literals alone %.0f | hint patterns alone %.0f\n",
      time_db(*rules_db), time_db(*rules_lits_db), time_db(*rules_patterns_db), time_db(*hint_db),
      time_db(*pattern_db));
}

/// Hyperscan MB/s (thread CPU, best of 5) of a block database of `exprs` over `blobs`.
double scan_mbps(const std::vector<std::string>& blobs, const std::vector<std::string>& exprs) {
  std::uint64_t bytes = 0;
  for (const auto& b : blobs) bytes += b.size();
  const auto db = compile(exprs, false);
  double best = 1e9;
  for (int r = 0; r < 5; ++r) {
    const double t0 = cpu_now();
    for (const auto& b : blobs) scan(*db, b, nullptr);
    best = std::min(best, cpu_now() - t0);
  }
  return static_cast<double>(bytes) / 1e6 / best;
}

/// Hyperscan MB/s of the built-in rules plus each family of hint literals, to see which
/// families cost what.
void cost(const std::vector<std::string>& blobs, const char* label) {
  const auto hints = hint_literals(builtin_prefixes());
  std::uint64_t bytes = 0;
  for (const auto& b : blobs) bytes += b.size();
  const auto mbps = [&](const std::vector<std::string>& exprs) { return scan_mbps(blobs, exprs); };
  const auto rules = rule_exprs();
  const auto with = [&](auto pred) {
    std::vector<std::string> e = rules;
    std::size_t n = 0;
    for (const auto& h : hints)
      if (pred(h)) {
        e.push_back(escape(h.literal));
        ++n;
      }
    return std::make_pair(e, n);
  };
  const auto b64d1 = [](const Hint& h) { return h.encoding == Encoding::Base64 && h.depth == 1; };
  const auto b64d2 = [](const Hint& h) { return h.encoding == Encoding::Base64 && h.depth == 2; };
  const auto u16 = [](const Hint& h) {
    return h.encoding == Encoding::Utf16le || h.encoding == Encoding::Utf16be;
  };
  const auto esc = [](const Hint& h) {
    return h.encoding == Encoding::Percent || h.encoding == Encoding::JsonEscape;
  };
  std::printf("== %s (%.3f GB): Hyperscan MB/s (thread CPU time, best of 5)\n", label,
              static_cast<double>(bytes) / 1e9);
  std::printf("  built-in rules alone (%zu expressions): %.0f\n", rules.size(), mbps(rules));
  // Depth 2 only for the registry-credential token kinds (PAT, deploy, job token).
  HintOptions reg;
  reg.depth2_prefixes = {builtin_prefix("gl"
                                        "pat"),
                         builtin_prefix("gl"
                                        "dt"),
                         builtin_prefix("gl"
                                        "cbt")};
  std::vector<std::string> reg_exprs = rules;
  for (const auto& h : hint_literals(builtin_prefixes(), reg)) reg_exprs.push_back(escape(h.literal));
  std::printf("  rules + all hint literals, depth 2 for PAT/deploy/job prefixes only (%zu literals): %.0f\n",
              reg_exprs.size() - rules.size(), mbps(reg_exprs));
  {
    HintOptions b64only = reg;
    b64only.utf16 = false;
    b64only.escapes = false;
    std::vector<std::string> e = rules;
    for (const auto& h : hint_literals(builtin_prefixes(), b64only)) e.push_back(escape(h.literal));
    std::printf("  rules + base64 depth 1, depth 2 for PAT/deploy/job only (%zu literals): %.0f\n",
                e.size() - rules.size(), mbps(e));
  }
  for (const auto& [name, pred] : std::vector<std::pair<std::string, std::function<bool(const Hint&)>>>{
           {"+ base64 depth 1", b64d1},
           {"+ base64 depth 2", b64d2},
           {"+ utf-16", u16},
           {"+ percent and json-escape", esc},
           {"+ base64 depth 1, utf-16, percent, json-escape", [&](const Hint& h) { return !b64d2(h); }},
           {"+ all hint literals", [](const Hint&) { return true; }}}) {
    const auto [exprs, n] = with(pred);
    std::printf("  rules %s (%zu literals): %.0f\n", name.c_str(), n, mbps(exprs));
  }
}

/// Where Hyperscan's literal matcher leaves its fast path: MB/s of the rules plus the first k
/// hint literals of the scanner's default selection, k = 0, 1, 2, ... The decoding cost in
/// directory mode is this step, not the number of literals past it.
void cliff(const std::vector<std::string>& blobs, const char* label) {
  HintOptions def;  // HintSelection::defaults() (the matcher's, which this tool does not link)
  def.depth2_prefixes = {builtin_prefix("gl"
                                        "pat"),
                         builtin_prefix("gl"
                                        "dt")};
  def.utf16 = false;
  auto hints = hint_literals(builtin_prefixes(), def);
  std::stable_partition(hints.begin(), hints.end(),
                        [](const Hint& h) { return h.encoding == Encoding::Base64 && h.depth == 1; });
  std::uint64_t bytes = 0;
  for (const auto& b : blobs) bytes += b.size();
  std::printf("== %s (%.3f GB): Hyperscan MB/s of the %zu rules + k hint literals (thread CPU, best of 5)\n",
              label, static_cast<double>(bytes) / 1e9, rule_exprs().size());
  for (std::size_t k : {std::size_t{0}, std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{4},
                        std::size_t{6}, std::size_t{9}, std::size_t{16}, hints.size()}) {
    if (k > hints.size()) break;
    std::vector<std::string> exprs = rule_exprs();
    for (std::size_t i = 0; i < k; ++i) exprs.push_back(escape(hints[i].literal));
    std::printf("  k=%-3zu %6.0f\n", k, scan_mbps(blobs, exprs));
  }
}

std::vector<std::string> load_tree(const char* dir) {
  std::vector<std::string> blobs;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(
           dir, std::filesystem::directory_options::skip_permission_denied, ec);
       it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (it->is_regular_file(ec) && !it->is_symlink(ec)) blobs.push_back(read_file(it->path()));
  }
  return blobs;
}

int cmd_hints(int argc, char** argv) {
  for (int i = 2; i < argc; ++i) measure(load_tree(argv[i]), argv[i]);
  return 0;
}

std::vector<std::string> random_base64(std::size_t mb) {
  static constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::mt19937_64 rng(1);
  std::vector<std::string> blobs;
  for (std::size_t i = 0; i < mb; ++i) {
    std::string b(1u << 20, 'A');
    for (auto& c : b) c = kB64[rng() & 63];
    blobs.push_back(std::move(b));
  }
  return blobs;
}

int cmd_random(int argc, char** argv) {
  measure(random_base64(argc > 2 ? std::stoul(argv[2]) : 256), "random base64");
  return 0;
}

int cmd_cost(int argc, char** argv) {
  for (int i = 2; i < argc; ++i) {
    if (std::string(argv[i]) == "random")
      cost(random_base64(64), "64 MB random base64");
    else
      cost(load_tree(argv[i]), argv[i]);
  }
  return 0;
}

int cmd_decode() {
  const auto hints = hint_literals(builtin_prefixes());
  // A true hit: a base64 .env of 2 KB with one token, decoded many times.
  std::string env;
  for (int i = 0; i < 40; ++i)
    env += "SETTING_" + std::to_string(i) + "=some-value-" + std::to_string(i * 7) + "\n";
  env += builtin_prefix(
             "gl"
             "pat") +
         "ABCDEFGHIJKLMNOPQRST\n";
  std::string enc;
  {
    static constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::size_t i = 0;
    for (; i + 3 <= env.size(); i += 3) {
      const unsigned v = (static_cast<unsigned char>(env[i]) << 16) |
                         (static_cast<unsigned char>(env[i + 1]) << 8) |
                         static_cast<unsigned char>(env[i + 2]);
      enc += kB64[v >> 18];
      enc += kB64[(v >> 12) & 63];
      enc += kB64[(v >> 6) & 63];
      enc += kB64[v & 63];
    }
  }
  const std::string content = "apiVersion: v1\ndata:\n  env: " + enc + "\n";
  const auto hits = find_hint_hits(content, hints);
  const int n = 20000;
  double t0 = cpu_now();
  std::size_t views = 0;
  for (int i = 0; i < n; ++i) {
    DecodeBudget b;
    views += decode_hits(content, hints, hits, {}, b, {}).size();
  }
  const double per_true = (cpu_now() - t0) / n * 1e6;
  // A chance hit: a hint literal inside 1 MB of random base64 (decodes one window).
  std::mt19937_64 rng(2);
  std::string blob(1u << 20, 'A');
  static constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (auto& c : blob) c = kB64[rng() & 63];
  const Hint& h = hints[0];
  blob.replace(blob.size() / 2, h.literal.size(), h.literal);
  const std::vector<HintHit> one = {{0, blob.size() / 2 + h.literal.size()}};
  t0 = cpu_now();
  std::size_t bytes = 0;
  for (int i = 0; i < n / 10; ++i) {
    DecodeBudget b;
    for (const auto& v : decode_hits(blob, hints, one, {}, b, {})) bytes += v.bytes.size();
  }
  const int chances = n / 10;  // whole calls, as the loop above made
  const double per_chance = (cpu_now() - t0) / static_cast<double>(chances) * 1e6;
  // A chance hit in ordinary text: rejected by min_tail before decoding.
  std::string text;
  while (text.size() < 4096) text += "The quick brown fox jumps over the lazy dog. ";
  text.insert(2000, h.literal + " ");
  const std::vector<HintHit> one_text = {{0, 2000 + h.literal.size()}};
  t0 = cpu_now();
  for (int i = 0; i < n * 10; ++i) {
    DecodeBudget b;
    views += decode_hits(text, hints, one_text, {}, b, {}).size();
  }
  const double per_text = (cpu_now() - t0) / (n * 10) * 1e6;
  std::printf(
      "decode_hits (thread CPU time): true hit in a 2 KB base64 .env (%zu hits): %.2f us per content; "
      "chance hit in random base64 (one %zu-byte window): %.1f us; chance hit in prose: %.3f us (views "
      "%zu)\n",
      hits.size(), per_true, bytes / static_cast<std::size_t>(n / 10), per_chance, per_text, views);
  return 0;
}

int cmd_archive(const char* path) {
  const std::string content = read_file(path);
  const auto drain = [](std::uint64_t& total) {
    return [&total](const Member&, const ReadFn& read) {
      static char buf[1u << 16];
      for (long n; (n = read(buf, sizeof buf)) > 0;) total += static_cast<std::uint64_t>(n);
      return true;
    };
  };
  ArchiveLimits lim;
  lim.max_member_size = ~0ull;
  for (int mode = 0; mode < 2; ++mode) {
    std::uint64_t total = 0;
    std::size_t faults = 0;
    DecodeBudget budget;
    budget.max_decoded = ~0ull;
    const double t0 = cpu_now();
    if (mode == 0) {
      (void)for_each_member(content, path, lim, budget, drain(total), [&](const Fault&) { ++faults; });
    } else {
      std::size_t pos = 0;
      const ReadFn src = [&](char* buf, std::size_t cap) -> long {
        const std::size_t n = std::min(cap, content.size() - pos);
        std::copy_n(content.data() + pos, n, buf);
        pos += n;
        return static_cast<long>(n);
      };
      (void)for_each_member(src, path, lim, budget, drain(total), [&](const Fault&) { ++faults; });
    }
    const double s = cpu_now() - t0;
    std::printf(
        "%s: %s: %llu members, %.1f MB decompressed from %.1f MB in %.2f CPU s = %.0f MB/s decompressed (%zu "
        "faults)\n",
        path, mode == 0 ? "in memory" : "streamed", static_cast<unsigned long long>(budget.members),
        static_cast<double>(total) / 1e6, static_cast<double>(content.size()) / 1e6, s,
        static_cast<double>(total) / 1e6 / s, faults);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "hints" && argc > 2) return cmd_hints(argc, argv);
  if (cmd == "random") return cmd_random(argc, argv);
  if (cmd == "cost") return cmd_cost(argc, argv);
  if (cmd == "cliff") {
    for (int i = 2; i < argc; ++i) cliff(load_tree(argv[i]), argv[i]);
    return 0;
  }
  if (cmd == "decode") return cmd_decode();
  if (cmd == "archive" && argc > 2) return cmd_archive(argv[2]);
  std::fprintf(stderr,
               "usage: glpatrol_decode_bench hints DIR... | random [MB] | cost DIR|random... | cliff DIR... "
               "| decode | "
               "archive FILE\n");
  return 2;
}
