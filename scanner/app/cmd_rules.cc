// glpatrol rules list | rules check [FILE...] ; glpatrol version
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <iostream>
#include <sstream>

#include "app/commands.h"
#include "app/exit_codes.h"
#include "app/version.h"
#include "matcher/load_rules.h"
#include "matcher/rule_check.h"
#include "reporters/reporter.h"

namespace glpatrol {

void add_rules_command(CLI::App& root, int& rc) {
  CLI::App* rules = root.add_subcommand("rules", "List or check detection rules");
  rules->require_subcommand(1);

  auto list_format = std::make_shared<std::string>("human");
  auto list_opts = std::make_shared<RuleSources>();
  CLI::App* list = rules->add_subcommand("list", "Print the loaded rules");
  list->add_option("-f,--format", *list_format, "human or json")->check(CLI::IsMember({"human", "json"}));
  list->add_option("--rules", list_opts->rule_files, "extra rule file(s)");
  list->add_option("--pat-prefix", list_opts->prefixes.pat_prefixes, "custom PAT prefix (repeatable)");
  list->add_option("--instance-prefix", list_opts->prefixes.instance_prefixes,
                   "instance prefix (repeatable)");
  list->callback([list_format, list_opts, &rc] {
    auto db = load_rule_db(*list_opts, nullptr);
    if (!db) {
      std::cerr << "glpatrol: " << db.error().message << "\n";
      rc = kExitError;
      return;
    }
    if (*list_format == "json") {
      nlohmann::json arr = nlohmann::json::array();
      for (const auto& r : db->rules())
        arr.push_back({{"id", r.id},
                       {"name", r.name},
                       {"description", r.description},
                       {"severity", std::string(to_string(r.severity))},
                       {"pattern", expand_pattern(r, db->rule_set().prefixes)},
                       {"verify", r.verify},
                       {"revoke", r.revoke},
                       {"references", r.references},
                       {"origin", r.origin}});
      std::cout << arr.dump(2) << "\n";
    } else {
      for (const auto& r : db->rules())
        std::cout << fmt::format("{:<36} {:<9} {}\n", r.id, to_string(r.severity), r.name);
      std::cout << fmt::format("{} rules\n", db->rules().size());
    }
    rc = 0;
  });

  auto files = std::make_shared<std::vector<std::string>>();
  CLI::App* check =
      rules->add_subcommand("check",
                            "Check rule files (default: the built-in rules): every example must match, "
                            "no negative example may");
  check->add_option("files", *files, "rule files (TOML)");
  auto standalone = std::make_shared<bool>(false);
  check->add_flag("--standalone", *standalone,
                  "check the files on their own, without the built-in rules (a complete rule set "
                  "such as an edited rules/gitlab.toml); by default files are checked as extra "
                  "rules next to the built-in ones, as --rules loads them");
  check->callback([files, standalone, &rc] {
    RuleSet set;
    if (!*standalone || files->empty()) set.rules = builtin_rules();
    const std::size_t first = files->empty() ? 0 : set.rules.size();
    for (const auto& path : *files) {
      std::ifstream in(path, std::ios::binary);
      if (!in) {
        std::cerr << "glpatrol: " << path << ": cannot read rule file\n";
        rc = kExitError;
        return;
      }
      std::stringstream ss;
      ss << in.rdbuf();
      auto parsed = parse_rules_toml(ss.str(), path);
      if (!parsed) {
        std::cerr << "glpatrol: " << parsed.error().message << "\n";
        rc = kExitError;
        return;
      }
      for (auto& r : *parsed) {
        for (const auto& b : set.rules)
          if (b.id == r.id) {
            std::cerr << "glpatrol: " << path << ": rule id '" << r.id << "' is already defined (" << b.origin
                      << ")"
                      << (b.origin == "builtin"
                              ? "; to check a complete rule set on its own, use --standalone"
                              : "")
                      << "\n";
            rc = kExitError;
            return;
          }
        set.rules.push_back(std::move(r));
      }
    }
    auto db = RuleDb::build(std::move(set));
    if (!db) {
      std::cerr << "glpatrol: " << db.error().message << "\n";
      rc = kExitError;
      return;
    }
    const RuleCheckResult res = check_rules(*db, first);
    for (const auto& p : res.problems) std::cout << "FAIL " << p.rule_id << ": " << p.message << "\n";
    std::cout << fmt::format("{} rules, {} examples, {} negative examples: {}\n", res.rules, res.examples,
                             res.negative_examples,
                             res.ok() ? "all ok" : fmt::format("{} problems", res.problems.size()));
    rc = res.ok() ? 0 : 1;
  });
}

void add_version_command(CLI::App& root, int& rc) {
  CLI::App* v = root.add_subcommand("version", "Print the version");
  v->callback([&rc] {
    std::cout << version_text() << "\n";
    rc = 0;
  });
}

}  // namespace glpatrol
