// protocol/image: every input is made here with libjpeg, libpng and giflib (no binary fixtures).
#include <catch2/catch.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <gif_lib.h>
#include <jpeglib.h>
#include <png.h>

#include "protocol/image.hpp"

using namespace barertc::protocol::image;

namespace {

using pixel_fn = std::function<std::array<uint8_t, 4>(int x, int y)>;

/// Red in the top-left quarter, blue elsewhere: a corner that shows where a rotation put it.
std::array<uint8_t, 4> red_corner(int x, int y, int w, int h) {
  if (x < w / 4 && y < h / 4) return {255, 0, 0, 255};
  return {0, 0, 255, 255};
}

/// A minimal big-endian EXIF APP1 payload holding only the orientation tag.
std::string exif_app1(int orientation) {
  std::string s("Exif\0\0MM\0*\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01", 24);
  s += static_cast<char>(0), s += static_cast<char>(orientation), s += std::string(2, '\0');
  s += std::string(4, '\0');  // no next IFD
  return s;
}

std::string make_jpeg(int w, int h, const pixel_fn& px, int orientation = 0, bool progressive = false) {
  jpeg_compress_struct c;
  jpeg_error_mgr err;
  c.err = jpeg_std_error(&err);
  jpeg_create_compress(&c);
  unsigned char* buf = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&c, &buf, &size);
  c.image_width = w, c.image_height = h, c.input_components = 3, c.in_color_space = JCS_RGB;
  jpeg_set_defaults(&c);
  jpeg_set_quality(&c, 95, TRUE);
  if (progressive) jpeg_simple_progression(&c);
  jpeg_start_compress(&c, TRUE);
  if (orientation) {
    auto app1 = exif_app1(orientation);
    jpeg_write_marker(&c, JPEG_APP0 + 1, reinterpret_cast<const JOCTET*>(app1.data()), app1.size());
  }
  std::vector<uint8_t> row(static_cast<size_t>(w) * 3);
  while (c.next_scanline < c.image_height) {
    for (int x = 0; x < w; ++x) {
      auto p = px(x, static_cast<int>(c.next_scanline));
      std::memcpy(&row[x * 3], p.data(), 3);
    }
    JSAMPROW r = row.data();
    jpeg_write_scanlines(&c, &r, 1);
  }
  jpeg_finish_compress(&c);
  jpeg_destroy_compress(&c);
  std::string out(reinterpret_cast<char*>(buf), size);
  std::free(buf);
  return out;
}

struct decoded {
  int w = 0, h = 0;
  std::vector<uint8_t> rgba;
  std::array<uint8_t, 4> at(int x, int y) const {
    std::array<uint8_t, 4> p;
    std::memcpy(p.data(), &rgba[(static_cast<size_t>(y) * w + x) * 4], 4);
    return p;
  }
};

decoded read_jpeg(const std::string& bytes) {
  jpeg_decompress_struct d;
  jpeg_error_mgr err;
  d.err = jpeg_std_error(&err);
  jpeg_create_decompress(&d);
  jpeg_mem_src(&d, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  jpeg_read_header(&d, TRUE);
  d.out_color_space = JCS_EXT_RGBA;
  jpeg_start_decompress(&d);
  decoded out{static_cast<int>(d.output_width), static_cast<int>(d.output_height)};
  out.rgba.resize(static_cast<size_t>(out.w) * out.h * 4);
  while (d.output_scanline < d.output_height) {
    JSAMPROW r = &out.rgba[static_cast<size_t>(d.output_scanline) * out.w * 4];
    jpeg_read_scanlines(&d, &r, 1);
  }
  jpeg_finish_decompress(&d);
  jpeg_destroy_decompress(&d);
  return out;
}

decoded read_png(const std::string& bytes) {
  png_image img;
  std::memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  REQUIRE(png_image_begin_read_from_memory(&img, bytes.data(), bytes.size()));
  img.format = PNG_FORMAT_RGBA;
  decoded out{static_cast<int>(img.width), static_cast<int>(img.height)};
  out.rgba.resize(PNG_IMAGE_SIZE(img));
  REQUIRE(png_image_finish_read(&img, nullptr, out.rgba.data(), 0, nullptr));
  return out;
}

uint32_t crc32(std::string_view s) {
  uint32_t c = 0xffffffff;
  for (unsigned char b : s) {
    c ^= b;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xedb88320 & (0 - (c & 1)));
  }
  return ~c;
}

