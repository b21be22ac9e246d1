#include "client/labels/symbols.h"

#include <dmtx.h>
#include <qrencode.h>

#include <memory>
#include <string>

namespace hallmark::labels {
namespace {

struct QrFree {
  void operator()(QRcode* q) const { QRcode_free(q); }
};
struct DmtxFree {
  void operator()(DmtxEncode* e) const { dmtxEncodeDestroy(&e); }
};

}  // namespace

absl::StatusOr<ModuleMatrix> EncodeQr(absl::string_view data) {
  std::unique_ptr<QRcode, QrFree> qr(QRcode_encodeData(
      static_cast<int>(data.size()), reinterpret_cast<const unsigned char*>(data.data()), 0,
      QR_ECLEVEL_M));
  if (qr == nullptr) return absl::InvalidArgumentError("QR: data does not fit a QR code");
  ModuleMatrix m;
  m.width = m.height = qr->width;
  m.dark.resize(static_cast<size_t>(qr->width) * qr->width);
  for (size_t i = 0; i < m.dark.size(); ++i) m.dark[i] = (qr->data[i] & 1) != 0;
  return m;
}

absl::StatusOr<ModuleMatrix> EncodeGs1DataMatrix(absl::string_view raw) {
  std::unique_ptr<DmtxEncode, DmtxFree> enc(dmtxEncodeCreate());
  if (enc == nullptr) return absl::InternalError("DataMatrix: out of memory");
  constexpr int kGs = 29;
  dmtxEncodeSetProp(enc.get(), DmtxPropFnc1, kGs);
  dmtxEncodeSetProp(enc.get(), DmtxPropSizeRequest, DmtxSymbolSquareAuto);
  std::string input = std::string(1, static_cast<char>(kGs)) + std::string(raw);
  if (dmtxEncodeDataMatrix(enc.get(), static_cast<int>(input.size()),
                           reinterpret_cast<unsigned char*>(input.data())) != DmtxPass) {
    return absl::InvalidArgumentError("DataMatrix: data does not fit");
  }
  const int size_idx = enc->region.sizeIdx;
  ModuleMatrix m;
  m.width = dmtxGetSymbolAttribute(DmtxSymAttribSymbolCols, size_idx);
  m.height = dmtxGetSymbolAttribute(DmtxSymAttribSymbolRows, size_idx);
  m.dark.resize(static_cast<size_t>(m.width) * m.height);
  for (int row = 0; row < m.height; ++row) {
    for (int col = 0; col < m.width; ++col) {
      // libdmtx numbers symbol rows from the bottom.
      const int status = dmtxSymbolModuleStatus(enc->message, size_idx, m.height - 1 - row, col);
      m.dark[static_cast<size_t>(row) * m.width + col] = (status & DmtxModuleOnRGB) != 0;
    }
  }
  return m;
}

}  // namespace hallmark::labels
