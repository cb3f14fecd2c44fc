#pragma once
/// Server notices are HTML; log lines are plain text. This turns one into the other.
#include <string>
#include <string_view>

namespace barertc::protocol {

/// `html` as one plain line for a log: tags dropped, the entities escape_html writes undone, line
/// breaks and other control characters turned into spaces.
std::string plain_text(std::string_view html);

}  // namespace barertc::protocol
