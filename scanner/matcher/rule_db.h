#pragma once
// RuleDb: every rule compiled into one Hyperscan database (pattern id = rule index) plus one
// PCRE2 program per regex rule for exact confirmation, and the decoding hints in a second
// database (pattern id = hint index) with the gate that says where to run it. Immutable after
// build(); safe to share between threads. Per-thread state lives in Matcher.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "decode/hints.h"
#include "matcher/hint_gate.h"
#include "matcher/hs_handles.h"
#include "rules/rule.h"

namespace glpatrol {

/// Which encoded forms of the token prefixes the database also looks for (decode/hints.h).
/// The hints are what let the decoding stage skip ordinary content; they are matched in their
/// own Hyperscan database, only inside the runs HintGate finds (bench/README.md).
struct HintSelection {
  bool enabled = true;  ///< false: --no-decode (no encoded forms at all)
  decode::HintOptions options = defaults();
  /// The default families: base64 (and base64 of base64 for the kinds used in registry
  /// credentials), UTF-16 fragments and JSON/percent escapes of every keyword.
  static decode::HintOptions defaults();
};

class RuleDb {
 public:
  /// Compiles `set`. Fails with an error naming the rule id and the engine's message; never
  /// returns a partial database. `prebuilt` may hold a database serialized by serialize() at
  /// build time: it is used when it was made from exactly these expanded patterns by this
  /// Hyperscan version on a compatible CPU, which skips the ~0.3 s compilation (pre-commit
  /// latency). Otherwise the patterns are compiled.
  static Result<RuleDb> build(RuleSet set, std::string_view prebuilt = {}, const HintSelection& hints = {});

  /// The compiled Hyperscan databases, each with a key of its patterns, for
  /// build(set, prebuilt). A blob made with hints also serves a build without them.
  Result<std::string> serialize() const;
  /// True when build() used the prebuilt database.
  bool used_prebuilt() const { return used_prebuilt_; }

  const std::vector<Rule>& rules() const { return set_.rules; }
  /// The hint literals; id i of hint_database() is hints()[i].
  const std::vector<decode::Hint>& hints() const { return hints_; }
  /// The hint literals' database (null without hints) and where it runs.
  const hs_database_t* hint_database() const { return hint_db_.get(); }
  const HintGate& hint_gate() const { return gate_; }
  const RuleSet& rule_set() const { return set_; }
  const Rule& rule(std::uint32_t i) const { return set_.rules[i]; }
  const hs_database_t* database() const { return db_.get(); }
  const pcre2_code* confirm_regex(std::uint32_t i) const { return confirm_[i].get(); }
  /// Longest span any rule can report (bytes); bounds look-back and chunk overlap.
  std::size_t max_width() const { return max_width_; }
  std::size_t max_width(std::uint32_t i) const { return widths_[i]; }
  /// Allocates a scratch for one thread (big enough for both databases).
  Result<HsScratch> make_scratch() const;

 private:
  RuleSet set_;
  std::vector<decode::Hint> hints_;
  HsDatabase db_;
  HsDatabase hint_db_;
  HintGate gate_;
  std::vector<Pcre2Code> confirm_;  // end-anchored program per rule, null for non-regex rules
  std::vector<std::size_t> widths_;
  std::size_t max_width_ = 0;
  std::string rules_key_;  // database_key() of the rules' expanded patterns
  std::string hints_key_;  // ... and of the hint literals
  bool used_prebuilt_ = false;
};

}  // namespace glpatrol