std::string be32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

std::string png_chunk(std::string_view type, std::string_view data) {
  std::string body = std::string(type) + std::string(data);
  return be32(static_cast<uint32_t>(data.size())) + body + be32(crc32(body));
}

/// A PNG written by libpng's simplified API; `format` picks RGBA, 16-bit, palette etc.
std::string make_png(int w, int h, uint32_t format, const pixel_fn& px) {
  png_image img;
  std::memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  img.width = w, img.height = h, img.format = PNG_FORMAT_RGBA;
  std::vector<uint8_t> rgba(static_cast<size_t>(w) * h * 4);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) std::memcpy(&rgba[(static_cast<size_t>(y) * w + x) * 4], px(x, y).data(), 4);
  std::vector<uint8_t> buffer;
  if (format != PNG_FORMAT_RGBA) {  // convert through a read: libpng does the format work
    size_t size = 0;
    REQUIRE(png_image_write_get_memory_size(img, size, 0, rgba.data(), 0, nullptr));
    buffer.resize(size);
    REQUIRE(png_image_write_to_memory(&img, buffer.data(), &size, 0, rgba.data(), 0, nullptr));
    png_image in;
    std::memset(&in, 0, sizeof in);
    in.version = PNG_IMAGE_VERSION;
    REQUIRE(png_image_begin_read_from_memory(&in, buffer.data(), size));
    in.format = format;
    std::vector<uint8_t> converted(PNG_IMAGE_SIZE(in));
    std::vector<uint8_t> cmap(PNG_IMAGE_COLORMAP_SIZE(in));
    REQUIRE(png_image_finish_read(&in, nullptr, converted.data(), 0, cmap.data()));
    in.format = format;
    size_t out_size = 0;
    REQUIRE(png_image_write_get_memory_size(in, out_size, 0, converted.data(), 0, cmap.data()));
    buffer.resize(out_size);
    REQUIRE(png_image_write_to_memory(&in, buffer.data(), &out_size, 0, converted.data(), 0, cmap.data()));
    return std::string(reinterpret_cast<char*>(buffer.data()), out_size);
  }
  size_t size = 0;
  REQUIRE(png_image_write_get_memory_size(img, size, 0, rgba.data(), 0, nullptr));
  buffer.resize(size);
  REQUIRE(png_image_write_to_memory(&img, buffer.data(), &size, 0, rgba.data(), 0, nullptr));
  return std::string(reinterpret_cast<char*>(buffer.data()), size);
}

/// Inserts `chunk` right after IHDR (8 signature bytes + 25 IHDR bytes).
std::string with_chunk_after_ihdr(const std::string& png, const std::string& chunk) {
  return png.substr(0, 33) + chunk + png.substr(33);
}

int gif_write(GifFileType* g, const GifByteType* data, int n) {
  static_cast<std::string*>(g->UserData)->append(reinterpret_cast<const char*>(data), n);
  return n;
}

