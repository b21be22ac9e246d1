#include "server/issuance/serial_source.h"

#include <array>
#include <cstring>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "crypto/prf.h"
#include "server/issuance/issue_plan.h"

namespace hallmark::issuance {
namespace {

void AppendBigEndian(uint64_t v, int bytes, std::string* out) {
  for (int i = bytes - 1; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

}  // namespace

absl::StatusOr<SerialSource> SerialSource::ForBatch(const registry::Batch& batch) {
  SerialSource s;
  HALLMARK_ASSIGN_OR_RETURN(s.format_, ParseFormatName(batch.stored.format));
  s.counter_start_ = batch.counter_start;
  s.prefix_ = batch.stored.prefix;
  s.plant_ = batch.stored.plant;
  if (s.format_ == crypto::SerialFormat::kRandom) {
    s.seed_ = absl::HexStringToBytes(batch.stored.seed);
    if (s.seed_.size() != 32) return absl::InternalError("registry: batch seed is damaged");
  }
  if (s.format_ == crypto::SerialFormat::kDateEncoded) {
    int y = 0, m = 0, d = 0;
    const std::string& day = batch.stored.day;
    if (day.size() != 8 || !absl::SimpleAtoi(day.substr(0, 4), &y) ||
        !absl::SimpleAtoi(day.substr(4, 2), &m) || !absl::SimpleAtoi(day.substr(6, 2), &d)) {
      return absl::InternalError("registry: batch day is damaged");
    }
    s.day_ = absl::CivilDay(y, m, d);
  }
  return s;
}

absl::StatusOr<std::string> SerialSource::Serial(uint64_t index, uint32_t attempt) const {
  if (format_ != crypto::SerialFormat::kRandom && attempt != 0) {
    return absl::InternalError("counter serials have no alternatives");
  }
  const uint64_t counter = counter_start_ + index;
  switch (format_) {
    case crypto::SerialFormat::kRandom: {
      std::string input = "hallmark/serial/v1";
      AppendBigEndian(index, 8, &input);
      AppendBigEndian(attempt, 4, &input);
      const std::string mac = crypto::HmacSha256(seed_, input);
      std::array<uint8_t, crypto::kRandomSerialBytes> bytes;
      std::memcpy(bytes.data(), mac.data(), bytes.size());
      return crypto::RandomSerialFromBytes(bytes);
    }
    case crypto::SerialFormat::kSequential:
      return crypto::FormatSequentialSerial(prefix_, counter);
    case crypto::SerialFormat::kDateEncoded:
      return crypto::FormatDateEncodedSerial(day_, counter);
    case crypto::SerialFormat::kPlantEncoded:
      return crypto::FormatPlantEncodedSerial(plant_, counter);
  }
  return absl::InternalError("unknown format");
}

}  // namespace hallmark::issuance
