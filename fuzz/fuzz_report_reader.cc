// Fuzz target: the JSON report reader behind `glpatrol merge` (reporters/report_json).
// Oracle: errors, not crashes; a report that parses is written again with the json reporter
// and that output must parse back with the same number of findings (the merger's round trip).
#include <cstdint>
#include <sstream>
#include <string>

#include "fuzz/fuzz_common.h"
#include "reporters/report_json.h"
#include "reporters/reporter.h"

using namespace glpatrol;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto r = parse_json_report(text, "shard.json");
  if (!r) {
    GLP_FUZZ_CHECK(!r.error().message.empty(), "report error without a message");
    return 0;
  }
  ReportOptions ro;
  auto w = make_reporter("json", ro);
  if (!w) fuzz::fail("no json reporter");
  std::ostringstream os;
  if (auto s = (*w)->write(*r, os); !s) return 0;
  auto again = parse_json_report(os.str(), "rewritten.json");
  GLP_FUZZ_CHECK(again.has_value(), "a report glpatrol wrote does not parse back: %s",
                 again ? "" : again.error().message.c_str());
  GLP_FUZZ_CHECK(again->findings.size() == r->findings.size(), "round trip changed %zu findings to %zu",
                 r->findings.size(), again->findings.size());
  return 0;
}
