#include "cli/json.h"

namespace ferry::cli {

Json optional_string(const std::optional<std::string>& s) {
  return s ? Json(*s) : Json(nullptr);
}

std::string dump_json(const Json& json) {
  return json.dump(-1, ' ', false, nlohmann::detail::error_handler_t::replace);
}

void append_json_string(std::string& out, std::string_view s) {
  out += dump_json(Json(std::string(s)));
}

}  // namespace ferry::cli