/// A GIF of `frames` frames of the given size each, on a `sw` x `sh` screen.
std::string make_gif(int sw, int sh, int frames, int fw, int fh) {
  std::string out;
  int err = 0;
  GifFileType* g = EGifOpen(&out, gif_write, &err);
  REQUIRE(g);
  GifColorType colors[2] = {{255, 0, 0}, {0, 0, 255}};
  ColorMapObject* map = GifMakeMapObject(2, colors);
  EGifSetGifVersion(g, true);
  REQUIRE(EGifPutScreenDesc(g, sw, sh, 1, 0, map) == GIF_OK);
  std::vector<GifPixelType> line(fw);
  for (int f = 0; f < frames; ++f) {
    GifByteType gce[4] = {0, 10, 0, 0};  // 0.1 s per frame
    REQUIRE(EGifPutExtension(g, GRAPHICS_EXT_FUNC_CODE, 4, gce) == GIF_OK);
    REQUIRE(EGifPutImageDesc(g, 0, 0, fw, fh, false, nullptr) == GIF_OK);
    for (int y = 0; y < fh; ++y) {
      for (int x = 0; x < fw; ++x) line[x] = static_cast<GifPixelType>((x + y + f) & 1);
      REQUIRE(EGifPutLine(g, line.data(), fw) == GIF_OK);
    }
  }
  GifFreeMapObject(map);
  REQUIRE(EGifCloseFile(g, &err) == GIF_OK);
  return out;
}

processed ok(type t, const std::string& bytes, const limits& lim = {}) {
  auto r = process(t, bytes, lim);
  if (auto* no = std::get_if<refusal>(&r)) FAIL("refused: " << no->reason);
  return std::get<processed>(r);
}

std::string refused(type t, std::string_view bytes, const limits& lim = {}) {
  auto r = process(t, bytes, lim);
  REQUIRE(std::holds_alternative<refusal>(r));
  return std::get<refusal>(r).reason;
}

bool has_app1(const std::string& jpeg) {
  for (size_t i = 2; i + 4 <= jpeg.size();) {
    if (static_cast<uint8_t>(jpeg[i]) != 0xff) return false;
    uint8_t marker = static_cast<uint8_t>(jpeg[i + 1]);
    if (marker == 0xe1) return true;
    if (marker == 0xda) return false;  // start of scan: no more headers
    i += 2 + (static_cast<uint8_t>(jpeg[i + 2]) << 8 | static_cast<uint8_t>(jpeg[i + 3]));
  }
  return false;
}

const pixel_fn corner_80x40 = [](int x, int y) { return red_corner(x, y, 80, 40); };

bool reddish(std::array<uint8_t, 4> p) { return p[0] > 180 && p[2] < 80; }

}  // namespace

TEST_CASE("type_of reads the extension in any case", "[image]") {
  CHECK(type_of("a.jpg") == type::jpeg);
  CHECK(type_of("A.JPEG") == type::jpeg);
  CHECK(type_of("x.y.Png") == type::png);
  CHECK(type_of("anim.GIF") == type::gif);
  CHECK_FALSE(type_of("a.webp"));
  CHECK_FALSE(type_of("jpg"));
  CHECK_FALSE(type_of("a.jpg.exe"));
  CHECK(std::string(mime(type::png)) == "image/png");
}

TEST_CASE("a JPEG with EXIF orientation 6 comes out turned a quarter clockwise, without EXIF", "[image]") {
  auto in = make_jpeg(80, 40, corner_80x40, 6);
  REQUIRE(has_app1(in));
  auto p = ok(type::jpeg, in);
  CHECK(p.width == 40);
  CHECK(p.height == 80);
  CHECK_FALSE(has_app1(p.bytes));
  auto d = read_jpeg(p.bytes);
  REQUIRE(d.w == 40);
  CHECK(reddish(d.at(35, 5)));  // the red top-left corner is now top-right
  CHECK_FALSE(reddish(d.at(5, 5)));
  CHECK_FALSE(reddish(d.at(35, 75)));
}

