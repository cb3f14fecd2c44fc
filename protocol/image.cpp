// Shared images: decode with libjpeg-turbo / libpng / giflib, orient with libexif, box-scale,
// re-encode. The libraries report errors by longjmp; every function that calls setjmp keeps its
// state in a caller-owned job struct (no automatic C++ objects with destructors live across it).
#include "protocol/image.hpp"

#include <algorithm>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include <gif_lib.h>
#include <jpeglib.h>
#include <jerror.h>
#include <libexif/exif-data.h>
#include <png.h>

namespace barertc::protocol::image {

namespace {

/// Decoded pixels, 8 bits per channel, rows top to bottom.
struct raster {
  int width = 0;
  int height = 0;
  int channels = 0;
  std::vector<uint8_t> px;
};

/// Area-average downscaler fed one source row at a time: every source pixel adds to exactly one
/// target pixel, so memory is the target plus one row of sums.
class box_scaler {
 public:
  /// False when memory runs out (the setjmp functions below must not let bad_alloc through).
  bool try_reset(int sw, int sh, int tw, int th, int ch, std::vector<uint8_t>& row, size_t row_bytes) noexcept {
    try {
      reset(sw, sh, tw, th, ch);
      row.resize(row_bytes);
      return true;
    } catch (const std::bad_alloc&) {
      return false;
    }
  }
  void reset(int sw, int sh, int tw, int th, int ch) {
    sw_ = sw, sh_ = sh, ch_ = ch, y_ = 0, cur_ = 0;
    out_.width = tw, out_.height = th, out_.channels = ch;
    out_.px.assign(static_cast<size_t>(tw) * th * ch, 0);
    sums_.assign(static_cast<size_t>(tw) * ch, 0);
    counts_.assign(tw, 0);
    col_.resize(sw);
    for (int x = 0; x < sw; ++x) col_[x] = static_cast<int>(static_cast<int64_t>(x) * tw / sw);
  }
  void add_row(const uint8_t* row) {
    if (y_ >= sh_) return;
    int ty = static_cast<int>(static_cast<int64_t>(y_) * out_.height / sh_);
    if (ty != cur_) flush();
    cur_ = ty;
    for (int x = 0; x < sw_; ++x) {
      uint32_t* s = &sums_[static_cast<size_t>(col_[x]) * ch_];
      for (int c = 0; c < ch_; ++c) s[c] += row[static_cast<size_t>(x) * ch_ + c];
      ++counts_[col_[x]];
    }
    if (++y_ == sh_) flush();
  }
  raster& result() { return out_; }

