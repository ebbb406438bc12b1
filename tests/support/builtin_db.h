#pragma once
// The built-in rules compiled once per test binary, with the default decoding hints: what a
// scan without configuration uses. Tests that need other rules build their own RuleDb.
#include <utility>

#include "matcher/rule_db.h"

namespace glpatrol::test {

inline const RuleDb& builtin_db() {
  static const RuleDb db = [] {
    RuleSet set;
    set.rules = builtin_rules();
    return std::move(RuleDb::build(std::move(set)).value());
  }();
  return db;
}

}  // namespace glpatrol::test
