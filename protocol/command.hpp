#pragma once
/// Operator command lines ("/kick \"user 2\"") split the way a shell would.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace barertc::protocol {

/// Splits on white space, honouring "double" and 'single' quotes and backslash escapes.
/// nullopt when a quote is left open.
std::optional<std::vector<std::string>> split_command(std::string_view line);

/// A username argument without its leading `@`.
std::string strip_at(std::string_view name);

}  // namespace barertc::protocol
