#pragma once
/// Shared images (protocol.md B.2 `file`, "Image sharing"): decoded with Debian's libjpeg-turbo,
/// libpng, giflib and libexif, never by hand; EXIF orientation applied and every piece of metadata
/// dropped; scaled so the longest side is at most MaxImageWidth; JPEG re-encoded at quality 90,
/// PNG re-encoded, GIF passed through (its animation kept) once its frames are checked. Pure
/// functions: no sockets, no actors. The chat runs them on its media workers (actors/media.cpp),
/// off the I/O threads and off the channel actors.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace barertc::protocol::image {

enum class type { jpeg, png, gif };

/// The type a file name's extension names (`.jpg`, `.jpeg`, `.png`, `.gif`, any case), else nullopt.
std::optional<type> type_of(std::string_view filename);

/// "image/jpeg", "image/png" or "image/gif".
const char* mime(type t);

struct limits {
  int max_width = 1280;      ///< MaxImageWidth: longest side of the image delivered.
  int preview_width = 360;   ///< PreviewImageWidth: longest side as shown inline.
  size_t max_bytes = 8 << 20;            ///< Largest encoded input.
  uint64_t max_pixels = 50'000'000;      ///< Largest width x height a header may declare (all GIF frames together).
};

/// A processed image, ready to be sent inline.
struct processed {
  type t = type::jpeg;
  std::string bytes;       ///< The encoded image delivered (re-encoded, or the GIF as it came).
  int width = 0;           ///< Of `bytes`.
  int height = 0;
  int preview_width = 0;   ///< The size it is shown at in the chat (longest side <= preview limit).
  int preview_height = 0;
};

/// Why an image was refused, as a plain sentence for the sender (the caller escapes it).
struct refusal {
  std::string reason;
};

/// Decodes, checks, orients, strips, scales and re-encodes `bytes` of type `t`. The byte and
/// pixel limits are checked before any large allocation (a 100000 x 100000 PNG header is refused
/// from its header alone). Never throws on bad input.
std::variant<processed, refusal> process(type t, std::string_view bytes, const limits& lim);

/// The chat line for a processed image: `<img src="data:<mime>;base64,..." width=.. height=..
/// onclick="setModalImage(this.src)" style="cursor: pointer">` at the preview size.
std::string html(const processed& img);

}  // namespace barertc::protocol::image
