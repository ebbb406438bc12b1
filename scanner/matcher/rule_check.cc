#include "matcher/rule_check.h"

#include <fmt/format.h>

#include "matcher/matcher.h"
#include "rules/examples.h"

namespace glpatrol {

RuleCheckResult check_rules(const RuleDb& db, std::size_t first) {
  RuleCheckResult res;
  auto matcher = Matcher::create(db);
  if (!matcher) {
    res.problems.push_back({"*", matcher.error().message});
    return res;
  }
  std::vector<LocatedMatch> found;
  for (std::size_t i = first; i < db.rules().size(); ++i) {
    const Rule& rule = db.rules()[i];
    ++res.rules;
    if (rule.examples.empty()) res.problems.push_back({rule.id, "rule has no examples"});
    for (std::size_t e = 0; e < rule.examples.size(); ++e) {
      ++res.examples;
      auto ex = expand_example(rule.examples[e], 7919u * (i + 1) + e);
      if (!ex) {
        res.problems.push_back({rule.id, fmt::format("example {}: {}", e + 1, ex.error().message)});
        continue;
      }
      found.clear();
      (void)matcher->scan(ex->text, found);
      bool hit = false;
      std::string got;
      for (const auto& m : found) {
        const Rule& r = db.rule(m.match.rule);
        if (m.match.start == ex->span_begin && m.match.end == ex->span_end && r.id == rule.id) hit = true;
        got += fmt::format(" {}@[{},{})", r.id, m.match.start, m.match.end);
      }
      if (!hit)
        res.problems.push_back(
            {rule.id,
             fmt::format("example {} (`{}`): expected a finding at [{},{}), got:{}", e + 1, rule.examples[e],
                         ex->span_begin, ex->span_end, got.empty() ? " nothing" : got)});
    }
    for (std::size_t e = 0; e < rule.negative_examples.size(); ++e) {
      ++res.negative_examples;
      auto ex = expand_example(rule.negative_examples[e], 104729u * (i + 1) + e);
      if (!ex) {
        res.problems.push_back({rule.id, fmt::format("negative example {}: {}", e + 1, ex.error().message)});
        continue;
      }
      found.clear();
      (void)matcher->scan(ex->text, found);
      for (const auto& m : found) {
        if (db.rule(m.match.rule).id == rule.id)
          res.problems.push_back(
              {rule.id, fmt::format("negative example {} (`{}`) matched at [{},{})", e + 1,
                                    rule.negative_examples[e], m.match.start, m.match.end)});
      }
    }
  }
  return res;
}

}  // namespace glpatrol
