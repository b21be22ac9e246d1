// File: client/labels/label.h
//
// One printable label per unit: the QR code of its GS1 Digital Link, optionally a GS1
// DataMatrix of its element string beside it, and the human-readable interpretation beneath,
// as print shops expect: "(01) 09506000134352", "(21) 7KQ2M9XC4RTB0W8N", "(10) L42".
// Rendered as SVG (vector, text as text) or PNG (8-bit grey, text from the built-in 5x7 font).
//
// Example:
//   absl::StatusOr<Label> label = Label::Make(unit, /*datamatrix=*/true);
//   absl::Status s = label->WritePng("out/label.png", /*module_px=*/4);
#ifndef HALLMARK_CLIENT_LABELS_LABEL_H_
#define HALLMARK_CLIENT_LABELS_LABEL_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/labels/symbols.h"
#include "hallmark/v1/issuance.pb.h"

namespace hallmark::labels {

class Label {
 public:
  // Needs the unit's digital_link; with `datamatrix`, also its element_string.
  static absl::StatusOr<Label> Make(const v1::IssuedUnit& unit, bool datamatrix);

  std::string Svg(int module_px) const;
  absl::Status WritePng(const std::string& path, int module_px) const;

  const std::vector<std::string>& text() const { return text_; }

 private:
  struct Box {
    int x, y;
  };
  // Geometry in pixels for a module size.
  struct Layout {
    int width, height, module_px, glyph_px;
    Box qr, dm, text;
    int line_height;
  };
  Layout Place(int module_px) const;

  ModuleMatrix qr_;
  std::optional<ModuleMatrix> dm_;
  std::vector<std::string> text_;
};

}  // namespace hallmark::labels

#endif  // HALLMARK_CLIENT_LABELS_LABEL_H_