TEST_CASE("every EXIF orientation moves the red corner where it belongs", "[image]") {
  // Where the top-left corner ends up, as (right?, bottom?), and whether the sides swap.
  struct row {
    int o;
    bool swap, right, bottom;
  };
  for (auto [o, swap, right, bottom] : {row{1, false, false, false}, row{2, false, true, false},
                                        row{3, false, true, true}, row{4, false, false, true},
                                        row{5, true, false, false}, row{6, true, true, false},
                                        row{7, true, true, true}, row{8, true, false, true}}) {
    INFO("orientation " << o);
    auto p = ok(type::jpeg, make_jpeg(80, 40, corner_80x40, o));
    CHECK(p.width == (swap ? 40 : 80));
    CHECK(p.height == (swap ? 80 : 40));
    auto d = read_jpeg(p.bytes);
    int x = right ? d.w - 5 : 4, y = bottom ? d.h - 5 : 4;
    CHECK(reddish(d.at(x, y)));
    CHECK_FALSE(reddish(d.at(d.w - 1 - x, d.h - 1 - y)));
  }
}

using dims = std::pair<int, int>;
dims size_of(const processed& p) { return {p.width, p.height}; }
dims preview_of(const processed& p) { return {p.preview_width, p.preview_height}; }

TEST_CASE("JPEGs are scaled to max_width keeping the aspect ratio, never up", "[image]") {
  limits lim;
  lim.max_width = 100;
  CHECK(size_of(ok(type::jpeg, make_jpeg(400, 300, corner_80x40), lim)) == dims{100, 75});
  CHECK(size_of(ok(type::jpeg, make_jpeg(300, 1000, corner_80x40), lim)) == dims{30, 100});
  CHECK(size_of(ok(type::jpeg, make_jpeg(60, 20, corner_80x40), lim)) == dims{60, 20});
  CHECK(size_of(ok(type::jpeg, make_jpeg(400, 300, corner_80x40, 0, true), lim)) == dims{100, 75});
  CHECK(size_of(ok(type::png, make_png(400, 300, PNG_FORMAT_RGBA, corner_80x40), lim)) == dims{100, 75});
}

TEST_CASE("the preview's longest side is at most preview_width, at least 1 px", "[image]") {
  limits lim;
  lim.preview_width = 50;
  CHECK(preview_of(ok(type::jpeg, make_jpeg(200, 100, corner_80x40), lim)) == dims{50, 25});
  CHECK(preview_of(ok(type::png, make_png(400, 1, PNG_FORMAT_RGBA, corner_80x40), lim)) == dims{50, 1});
  CHECK(preview_of(ok(type::png, make_png(10, 20, PNG_FORMAT_RGBA, corner_80x40), lim)) == dims{10, 20});
}

TEST_CASE("a PNG keeps its alpha and is re-encoded without metadata chunks", "[image]") {
  auto in = make_png(40, 20, PNG_FORMAT_RGBA, [](int x, int) -> std::array<uint8_t, 4> {
    return {0, 255, 0, static_cast<uint8_t>(x < 20 ? 0 : 255)};
  });
  in = with_chunk_after_ihdr(in, png_chunk("tEXt", std::string("Comment\0secret", 14)));
  in = with_chunk_after_ihdr(in, png_chunk("eXIf", exif_app1(1).substr(6)));
  REQUIRE(in.find("tEXt") != std::string::npos);
  limits lim;
  lim.max_width = 20;
  auto p = ok(type::png, in, lim);
  CHECK(p.width == 20);
  CHECK(p.height == 10);
  CHECK(p.bytes.find("tEXt") == std::string::npos);
  CHECK(p.bytes.find("eXIf") == std::string::npos);
  CHECK(p.bytes.find("secret") == std::string::npos);
  auto d = read_png(p.bytes);
  CHECK(d.at(2, 2)[3] == 0);
  CHECK(d.at(17, 2)[3] == 255);
  CHECK(d.at(17, 2)[1] == 255);
}

TEST_CASE("a PNG's eXIf orientation is applied", "[image]") {
  auto in = with_chunk_after_ihdr(make_png(80, 40, PNG_FORMAT_RGBA, corner_80x40),
                                  png_chunk("eXIf", exif_app1(6).substr(6)));
  auto p = ok(type::png, in);
  CHECK(p.width == 40);
  CHECK(p.height == 80);
  auto d = read_png(p.bytes);
  CHECK(reddish(d.at(35, 5)));
}