 private:
  void flush() {
    uint8_t* dst = &out_.px[static_cast<size_t>(cur_) * out_.width * ch_];
    for (int x = 0; x < out_.width; ++x) {
      uint32_t n = counts_[x] ? counts_[x] : 1;
      for (int c = 0; c < ch_; ++c) dst[x * ch_ + c] = static_cast<uint8_t>((sums_[x * ch_ + c] + n / 2) / n);
    }
    std::fill(sums_.begin(), sums_.end(), 0);
    std::fill(counts_.begin(), counts_.end(), 0);
  }
  int sw_ = 0, sh_ = 0, ch_ = 0, y_ = 0, cur_ = 0;
  raster out_;
  std::vector<uint32_t> sums_, counts_;
  std::vector<int> col_;
};

enum class outcome { ok, invalid, too_many_pixels };

/// The size whose longest side is at most `limit`, keeping the aspect ratio; never larger, at least 1.
std::pair<int, int> fit(int w, int h, int limit) {
  int longest = std::max(w, h);
  if (limit < 1) limit = 1;
  if (longest <= limit) return {w, h};
  auto scale = [&](int v) {
    return std::max(1, static_cast<int>((static_cast<int64_t>(v) * limit + longest / 2) / longest));
  };
  return {scale(w), scale(h)};
}

bool pixels_ok(uint64_t w, uint64_t h, const limits& lim) { return w * h <= lim.max_pixels; }

/// EXIF orientation (1..8) from an APP1 payload starting "Exif\0\0"; 1 when absent or odd.
int exif_orientation(const uint8_t* data, size_t size) {
  if (size < 6 || size > 0xffff * 4) return 1;
  ExifData* ed = exif_data_new_from_data(data, static_cast<unsigned>(size));
  if (!ed) return 1;
  int o = 1;
  if (ExifEntry* e = exif_content_get_entry(ed->ifd[EXIF_IFD_0], EXIF_TAG_ORIENTATION);
      e && e->format == EXIF_FORMAT_SHORT && e->components >= 1 && e->size >= 2)
    o = exif_get_short(e->data, exif_data_get_byte_order(ed));
  exif_data_unref(ed);
  return o >= 1 && o <= 8 ? o : 1;
}

/// Applies EXIF orientation `o` (flips and quarter turns) to `src`.
raster orient(raster src, int o) {
  if (o <= 1 || o > 8) return src;
  const int w = src.width, h = src.height, ch = src.channels;
  raster dst;
  bool swap = o >= 5;
  dst.width = swap ? h : w;
  dst.height = swap ? w : h;
  dst.channels = ch;
  dst.px.resize(src.px.size());
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      int dx = x, dy = y;
      switch (o) {
        case 2: dx = w - 1 - x; break;
        case 3: dx = w - 1 - x, dy = h - 1 - y; break;
        case 4: dy = h - 1 - y; break;
        case 5: dx = y, dy = x; break;
        case 6: dx = h - 1 - y, dy = x; break;
        case 7: dx = h - 1 - y, dy = w - 1 - x; break;
        case 8: dx = y, dy = w - 1 - x; break;
      }
      std::memcpy(&dst.px[(static_cast<size_t>(dy) * dst.width + dx) * ch],
                  &src.px[(static_cast<size_t>(y) * w + x) * ch], ch);
    }
  return dst;
}

// ---- JPEG -------------------------------------------------------------------------------------

constexpr int max_jpeg_scans = 500;           // progressive files with thousands of scans are a CPU bomb
constexpr long jpeg_memory = 256L << 20;      // libjpeg's own buffers (a progressive file's coefficients)

struct jpeg_err {
  jpeg_error_mgr pub;
  jmp_buf jump;
  bool truncated;
};

void jpeg_error_exit(j_common_ptr c) { std::longjmp(reinterpret_cast<jpeg_err*>(c->err)->jump, 1); }
void jpeg_emit(j_common_ptr c, int level) {
  auto* e = reinterpret_cast<jpeg_err*>(c->err);
  if (level < 0 && e->pub.msg_code == JWRN_JPEG_EOF) e->truncated = true;
}
void jpeg_silent(j_common_ptr) {}
void jpeg_progress(j_common_ptr c) {
  if (c->is_decompressor && reinterpret_cast<j_decompress_ptr>(c)->input_scan_number > max_jpeg_scans)
    std::longjmp(reinterpret_cast<jpeg_err*>(c->err)->jump, 1);
}

void quiet_errors(jpeg_err& e) {
  jpeg_std_error(&e.pub);
  e.pub.error_exit = jpeg_error_exit;
  e.pub.emit_message = jpeg_emit;
  e.pub.output_message = jpeg_silent;
  e.truncated = false;
}

struct jpeg_job {
  std::string_view in;
  const limits* lim;
  jpeg_decompress_struct cinfo;
  jpeg_err err;
  jpeg_progress_mgr progress;
  int orientation = 1;
  std::vector<uint8_t> row;
  box_scaler scaler;
};

outcome decode_jpeg(jpeg_job* j) {
  j->cinfo.err = nullptr;
  quiet_errors(j->err);
  j->cinfo.err = &j->err.pub;
  if (setjmp(j->err.jump)) {  // a header that got as far as its size may still be a bomb
    bool big = !pixels_ok(j->cinfo.image_width, j->cinfo.image_height, *j->lim);
    jpeg_destroy_decompress(&j->cinfo);
    return big ? outcome::too_many_pixels : outcome::invalid;
  }
  jpeg_create_decompress(&j->cinfo);
  j->cinfo.mem->max_memory_to_use = jpeg_memory;
  j->progress.progress_monitor = jpeg_progress;
  j->cinfo.progress = &j->progress;
  jpeg_mem_src(&j->cinfo, reinterpret_cast<const unsigned char*>(j->in.data()), j->in.size());
  jpeg_save_markers(&j->cinfo, JPEG_APP0 + 1, 0xffff);
  jpeg_read_header(&j->cinfo, TRUE);
  const int w = static_cast<int>(j->cinfo.image_width), h = static_cast<int>(j->cinfo.image_height);
  if (w <= 0 || h <= 0 || j->err.truncated) {
    jpeg_destroy_decompress(&j->cinfo);
    return outcome::invalid;
  }
  if (!pixels_ok(w, h, *j->lim)) {
    jpeg_destroy_decompress(&j->cinfo);
    return outcome::too_many_pixels;
  }
  for (jpeg_saved_marker_ptr m = j->cinfo.marker_list; m; m = m->next)
    if (m->marker == JPEG_APP0 + 1 && m->data_length > 6 && std::memcmp(m->data, "Exif\0\0", 6) == 0) {
      j->orientation = exif_orientation(m->data, m->data_length);
      break;
    }
  auto [tw, th] = fit(w, h, j->lim->max_width);
  // DCT scaling: the smallest 1/2^k that still leaves at least the target size.
  int denom = 1;
  while (denom < 8 && (w + 2 * denom - 1) / (2 * denom) >= tw && (h + 2 * denom - 1) / (2 * denom) >= th)
    denom *= 2;
  j->cinfo.scale_num = 1;
  j->cinfo.scale_denom = denom;
  bool cmyk = j->cinfo.jpeg_color_space == JCS_CMYK || j->cinfo.jpeg_color_space == JCS_YCCK;
  j->cinfo.out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
  jpeg_start_decompress(&j->cinfo);
  const int ow = static_cast<int>(j->cinfo.output_width), oh = static_cast<int>(j->cinfo.output_height);
  const int oc = j->cinfo.output_components;
  if (!j->scaler.try_reset(ow, oh, std::min(tw, ow), std::min(th, oh), 3, j->row, static_cast<size_t>(ow) * oc))
    ERREXIT(&j->cinfo, JERR_OUT_OF_MEMORY);
  while (j->cinfo.output_scanline < j->cinfo.output_height) {
    JSAMPROW r = j->row.data();
    if (jpeg_read_scanlines(&j->cinfo, &r, 1) != 1 || j->err.truncated) break;
    if (cmyk) {  // Adobe writes inverted CMYK; RGB = (inverted C) * (inverted K)
      for (int x = 0; x < ow; ++x) {
        uint8_t* p = &j->row[static_cast<size_t>(x) * 4];
        unsigned k = p[3];
        j->row[x * 3 + 0] = static_cast<uint8_t>(p[0] * k / 255);
        j->row[x * 3 + 1] = static_cast<uint8_t>(p[1] * k / 255);
        j->row[x * 3 + 2] = static_cast<uint8_t>(p[2] * k / 255);
      }
    }
    j->scaler.add_row(j->row.data());
  }
  bool truncated = j->err.truncated || j->cinfo.output_scanline < j->cinfo.output_height;
  if (!truncated) jpeg_finish_decompress(&j->cinfo);
  truncated = truncated || j->err.truncated;
  jpeg_destroy_decompress(&j->cinfo);
  return truncated ? outcome::invalid : outcome::ok;
}

struct jpeg_enc_job {
  const raster* img;
  jpeg_compress_struct cinfo;
  jpeg_err err;
  unsigned char* buf = nullptr;
  unsigned long size = 0;
};

bool encode_jpeg(jpeg_enc_job* j) {
  quiet_errors(j->err);
  j->cinfo.err = &j->err.pub;
  if (setjmp(j->err.jump)) {
    jpeg_destroy_compress(&j->cinfo);
    return false;
  }
  jpeg_create_compress(&j->cinfo);
  jpeg_mem_dest(&j->cinfo, &j->buf, &j->size);
  j->cinfo.image_width = j->img->width;
  j->cinfo.image_height = j->img->height;
  j->cinfo.input_components = 3;
  j->cinfo.in_color_space = JCS_RGB;
  jpeg_set_defaults(&j->cinfo);
  jpeg_set_quality(&j->cinfo, 90, TRUE);
  jpeg_start_compress(&j->cinfo, TRUE);
  while (j->cinfo.next_scanline < j->cinfo.image_height) {
    JSAMPROW r = const_cast<JSAMPROW>(&j->img->px[static_cast<size_t>(j->cinfo.next_scanline) * j->img->width * 3]);
    jpeg_write_scanlines(&j->cinfo, &r, 1);
  }
  jpeg_finish_compress(&j->cinfo);
  jpeg_destroy_compress(&j->cinfo);
  return true;
}

// ---- PNG --------------------------------------------------------------------------------------

constexpr png_uint_32 png_max_side = 1'000'000;

void png_fail(png_structp p, png_const_charp) { png_longjmp(p, 1); }
void png_warn(png_structp, png_const_charp) {}

struct png_job {
  std::string_view in;
  size_t pos = 0;
  const limits* lim;
  png_structp png = nullptr;
  png_infop info = nullptr;
  std::string exif;  // "Exif\0\0" + the eXIf chunk, when one comes before the pixels
  std::vector<uint8_t> image;  // one row, or the whole image when interlaced
  std::vector<png_bytep> rows;
  box_scaler scaler;
  std::string out;  // encoder output
};

void png_read_mem(png_structp p, png_bytep data, size_t n) {
  auto* j = static_cast<png_job*>(png_get_io_ptr(p));
  if (n > j->in.size() - j->pos) png_error(p, "truncated");
  std::memcpy(data, j->in.data() + j->pos, n);
  j->pos += n;
}

outcome decode_png(png_job* j) {
  if (j->in.size() < 8 || png_sig_cmp(reinterpret_cast<png_const_bytep>(j->in.data()), 0, 8)) return outcome::invalid;
  j->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, nullptr, png_fail, png_warn);
  if (!j->png) return outcome::invalid;
  j->info = png_create_info_struct(j->png);
  if (!j->info) {
    png_destroy_read_struct(&j->png, nullptr, nullptr);
    return outcome::invalid;
  }
  if (setjmp(png_jmpbuf(j->png))) {  // an IHDR read before the error may still declare a bomb
    bool big = !pixels_ok(png_get_image_width(j->png, j->info), png_get_image_height(j->png, j->info), *j->lim);
    png_destroy_read_struct(&j->png, &j->info, nullptr);
    return big ? outcome::too_many_pixels : outcome::invalid;
  }
  png_set_read_fn(j->png, j, png_read_mem);
  png_set_user_limits(j->png, png_max_side, png_max_side);
  png_set_chunk_malloc_max(j->png, j->lim->max_bytes + 1024);
  png_set_keep_unknown_chunks(j->png, PNG_HANDLE_CHUNK_NEVER, nullptr, 0);
  png_read_info(j->png, j->info);
  const png_uint_32 w = png_get_image_width(j->png, j->info), h = png_get_image_height(j->png, j->info);
  if (w == 0 || h == 0) {
    png_destroy_read_struct(&j->png, &j->info, nullptr);
    return outcome::invalid;
  }
  if (!pixels_ok(w, h, *j->lim)) {
    png_destroy_read_struct(&j->png, &j->info, nullptr);
    return outcome::too_many_pixels;
  }
  png_uint_32 exif_len = 0;
  png_bytep exif = nullptr;
  if (png_get_eXIf_1(j->png, j->info, &exif_len, &exif) && exif && exif_len > 0) {
    j->exif.assign("Exif\0\0", 6);
    j->exif.append(reinterpret_cast<const char*>(exif), exif_len);
  }
  png_set_expand(j->png);
  png_set_strip_16(j->png);
  png_set_gray_to_rgb(j->png);
  int passes = png_set_interlace_handling(j->png);
  png_read_update_info(j->png, j->info);
  const int ch = png_get_channels(j->png, j->info);
  const size_t rowbytes = png_get_rowbytes(j->png, j->info);
  if ((ch != 3 && ch != 4) || rowbytes != static_cast<size_t>(w) * ch) png_error(j->png, "unexpected format");
  auto [tw, th] = fit(static_cast<int>(w), static_cast<int>(h), j->lim->max_width);
  if (!j->scaler.try_reset(static_cast<int>(w), static_cast<int>(h), tw, th, ch, j->image,
                           passes > 1 ? rowbytes * h : rowbytes))
    png_error(j->png, "out of memory");
  if (passes > 1) {
    bool rows_ok = true;  // never longjmp out of a catch block
    try {
      j->rows.resize(h);
    } catch (const std::bad_alloc&) {
      rows_ok = false;
    }
    if (!rows_ok) png_error(j->png, "out of memory");
    for (png_uint_32 y = 0; y < h; ++y) j->rows[y] = &j->image[rowbytes * y];
    png_read_image(j->png, j->rows.data());
    for (png_uint_32 y = 0; y < h; ++y) j->scaler.add_row(j->rows[y]);
  } else {
    for (png_uint_32 y = 0; y < h; ++y) {
      png_read_row(j->png, j->image.data(), nullptr);
      j->scaler.add_row(j->image.data());
    }
  }
  png_read_end(j->png, nullptr);
  png_destroy_read_struct(&j->png, &j->info, nullptr);
  return outcome::ok;
}

