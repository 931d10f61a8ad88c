#include "cli/output.h"

#include "cli/report.h"

namespace ferry::cli {

void emit_json(std::ostream& out, const Json& json) {
  out << dump_json(json) << '\n';
  out.flush();
}

Json error_json(const std::optional<Error>& error) {
  if (!error) return Json();
  Json json = Json::object();
  json["name"] = error_display_name(error->code());
  json["message"] = error_message_text(*error);
  return json;
}

std::string status_text(const std::optional<Error>& error) {
  return error ? describe_error(*error) : "OK";
}

std::string join_ids(const std::vector<int32_t>& ids) {
  std::string out;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) out += ',';
    out += std::to_string(ids[i]);
  }
  return out;
}

Json ids_json(const std::vector<int32_t>& ids) {
  Json json = Json::array();
  for (int32_t id : ids)
    json.push_back(static_cast<int64_t>(id));
  return json;
}

}  // namespace ferry::cli
