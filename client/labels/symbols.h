// File: client/labels/symbols.h
//
// 2D barcode module matrices from the libraries Debian ships: QR codes (libqrencode, for the
// GS1 Digital Link) and GS1 DataMatrix (libdmtx, for the element string, with FNC1 in first
// position and as separator).
#ifndef HALLMARK_CLIENT_LABELS_SYMBOLS_H_
#define HALLMARK_CLIENT_LABELS_SYMBOLS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hallmark::labels {

// A square or rectangular grid of modules, row-major, top row first; true = dark.
struct ModuleMatrix {
  int width = 0;
  int height = 0;
  std::vector<bool> dark;
  bool at(int x, int y) const { return dark[static_cast<size_t>(y) * width + x]; }
};

// QR code, error correction level M, smallest version that fits.
absl::StatusOr<ModuleMatrix> EncodeQr(absl::string_view data);

// GS1 DataMatrix (ECC 200) of a raw element string ("01...21...<GS>10..."): FNC1 first, each
// GS encoded as FNC1.
absl::StatusOr<ModuleMatrix> EncodeGs1DataMatrix(absl::string_view raw_element_string);

}  // namespace hallmark::labels

#endif  // HALLMARK_CLIENT_LABELS_SYMBOLS_H_
