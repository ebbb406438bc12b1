// Fuzz target: the rule-file parser and the rule compiler.
//
// Mode A (first byte even): the input is a rule file (TOML) -> parse_rules_toml; rules that
// parse are compiled with RuleDb::build and, when they compile, checked like `glpatrol rules
// check` (examples expanded and scanned) and run over the input itself.
// Mode B (first byte odd): the input is one regex pattern, compiled as a custom rule (with
// fuzzer-chosen confirm kind and prefix settings), then scanned over the pattern bytes.
//
// Oracle: errors, not crashes. Every failure must come back as an Error value with a message;
// nothing may abort, throw, leak or read out of bounds.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <string>
#include <vector>

#include "fuzz/fuzz_common.h"
#include "matcher/matcher.h"
#include "matcher/rule_check.h"
#include "rules/examples.h"
#include "rules/rule.h"

using namespace glpatrol;

namespace {

void compile_and_run(RuleSet set, std::string_view subject) {
  auto db = RuleDb::build(std::move(set));
  if (!db) {
    GLP_FUZZ_CHECK(!db.error().message.empty(), "RuleDb::build failed without a message");
    return;
  }
  auto m = Matcher::create(*db);
  if (!m) return;
  std::vector<LocatedMatch> out;
  (void)m->scan(subject, out);
  for (const auto& lm : out)
    GLP_FUZZ_CHECK(lm.match.start < lm.match.end && lm.match.end <= subject.size(),
                   "match [%llu,%llu) outside a %zu-byte subject", (unsigned long long)lm.match.start,
                   (unsigned long long)lm.match.end, subject.size());
  (void)check_rules(*db);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  if ((data[0] & 1) == 0) {
    const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
    auto rules = parse_rules_toml(text, "fuzz.toml");
    if (!rules) {
      GLP_FUZZ_CHECK(!rules.error().message.empty(), "parse error without a message");
      return 0;
    }
    if (rules->empty() || rules->size() > 16) return 0;
    for (const auto& r : *rules) {
      GLP_FUZZ_CHECK(!r.id.empty() && !r.pattern.empty(), "rule parsed with empty id/pattern");
      for (const auto& t : r.examples) (void)expand_example(t, 1);
      for (const auto& t : r.negative_examples) (void)expand_example(t, 2);
    }
    RuleSet set;
    set.rules = std::move(*rules);
    compile_and_run(std::move(set), text);
    return 0;
  }
  FuzzedDataProvider fdp(data + 1, size - 1);
  Rule r;
  r.id = "fuzz.rule";
  r.origin = "fuzz";
  const int confirm = fdp.ConsumeIntegralInRange<int>(0, 2);
  r.confirm = confirm == 0 ? ConfirmKind::Regex : confirm == 1 ? ConfirmKind::Routable : ConfirmKind::Jwt;
  r.charset = static_cast<TokenCharset>(fdp.ConsumeIntegralInRange<int>(0, 3));
  r.require_left_boundary = fdp.ConsumeBool();
  r.secret_after = fdp.ConsumeRandomLengthString(8);
  RuleSet set;
  if (fdp.ConsumeBool()) set.prefixes.pat_prefixes.push_back(fdp.ConsumeRandomLengthString(24));
  if (fdp.ConsumeBool()) set.prefixes.instance_prefixes.push_back(fdp.ConsumeRandomLengthString(24));
  r.pattern = fdp.ConsumeRandomLengthString(256);
  r.examples.push_back(fdp.ConsumeRandomLengthString(256));
  const std::string subject = fdp.ConsumeRemainingBytesAsString();
  if (r.pattern.empty()) return 0;
  set.rules.push_back(std::move(r));
  compile_and_run(std::move(set), subject);
  return 0;
}