void png_write_mem(png_structp p, png_bytep data, size_t n) {
  static_cast<png_job*>(png_get_io_ptr(p))->out.append(reinterpret_cast<const char*>(data), n);
}
void png_flush_mem(png_structp) {}

bool encode_png(png_job* j, const raster* img) {
  j->png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, png_fail, png_warn);
  if (!j->png) return false;
  j->info = png_create_info_struct(j->png);
  if (!j->info) {
    png_destroy_write_struct(&j->png, nullptr);
    return false;
  }
  if (setjmp(png_jmpbuf(j->png))) {
    png_destroy_write_struct(&j->png, &j->info);
    return false;
  }
  png_set_write_fn(j->png, j, png_write_mem, png_flush_mem);
  png_set_IHDR(j->png, j->info, img->width, img->height, 8,
               img->channels == 4 ? PNG_COLOR_TYPE_RGB_ALPHA : PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(j->png, j->info);
  for (int y = 0; y < img->height; ++y)
    png_write_row(j->png, &img->px[static_cast<size_t>(y) * img->width * img->channels]);
  png_write_end(j->png, nullptr);
  png_destroy_write_struct(&j->png, &j->info);
  return true;
}

// ---- GIF --------------------------------------------------------------------------------------

struct gif_reader {
  std::string_view in;
  size_t pos = 0;
};

