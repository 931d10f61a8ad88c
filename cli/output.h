// Shared pieces of command output (tables are in table.h, JSON in json.h).
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "cli/json.h"
#include "common/error.h"

namespace ferry::cli {

// One JSON document per line.
void emit_json(std::ostream& out, const Json& json);
// null, or {"name":"TOPIC_ALREADY_EXISTS","message":"..."} (names and messages as report.h).
Json error_json(const std::optional<Error>& error);
// "OK", or "<ERROR_NAME>: <message>" for a table's STATUS column.
std::string status_text(const std::optional<Error>& error);
// "1,2,3" for replica lists in tables; [1,2,3] in JSON.
std::string join_ids(const std::vector<int32_t>& ids);
Json ids_json(const std::vector<int32_t>& ids);

}  // namespace ferry::cli
