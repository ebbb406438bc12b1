#include "findings/report_header.h"

namespace glpatrol {

Result<nlohmann::ordered_json> parse_report_document(std::string_view text, const std::string& what,
                                                     const std::string& origin) {
  nlohmann::ordered_json doc;
  try {
    doc = nlohmann::ordered_json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    return Error::config(what + " is not valid JSON (" + e.what() + ")");
  }
  if (!doc.is_object() || !doc.contains("findings") || !doc["findings"].is_array())
    return Error::config(what +
                         " is not a glpatrol JSON report (no \"findings\" array); create one with: "
                         "glpatrol ... -r json:" +
                         origin);
  std::string tool;
  if (auto t = doc.find("tool"); t != doc.end() && t->is_object())
    if (auto n = t->find("name"); n != t->end() && n->is_string()) tool = n->get<std::string>();
  if (tool != "glpatrol")
    return Error::config(what + " was written by '" + (tool.empty() ? "an unknown tool" : tool) +
                         "', not glpatrol");
  std::string version;
  if (auto v = doc.find("schema_version"); v != doc.end() && v->is_string()) version = v->get<std::string>();
  if (version.rfind("1.", 0) != 0)
    return Error::config(what + " has report schema version '" + version +
                         "'; this glpatrol reads version 1.x");
  return doc;
}

}  // namespace glpatrol