int gif_read_mem(GifFileType* g, GifByteType* buf, int n) {
  auto* r = static_cast<gif_reader*>(g->UserData);
  size_t take = std::min(static_cast<size_t>(n < 0 ? 0 : n), r->in.size() - r->pos);
  std::memcpy(buf, r->in.data() + r->pos, take);
  r->pos += take;
  return static_cast<int>(take);
}

/// Walks every record and decodes every frame line by line into one reused buffer.
outcome check_gif(std::string_view in, const limits& lim, int& width, int& height) {
  gif_reader reader{in};
  int err = 0;
  GifFileType* g = DGifOpen(&reader, gif_read_mem, &err);
  if (!g) return outcome::invalid;
  auto done = [&](outcome o) {
    DGifCloseFile(g, &err);
    return o;
  };
  width = g->SWidth, height = g->SHeight;
  if (width <= 0 || height <= 0) return done(outcome::invalid);
  if (!pixels_ok(width, height, lim)) return done(outcome::too_many_pixels);
  uint64_t total = 0;
  int frames = 0;
  std::vector<GifPixelType> line;
  for (;;) {
    GifRecordType rec;
    if (DGifGetRecordType(g, &rec) == GIF_ERROR) return done(outcome::invalid);
    if (rec == TERMINATE_RECORD_TYPE) break;
    if (rec == EXTENSION_RECORD_TYPE) {
      int code = 0;
      GifByteType* ext = nullptr;
      if (DGifGetExtension(g, &code, &ext) == GIF_ERROR) return done(outcome::invalid);
      while (ext)
        if (DGifGetExtensionNext(g, &ext) == GIF_ERROR) return done(outcome::invalid);
    } else if (rec == IMAGE_DESC_RECORD_TYPE) {
      if (DGifGetImageDesc(g) == GIF_ERROR) return done(outcome::invalid);
      const int fw = g->Image.Width, fh = g->Image.Height;
      if (fw <= 0 || fh <= 0) return done(outcome::invalid);
      total += static_cast<uint64_t>(fw) * fh;
      if (total > lim.max_pixels) return done(outcome::too_many_pixels);
      line.resize(fw);
      for (int y = 0; y < fh; ++y)
        if (DGifGetLine(g, line.data(), fw) == GIF_ERROR) return done(outcome::invalid);
      ++frames;
      // giflib keeps a record per frame; drop them as we go so memory stays flat.
      // (GifFreeSavedImages leaves ImageCount, which DGifGetImageDesc indexes the next record by.)
      GifFreeSavedImages(g);
      g->ImageCount = 0;
    } else {
      return done(outcome::invalid);
    }
  }
  return done(frames > 0 ? outcome::ok : outcome::invalid);
}

