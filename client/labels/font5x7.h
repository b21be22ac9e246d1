// File: client/labels/font5x7.h
//
// A 5x7 bitmap font for printable ASCII (0x20..0x7E), drawn for Hallmark's PNG labels: the
// human-readable line under the symbols. Each glyph is 7 rows of 5 bits, most significant bit
// leftmost. Characters outside the range render as '?'.
#ifndef HALLMARK_CLIENT_LABELS_FONT5X7_H_
#define HALLMARK_CLIENT_LABELS_FONT5X7_H_

#include <array>
#include <cstdint>

namespace hallmark::labels {

inline constexpr int kGlyphWidth = 5;
inline constexpr int kGlyphHeight = 7;

// The rows of `c`'s glyph.
const std::array<uint8_t, kGlyphHeight>& Glyph(char c);

}  // namespace hallmark::labels

#endif  // HALLMARK_CLIENT_LABELS_FONT5X7_H_
