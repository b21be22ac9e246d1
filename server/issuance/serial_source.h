// File: server/issuance/serial_source.h
//
// SerialSource: the i-th serial of a batch, reproducibly, so a retried or resumed request
// yields exactly the same units and the registry stores nothing per unit but the unit itself.
//
//   RANDOM        16 Crockford-base32 characters from the first 80 bits of
//                 HMAC-SHA256(seed, "hallmark/serial/v1" || index (8 bytes BE) || attempt (4 BE)),
//                 the seed being 32 bytes from OpenSSL's CSPRNG stored with the batch. A serial
//                 that collides with another batch's unit moves to the next attempt.
//   SEQUENTIAL / DATE_ENCODED / PLANT_ENCODED   counter = batch counter start + index.
#ifndef HALLMARK_SERVER_ISSUANCE_SERIAL_SOURCE_H_
#define HALLMARK_SERVER_ISSUANCE_SERIAL_SOURCE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "crypto/serial.h"
#include "server/registry/registry.h"

namespace hallmark::issuance {

class SerialSource {
 public:
  // From the batch as stored (seed, prefix, plant, day, counter start).
  static absl::StatusOr<SerialSource> ForBatch(const registry::Batch& batch);

  crypto::SerialFormat format() const { return format_; }
  // Counter formats have only attempt 0.
  absl::StatusOr<std::string> Serial(uint64_t index, uint32_t attempt) const;

 private:
  SerialSource() = default;
  crypto::SerialFormat format_ = crypto::SerialFormat::kRandom;
  std::string seed_;
  std::string prefix_;
  std::string plant_;
  absl::CivilDay day_;
  uint64_t counter_start_ = 0;
};

}  // namespace hallmark::issuance

#endif  // HALLMARK_SERVER_ISSUANCE_SERIAL_SOURCE_H_