const char* type_name(type t) {
  switch (t) {
    case type::jpeg: return "JPEG";
    case type::png: return "PNG";
    case type::gif: return "GIF";
  }
  return "image";
}

std::string mib(size_t bytes) {
  char buf[32];
  double v = static_cast<double>(bytes) / (1 << 20);
  if (bytes % (1 << 20) == 0)
    std::snprintf(buf, sizeof buf, "%zu", bytes >> 20);
  else
    std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

refusal refuse(outcome o, type t, const limits& lim) {
  if (o == outcome::too_many_pixels) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "That image has too many pixels (the limit is %.1f megapixels).",
                  static_cast<double>(lim.max_pixels) / 1e6);
    return {buf};
  }
  return {std::string("That file is not a valid ") + type_name(t) + " image."};
}

void set_sizes(processed& p, const limits& lim) {
  auto [pw, ph] = fit(p.width, p.height, lim.preview_width);
  p.preview_width = pw;
  p.preview_height = ph;
}

std::variant<processed, refusal> process_unchecked(type t, std::string_view bytes, const limits& lim) {
  processed p;
  p.t = t;
  if (t == type::gif) {
    outcome o = check_gif(bytes, lim, p.width, p.height);
    if (o != outcome::ok) return refuse(o, t, lim);
    p.bytes.assign(bytes);
    set_sizes(p, lim);
    return p;
  }
  raster img;
  if (t == type::jpeg) {
    auto j = std::make_unique<jpeg_job>();
    j->in = bytes;
    j->lim = &lim;
    outcome o = decode_jpeg(j.get());
    if (o != outcome::ok) return refuse(o, t, lim);
    img = orient(std::move(j->scaler.result()), j->orientation);
    auto e = std::make_unique<jpeg_enc_job>();
    e->img = &img;
    bool ok = encode_jpeg(e.get());
    if (ok) p.bytes.assign(reinterpret_cast<const char*>(e->buf), e->size);
    std::free(e->buf);
    if (!ok) return refuse(outcome::invalid, t, lim);
  } else {
    auto j = std::make_unique<png_job>();
    j->in = bytes;
    j->lim = &lim;
    outcome o = decode_png(j.get());
    if (o != outcome::ok) return refuse(o, t, lim);
    int orientation = j->exif.empty() ? 1
                                      : exif_orientation(reinterpret_cast<const uint8_t*>(j->exif.data()),
                                                         j->exif.size());
    img = orient(std::move(j->scaler.result()), orientation);
    if (!encode_png(j.get(), &img)) return refuse(outcome::invalid, t, lim);
    p.bytes = std::move(j->out);
  }
  p.width = img.width;
  p.height = img.height;
  set_sizes(p, lim);
  return p;
}

