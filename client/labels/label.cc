#include "client/labels/label.h"

#include <png.h>

#include <cstdio>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "client/labels/font5x7.h"
#include "gs1/element_string.h"
#include "gs1/unit_code.h"

namespace hallmark::labels {
namespace {

constexpr int kQrQuiet = 4;  // modules of white around a QR code (ISO/IEC 18004)
constexpr int kDmQuiet = 2;  // around a DataMatrix (ISO/IEC 16022 asks for 1)

std::string XmlEscape(absl::string_view s) {
  return absl::StrReplaceAll(s, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&quot;"}});
}

// An 8-bit grey image, white background.
struct Raster {
  int width, height;
  std::vector<uint8_t> px;
  Raster(int w, int h) : width(w), height(h), px(static_cast<size_t>(w) * h, 255) {}
  void Fill(int x, int y, int w, int h) {
    for (int yy = y; yy < y + h && yy < height; ++yy) {
      for (int xx = x; xx < x + w && xx < width; ++xx) px[static_cast<size_t>(yy) * width + xx] = 0;
    }
  }
};

void DrawMatrix(const ModuleMatrix& m, int x0, int y0, int module_px, Raster* r) {
  for (int y = 0; y < m.height; ++y) {
    for (int x = 0; x < m.width; ++x) {
      if (m.at(x, y)) r->Fill(x0 + x * module_px, y0 + y * module_px, module_px, module_px);
    }
  }
}

void DrawText(absl::string_view text, int x0, int y0, int glyph_px, Raster* r) {
  for (size_t i = 0; i < text.size(); ++i) {
    const auto& g = Glyph(text[i]);
    const int gx = x0 + static_cast<int>(i) * (kGlyphWidth + 1) * glyph_px;
    for (int row = 0; row < kGlyphHeight; ++row) {
      for (int col = 0; col < kGlyphWidth; ++col) {
        if (g[row] & (1 << (kGlyphWidth - 1 - col))) {
          r->Fill(gx + col * glyph_px, y0 + row * glyph_px, glyph_px, glyph_px);
        }
      }
    }
  }
}

void SvgMatrix(const ModuleMatrix& m, int x0, int y0, int module_px, std::string* out) {
  // One rectangle per horizontal run of dark modules.
  for (int y = 0; y < m.height; ++y) {
    for (int x = 0; x < m.width;) {
      if (!m.at(x, y)) {
        ++x;
        continue;
      }
      int run = 0;
      while (x + run < m.width && m.at(x + run, y)) ++run;
      absl::StrAppend(out, "<rect x=\"", x0 + x * module_px, "\" y=\"", y0 + y * module_px,
                      "\" width=\"", run * module_px, "\" height=\"", module_px, "\"/>");
      x += run;
    }
  }
}

}  // namespace

absl::StatusOr<Label> Label::Make(const v1::IssuedUnit& unit, bool datamatrix) {
  if (unit.digital_link().empty()) return absl::InvalidArgumentError("unit has no digital_link");
  Label label;
  absl::StatusOr<ModuleMatrix> qr = EncodeQr(unit.digital_link());
  if (!qr.ok()) return qr.status();
  label.qr_ = *std::move(qr);
  // The printed element string is the source of the DataMatrix and of the human-readable
  // dates (a units file of any version carries it).
  absl::StatusOr<gs1::UnitCode> code = gs1::ParseScannedCode(unit.element_string());
  if (datamatrix) {
    if (!code.ok()) return code.status();
    absl::StatusOr<ModuleMatrix> dm = EncodeGs1DataMatrix(gs1::FormatRawElementString(*code));
    if (!dm.ok()) return dm.status();
    label.dm_ = *std::move(dm);
  }
  label.text_ = {absl::StrCat("(01) ", unit.unit().gtin())};
  // GS1 order as printed: the dates after the GTIN, then serial and lot.
  if (code.ok() && !code->expiry.empty()) label.text_.push_back("(17) " + code->expiry);
  if (code.ok() && !code->production.empty()) label.text_.push_back("(11) " + code->production);
  label.text_.push_back(absl::StrCat("(21) ", unit.unit().serial()));
  if (!unit.lot().empty()) label.text_.push_back(absl::StrCat("(10) ", unit.lot()));
  return label;
}

Label::Layout Label::Place(int module_px) const {
  Layout l;
  l.module_px = module_px;
  l.glyph_px = std::max(1, module_px / 2);
  l.line_height = (kGlyphHeight + 3) * l.glyph_px;
  const int qr_side = (qr_.width + 2 * kQrQuiet) * module_px;
  l.qr = {0, 0};
  int width = qr_side, symbols_height = qr_side;
  if (dm_) {
    l.dm = {qr_side, kQrQuiet * module_px - kDmQuiet * module_px};
    width += (dm_->width + 2 * kDmQuiet) * module_px;
    symbols_height = std::max(symbols_height, l.dm.y + (dm_->height + 2 * kDmQuiet) * module_px);
  }
  size_t longest = 0;
  for (const std::string& t : text_) longest = std::max(longest, t.size());
  const int text_width = static_cast<int>(longest) * (kGlyphWidth + 1) * l.glyph_px;
  l.text = {kQrQuiet * module_px, symbols_height};
  l.width = std::max(width, l.text.x + text_width + kQrQuiet * module_px);
  l.height = symbols_height + static_cast<int>(text_.size()) * l.line_height +
             kQrQuiet * module_px;
  return l;
}

std::string Label::Svg(int module_px) const {
  const Layout l = Place(module_px);
  std::string out = absl::StrCat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"", l.width, "\" height=\"", l.height,
      "\" viewBox=\"0 0 ", l.width, " ", l.height, "\" shape-rendering=\"crispEdges\">",
      "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/><g fill=\"#000\">");
  SvgMatrix(qr_, l.qr.x + kQrQuiet * module_px, l.qr.y + kQrQuiet * module_px, module_px, &out);
  if (dm_) {
    SvgMatrix(*dm_, l.dm.x + kDmQuiet * module_px, l.dm.y + kDmQuiet * module_px, module_px, &out);
  }
  out += "</g>";
  for (size_t i = 0; i < text_.size(); ++i) {
    absl::StrAppend(&out, "<text x=\"", l.text.x, "\" y=\"",
                    l.text.y + static_cast<int>(i + 1) * l.line_height - 2 * l.glyph_px,
                    "\" font-family=\"monospace\" font-size=\"", kGlyphHeight * l.glyph_px + 2,
                    "\">", XmlEscape(text_[i]), "</text>");
  }
  out += "</svg>\n";
  return out;
}

absl::Status Label::WritePng(const std::string& path, int module_px) const {
  const Layout l = Place(module_px);
  Raster r(l.width, l.height);
  DrawMatrix(qr_, l.qr.x + kQrQuiet * module_px, l.qr.y + kQrQuiet * module_px, module_px, &r);
  if (dm_) {
    DrawMatrix(*dm_, l.dm.x + kDmQuiet * module_px, l.dm.y + kDmQuiet * module_px, module_px, &r);
  }
  for (size_t i = 0; i < text_.size(); ++i) {
    DrawText(text_[i], l.text.x, l.text.y + static_cast<int>(i) * l.line_height, l.glyph_px, &r);
  }
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "wb"), &std::fclose);
  if (f == nullptr) return absl::InvalidArgumentError(absl::StrCat("cannot write ", path));
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png != nullptr ? png_create_info_struct(png) : nullptr;
  if (info == nullptr || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return absl::InternalError(absl::StrCat("PNG encoding of ", path, " failed"));
  }
  png_init_io(png, f.get());
  png_set_IHDR(png, info, l.width, l.height, 8, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (int y = 0; y < l.height; ++y) {
    png_write_row(png, &r.px[static_cast<size_t>(y) * l.width]);
  }
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return absl::OkStatus();
}

}  // namespace hallmark::labels