TEST_CASE("16-bit, palette and gray PNGs decode", "[image]") {
  for (uint32_t format : std::initializer_list<uint32_t>{PNG_FORMAT_LINEAR_RGB_ALPHA, PNG_FORMAT_RGBA_COLORMAP, PNG_FORMAT_GRAY,
                          PNG_FORMAT_LINEAR_Y}) {
    INFO("format " << format);
    auto p = ok(type::png, make_png(32, 16, format, corner_80x40));
    CHECK(p.width == 32);
    CHECK(p.height == 16);
    auto d = read_png(p.bytes);
    CHECK(d.w == 32);
  }
}

TEST_CASE("huge declared sizes are refused from the header alone", "[image]") {
  std::string ihdr = be32(100000) + be32(100000) + std::string("\x08\x06\0\0\0", 5);
  std::string png = std::string("\x89PNG\r\n\x1a\n", 8) + png_chunk("IHDR", ihdr);
  CHECK(refused(type::png, png).find("too many pixels") != std::string::npos);
  CHECK(refused(type::png, png + png_chunk("IDAT", "x") + png_chunk("IEND", "")).find("too many pixels") !=
        std::string::npos);

  // SOI, then a baseline SOF0 declaring 60000 x 60000, three components, and nothing more.
  std::string sof("\xff\xd8\xff\xc0\0\x11\x08\xea\x60\xea\x60\x03\x01\x22\0\x02\x11\x01\x03\x11\x01", 21);
  CHECK(refused(type::jpeg, sof).find("too many pixels") != std::string::npos);
  // The same with a real image after it: the SOF is patched into a valid file.
  auto real = make_jpeg(16, 16, corner_80x40);
  auto pos = real.find("\xff\xc0");
  REQUIRE(pos != std::string::npos);
  real[pos + 5] = '\xea', real[pos + 6] = '\x60', real[pos + 7] = '\xea', real[pos + 8] = '\x60';
  CHECK(refused(type::jpeg, real).find("too many pixels") != std::string::npos);

  limits low;
  low.max_pixels = 100;
  CHECK(refused(type::png, make_png(20, 20, PNG_FORMAT_RGBA, corner_80x40), low).find("too many") !=
        std::string::npos);
  CHECK(refused(type::jpeg, make_jpeg(20, 20, corner_80x40), low).find("too many") != std::string::npos);
  CHECK(refused(type::gif, make_gif(20, 20, 1, 20, 20), low).find("too many") != std::string::npos);
}

TEST_CASE("truncated files are refused", "[image]") {
  auto jpeg = make_jpeg(64, 64, corner_80x40);
  auto png = make_png(64, 64, PNG_FORMAT_RGBA, corner_80x40);
  auto gif = make_gif(64, 64, 2, 64, 64);
  for (double frac : {0.1, 0.5, 0.9}) {
    CHECK(refused(type::jpeg, jpeg.substr(0, jpeg.size() * frac)) == "That file is not a valid JPEG image.");
    CHECK(refused(type::png, png.substr(0, png.size() * frac)) == "That file is not a valid PNG image.");
    CHECK(refused(type::gif, gif.substr(0, gif.size() * frac)) == "That file is not a valid GIF image.");
  }
  CHECK(refused(type::gif, gif.substr(0, gif.size() - 1)) == "That file is not a valid GIF image.");
}

TEST_CASE("an animated GIF passes through byte for byte", "[image]") {
  auto gif = make_gif(300, 200, 2, 300, 200);
  limits lim;
  lim.max_width = 100;
  lim.preview_width = 60;
  auto p = ok(type::gif, gif, lim);
  CHECK(p.bytes == gif);
  CHECK(p.width == 300);
  CHECK(p.height == 200);
  CHECK(p.preview_width == 60);
  CHECK(p.preview_height == 40);
}