std::string base64(std::string_view in) {
  static constexpr char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  auto at = [&](size_t k) { return static_cast<uint32_t>(static_cast<uint8_t>(in[k])); };
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = at(i) << 16 | at(i + 1) << 8 | at(i + 2);
    out += abc[v >> 18], out += abc[(v >> 12) & 63], out += abc[(v >> 6) & 63], out += abc[v & 63];
  }
  if (i + 1 == in.size()) {
    uint32_t v = at(i) << 16;
    out += abc[v >> 18], out += abc[(v >> 12) & 63], out += "==";
  } else if (i + 2 == in.size()) {
    uint32_t v = at(i) << 16 | at(i + 1) << 8;
    out += abc[v >> 18], out += abc[(v >> 12) & 63], out += abc[(v >> 6) & 63], out += '=';
  }
  return out;
}

}  // namespace

std::optional<type> type_of(std::string_view filename) {
  auto dot = filename.rfind('.');
  if (dot == std::string_view::npos) return std::nullopt;
  std::string ext;
  for (char c : filename.substr(dot + 1)) ext.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
  if (ext == "jpg" || ext == "jpeg") return type::jpeg;
  if (ext == "png") return type::png;
  if (ext == "gif") return type::gif;
  return std::nullopt;
}

const char* mime(type t) {
  switch (t) {
    case type::jpeg: return "image/jpeg";
    case type::png: return "image/png";
    case type::gif: return "image/gif";
  }
  return "application/octet-stream";
}

std::variant<processed, refusal> process(type t, std::string_view bytes, const limits& lim) {
  if (bytes.size() > lim.max_bytes)
    return refusal{"That image is too large (the limit is " + mib(lim.max_bytes) + " MiB)."};
  try {
    return process_unchecked(t, bytes, lim);
  } catch (const std::bad_alloc&) {
    return refusal{"That image could not be processed (out of memory)."};
  }
}

std::string html(const processed& img) {
  return std::string("<img src=\"data:") + mime(img.t) + ";base64," + base64(img.bytes) + "\" width=\"" +
         std::to_string(img.preview_width) + "\" height=\"" + std::to_string(img.preview_height) +
         "\" onclick=\"setModalImage(this.src)\" style=\"cursor: pointer\">";
}

}  // namespace barertc::protocol::image
