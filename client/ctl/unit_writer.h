// File: client/ctl/unit_writer.h
//
// UnitWriter: where `issue` and `import` put units — stdout or a file, CSV (with a header) or
// JSON Lines. Opening an existing file for resumption counts the complete units already in it
// (a torn last line, from a crash mid-write, is cut off) and appends after them.
#ifndef HALLMARK_CLIENT_CTL_UNIT_WRITER_H_
#define HALLMARK_CLIENT_CTL_UNIT_WRITER_H_

#include <cstdio>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "hallmark/v1/issuance.pb.h"

namespace hallmark::ctl {

class UnitWriter {
 public:
  // `path` empty or "-": stdout. With `resume`, an existing file is continued.
  static absl::StatusOr<std::unique_ptr<UnitWriter>> Open(const std::string& path, bool json,
                                                          bool resume);
  ~UnitWriter();

  uint64_t already_written() const { return existing_; }
  absl::Status Write(const v1::IssuedUnit& unit);
  absl::Status Close();

 private:
  UnitWriter(FILE* f, bool owned, bool json, uint64_t existing)
      : file_(f), owned_(owned), json_(json), existing_(existing) {}
  FILE* file_;
  bool owned_;
  bool json_;
  uint64_t existing_;
};

}  // namespace hallmark::ctl

#endif  // HALLMARK_CLIENT_CTL_UNIT_WRITER_H_