TEST_CASE("a GIF whose frames together pass max_pixels is refused", "[image]") {
  limits lim;
  lim.max_pixels = 3 * 40 * 40 - 1;
  CHECK_NOTHROW(ok(type::gif, make_gif(40, 40, 2, 40, 40), lim));
  CHECK(refused(type::gif, make_gif(40, 40, 3, 40, 40), lim).find("too many pixels") != std::string::npos);
}

TEST_CASE("garbage, empty and mislabelled input is refused", "[image]") {
  std::string junk(1000, '\x5a');
  CHECK(refused(type::jpeg, junk) == "That file is not a valid JPEG image.");
  CHECK(refused(type::png, junk) == "That file is not a valid PNG image.");
  CHECK(refused(type::gif, junk) == "That file is not a valid GIF image.");
  CHECK(refused(type::jpeg, "") == "That file is not a valid JPEG image.");
  CHECK(refused(type::png, make_jpeg(8, 8, corner_80x40)) == "That file is not a valid PNG image.");
  CHECK(refused(type::jpeg, make_gif(8, 8, 1, 8, 8)) == "That file is not a valid JPEG image.");
}

TEST_CASE("input over max_bytes is refused, naming the limit", "[image]") {
  limits lim;
  lim.max_bytes = 1 << 20;
  std::string big((1 << 20) + 1, '\0');
  CHECK(refused(type::jpeg, big, lim) == "That image is too large (the limit is 1 MiB).");
  lim.max_bytes = 8 << 20;
  CHECK(refused(type::png, std::string((8 << 20) + 1, '\0'), lim) == "That image is too large (the limit is 8 MiB).");
}

TEST_CASE("html() inlines the image at its preview size", "[image]") {
  processed p;
  p.t = type::gif;
  p.bytes = "GIF89";
  p.preview_width = 12;
  p.preview_height = 7;
  CHECK(html(p) ==
        "<img src=\"data:image/gif;base64,R0lGODk=\" width=\"12\" height=\"7\" "
        "onclick=\"setModalImage(this.src)\" style=\"cursor: pointer\">");
  p.bytes = "ab";
  CHECK(html(p).find("base64,YWI=\"") != std::string::npos);
  p.bytes = "abc";
  CHECK(html(p).find("base64,YWJj\"") != std::string::npos);
}

TEST_CASE("an 8 MiB-class 4000x3000 JPEG is processed quickly", "[image][speed]") {
  auto in = make_jpeg(4000, 3000, [](int x, int y) -> std::array<uint8_t, 4> {
    return {static_cast<uint8_t>(x * 7 ^ y * 13), static_cast<uint8_t>(x / 8 + y / 8), static_cast<uint8_t>((x + y) / 4), 255};
  });
  INFO("input " << in.size() << " bytes");
  REQUIRE(in.size() <= (8u << 20));
  auto start = std::chrono::steady_clock::now();
  auto p = ok(type::jpeg, in);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  WARN("4000x3000 JPEG of " << in.size() / 1024 << " KiB processed in " << ms << " ms");
  CHECK(p.width == 1280);
  CHECK(p.height == 960);
  CHECK(ms < 1500);
}

TEST_CASE("process() runs on several threads at once", "[image]") {
  const auto jpeg = make_jpeg(300, 200, corner_80x40, 6);
  const auto png = make_png(200, 100, PNG_FORMAT_RGBA, corner_80x40);
  const auto bad = jpeg.substr(0, jpeg.size() / 2);
  std::atomic<int> good{0}, refusals{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&] {
      limits lim;
      lim.max_width = 100;
      for (int k = 0; k < 20; ++k) {
        for (auto* in : {&jpeg, &png}) {
          auto r = process(in == &jpeg ? type::jpeg : type::png, *in, lim);
          if (auto* p = std::get_if<processed>(&r); p && p->width <= 100) ++good;
        }
        if (std::holds_alternative<refusal>(process(type::jpeg, bad, lim))) ++refusals;
      }
    });
  for (auto& t : threads) t.join();
  CHECK(good == 4 * 20 * 2);
  CHECK(refusals == 4 * 20);
}
