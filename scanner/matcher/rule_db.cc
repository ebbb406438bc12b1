#include "matcher/rule_db.h"

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <optional>
#include <string>

#include "common/encoding.h"

namespace glpatrol {

namespace {
/// Window used for patterns without a finite maximum width (custom rules with + or *).
constexpr std::size_t kUnboundedWidth = 4096;
}  // namespace

namespace {
// Version 3: "<rules key>\n<hints key>\n<rules size>\n<rules><hints>", each database under the
// key of its own patterns, so one embedded blob serves scans with decoding hints and without
// (--no-decode loads the rules' part only), and custom prefixes recompile only the hints.
constexpr std::string_view kPrebuiltMagic = "GLPATROL-HSDB-3\n";

/// The serialized database; empty for no database.
Result<std::string> serialize_one(const hs_database_t* db) {
  if (db == nullptr) return std::string();
  char* bytes = nullptr;
  std::size_t len = 0;
  if (hs_serialize_database(db, &bytes, &len) != HS_SUCCESS)
    return Error::engine("Hyperscan: cannot serialize the database");
  std::string out(bytes, len);
  std::free(bytes);
  return out;
}

/// Identifies a compiled database: every expanded pattern, its flags and the engine version.
std::string database_key(const std::vector<std::string>& expanded) {
  std::string all(hs_version());
  for (const auto& e : expanded) {
    all += '\0';
    all += e;
  }
  return sha256_hex(all);
}

/// The parts of a version-3 blob; nullopt for anything else (another version, damage).
struct PrebuiltParts {
  std::string_view rules_key, hints_key, rules, hints;
};
std::optional<PrebuiltParts> split_prebuilt(std::string_view blob) {
  if (blob.substr(0, kPrebuiltMagic.size()) != kPrebuiltMagic) return std::nullopt;
  blob.remove_prefix(kPrebuiltMagic.size());
  const auto line = [&blob]() -> std::optional<std::string_view> {
    const std::size_t nl = blob.find('\n');
    if (nl == std::string_view::npos) return std::nullopt;
    const std::string_view l = blob.substr(0, nl);
    blob.remove_prefix(nl + 1);
    return l;
  };
  const auto rules_key = line(), hints_key = line(), size = line();
  if (!rules_key || !hints_key || !size || size->empty() || size->size() > 19 ||
      !std::all_of(size->begin(), size->end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  const std::size_t rules_len = std::stoull(std::string(*size));
  if (rules_len == 0 || rules_len > blob.size()) return std::nullopt;
  return PrebuiltParts{*rules_key, *hints_key, blob.substr(0, rules_len), blob.substr(rules_len)};
}

/// Loads `blob` into `into` when it is a whole serialized database; false otherwise.
bool deserialize_into(std::string_view blob, HsDatabase& into) {
  hs_database_t* raw = nullptr;
  if (blob.empty() || hs_deserialize_database(blob.data(), blob.size(), &raw) != HS_SUCCESS) return false;
  into.reset(raw);
  return true;
}
}  // namespace

Result<std::string> RuleDb::serialize() const {
  auto rules = serialize_one(db_.get());
  if (!rules) return rules.error();
  auto hints = serialize_one(hint_db_.get());
  if (!hints) return hints.error();
  std::string out(kPrebuiltMagic);
  out += rules_key_;
  out += '\n';
  out += hints_key_;
  out += '\n';
  out += std::to_string(rules->size());
  out += '\n';
  out += *rules;
  out += *hints;
  return out;
}

decode::HintOptions HintSelection::defaults() {
  decode::HintOptions o;
  // Base64 (Kubernetes Secrets, .env files, CI variables) and percent/JSON escapes of every
  // token kind; base64 of base64 (a registry credential in a dockerconfigjson Secret) of the
  // kinds that serve as registry passwords, personal/project/group access and deploy tokens.
  // UTF-16 needs no literal: whole files and blobs are recognised as UTF-16 and decoded
  // (decode/text.h); its literals would only find UTF-16 fragments inside binaries.
  // Cost (bench/decode_bench.md 3b): Hyperscan's throughput drops in a step at the third
  // literal added to the rules; past it, these 108 literals cost ~10% more than the 44 of
  // base64 for four kinds only (tree: 4.4 vs 5.0 GB/s), which is what covering every kind costs.
  o.depth2_prefixes = {"glpat-", "gldt-"};
  o.utf16 = false;
  return o;
}

namespace {
/// A literal as a Hyperscan/PCRE pattern: every byte hex-escaped.
std::string literal_pattern(std::string_view lit) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : lit) {
    out += "\\x";
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}
}  // namespace

Result<RuleDb> RuleDb::build(RuleSet set, std::string_view prebuilt, const HintSelection& hints) {
  if (auto s = validate_prefixes(set.prefixes); !s) return s.error();
  if (set.rules.empty()) return Error::config("no rules to compile");
  RuleDb db;
  std::vector<std::string> expanded;  // Hyperscan prefilter per rule
  std::vector<std::string> exact;     // confirmation pattern per rule
  std::vector<const char*> exprs;
  std::vector<unsigned> flags, ids;
  expanded.reserve(set.rules.size());
  for (std::size_t i = 0; i < set.rules.size(); ++i) {
    const Rule& r = set.rules[i];
    expanded.push_back(expand_prefilter(r, set.prefixes));
    exact.push_back(expand_pattern(r, set.prefixes));
    // Byte mode (no UTF8/UCP): matches Go/PCRE ASCII classes, defined on binary input.
    flags.push_back(0);
    ids.push_back(static_cast<unsigned>(i));
  }
  // The hints: their own database, Hyperscan id i is hint i.
  if (hints.enabled) {
    std::vector<std::string> prefixes = token_prefixes(set);
    if (!hints.options.prefixes.empty()) {
      const auto listed = [&](const std::string& p) {
        return std::find(hints.options.prefixes.begin(), hints.options.prefixes.end(), p) !=
               hints.options.prefixes.end();
      };
      const auto builtin = [](const std::string& p) {
        for (const Rule& r : builtin_rules())
          if (std::find(r.keywords.begin(), r.keywords.end(), p) != r.keywords.end()) return true;
        return false;
      };
      prefixes.erase(std::remove_if(prefixes.begin(), prefixes.end(),
                                    [&](const std::string& p) { return builtin(p) && !listed(p); }),
                     prefixes.end());
    }
    db.hints_ = decode::hint_literals(prefixes, hints.options);
  }
  std::vector<std::string> hint_exprs;
  hint_exprs.reserve(db.hints_.size());
  for (const auto& h : db.hints_) hint_exprs.push_back(literal_pattern(h.literal));
  exprs.reserve(expanded.size());
  for (auto& e : expanded) exprs.push_back(e.c_str());

  // Per-pattern checks first, so an error names the rule (hs_compile_multi does too, but
  // expression_info also gives us the width). The look-back window must cover the exact
  // pattern as well as the prefilter.
  auto width_of = [&](std::size_t i, const std::string& expr, const char* what) -> Result<std::size_t> {
    hs_expr_info_t* info = nullptr;
    hs_compile_error_t* err = nullptr;
    if (hs_expression_info(expr.c_str(), flags[i], &info, &err) != HS_SUCCESS) {
      HsCompileError owned(err);
      return Error::config("rule '" + set.rules[i].id + "' (" + set.rules[i].origin + "): " + what +
                           " rejected by Hyperscan: " + (err ? err->message : "unknown error"));
    }
    const std::size_t w = info->max_width == UINT_MAX ? kUnboundedWidth : info->max_width;
    const bool empty = info->min_width == 0;
    std::free(info);
    if (empty)
      return Error::config("rule '" + set.rules[i].id + "': " + what + " can match the empty string");
    return w;
  };
  for (std::size_t i = 0; i < expanded.size(); ++i) {
    auto w = width_of(i, expanded[i], set.rules[i].prefilter.empty() ? "pattern" : "prefilter");
    if (!w) return w.error();
    std::size_t width = *w;
    if (!set.rules[i].prefilter.empty()) {
      auto we = width_of(i, exact[i], "pattern");
      if (!we) return we.error();
      width = std::max(width, *we);
    }
    db.widths_.push_back(width);
    db.max_width_ = std::max(db.max_width_, width);
  }

  db.rules_key_ = database_key(expanded);
  db.hints_key_ = database_key(hint_exprs);
  // The rules and the hints are two databases: the hints run only where the gate finds runs
  // that can hold them (hint_gate.h), and the rules keep Hyperscan's fast literal path. Each
  // is taken from `prebuilt` when its key matches and it loads whole (else it compiles, e.g.
  // on another CPU or Hyperscan version); used_prebuilt() says both needed ones did.
  if (const auto parts = split_prebuilt(prebuilt)) {
    if (parts->rules_key == db.rules_key_) deserialize_into(parts->rules, db.db_);
    if (!hint_exprs.empty() && parts->hints_key == db.hints_key_) deserialize_into(parts->hints, db.hint_db_);
  }
  db.used_prebuilt_ = db.db_ && (hint_exprs.empty() || db.hint_db_);
  const auto compile = [](const std::vector<const char*>& patterns,
                          const std::vector<unsigned>& pattern_flags,
                          const std::vector<unsigned>& pattern_ids, HsDatabase& into) -> hs_compile_error_t* {
    hs_database_t* raw = nullptr;
    hs_compile_error_t* error = nullptr;
    if (hs_compile_multi(patterns.data(), pattern_flags.data(), pattern_ids.data(),
                         static_cast<unsigned>(patterns.size()), HS_MODE_BLOCK, nullptr, &raw,
                         &error) != HS_SUCCESS)
      return error;
    into.reset(raw);
    return nullptr;
  };
  if (!db.db_) {
    if (hs_compile_error_t* err = compile(exprs, flags, ids, db.db_)) {
      HsCompileError owned(err);
      std::string which = "?";
      if (err->expression >= 0 && static_cast<std::size_t>(err->expression) < set.rules.size())
        which = set.rules[static_cast<std::size_t>(err->expression)].id;
      return Error::config("rule '" + which + "': Hyperscan: " + err->message);
    }
  }
  if (!hint_exprs.empty() && !db.hint_db_) {
    std::vector<const char*> hint_ptrs;
    std::vector<unsigned> hint_ids;
    for (std::size_t i = 0; i < hint_exprs.size(); ++i) {
      hint_ptrs.push_back(hint_exprs[i].c_str());
      hint_ids.push_back(static_cast<unsigned>(i));
    }
    if (hs_compile_error_t* err =
            compile(hint_ptrs, std::vector<unsigned>(hint_exprs.size(), 0), hint_ids, db.hint_db_)) {
      HsCompileError owned(err);
      return Error::config(std::string("decoding hints: Hyperscan: ") + err->message);
    }
  }
  db.gate_ = HintGate::for_hints(db.hints_);

  // Exact confirmation: the same pattern, anchored at the end of the subject (the prefilter
  // hit's end); a forward search from the look-back window finds the leftmost = longest start.
  for (std::size_t i = 0; i < expanded.size(); ++i) {
    const Rule& r = set.rules[i];
    if (r.confirm == ConfirmKind::Routable) {
      db.confirm_.emplace_back(nullptr);
      continue;
    }
    const std::string anchored = "(?:" + exact[i] + ")\\z";
    int code = 0;
    PCRE2_SIZE offset = 0;
    pcre2_code* re = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(anchored.c_str()), PCRE2_ZERO_TERMINATED, 0,
                                   &code, &offset, nullptr);
    if (re == nullptr) {
      PCRE2_UCHAR msg[256];
      pcre2_get_error_message(code, msg, sizeof msg);
      return Error::config("rule '" + r.id + "': pattern rejected by PCRE2 at offset " +
                           std::to_string(offset) + ": " + reinterpret_cast<char*>(msg));
    }
    pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);  // optional speed-up; falls back to interpreter
    db.confirm_.emplace_back(re);
  }
  db.set_ = std::move(set);
  return db;
}

Result<HsScratch> RuleDb::make_scratch() const {
  hs_scratch_t* s = nullptr;
  if (hs_alloc_scratch(db_.get(), &s) != HS_SUCCESS)
    return Error::engine("Hyperscan: cannot allocate scratch space");
  HsScratch owned(s);
  if (hint_db_) {
    // One scratch serves both databases: hs_alloc_scratch grows it to fit the second (on
    // failure it has freed the old one and set the pointer to null).
    s = owned.release();
    const hs_error_t rc = hs_alloc_scratch(hint_db_.get(), &s);
    owned.reset(s);
    if (rc != HS_SUCCESS) return Error::engine("Hyperscan: cannot allocate scratch space");
  }
  return owned;
}

}  // namespace glpatrol
