#include "crypto/key_manifest.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"

namespace hallmark::crypto {
namespace {

constexpr absl::string_view kTimeFormat = "%Y-%m-%d%ET%H:%M:%SZ";

absl::StatusOr<absl::Time> ParseManifestTime(absl::string_view text, absl::string_view what) {
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, text, &t, &err)) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": '", text, "' is not RFC 3339"));
  }
  return t;
}

absl::StatusOr<KeyState> ParseKeyState(absl::string_view text) {
  for (KeyState s : {KeyState::kActive, KeyState::kRetired, KeyState::kRevoked}) {
    if (text == KeyStateName(s)) return s;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("state: '", text, "' is not ACTIVE, RETIRED or REVOKED"));
}

absl::StatusOr<KeyInfo> ParseLine(absl::string_view line) {
  const std::vector<absl::string_view> f =
      absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
  if (f.size() != 5) {
    return absl::InvalidArgumentError("expected 5 fields: key_id algorithm state created_at revoked_at");
  }
  KeyInfo key;
  HALLMARK_ASSIGN_OR_RETURN(key.id, ParseKeyId(f[0]));
  HALLMARK_ASSIGN_OR_RETURN(key.algorithm, ParseAlgorithm(f[1]));
  HALLMARK_ASSIGN_OR_RETURN(key.state, ParseKeyState(f[2]));
  HALLMARK_ASSIGN_OR_RETURN(key.created_at, ParseManifestTime(f[3], "created_at"));
  if (f[4] != "-") {
    HALLMARK_ASSIGN_OR_RETURN(key.revoked_at, ParseManifestTime(f[4], "revoked_at"));
  }
  return key;
}

}  // namespace

absl::string_view KeyStateName(KeyState state) {
  switch (state) {
    case KeyState::kActive: return "ACTIVE";
    case KeyState::kRetired: return "RETIRED";
    case KeyState::kRevoked: return "REVOKED";
  }
  return "REVOKED";
}

absl::StatusOr<std::vector<KeyInfo>> ParseKeyManifest(absl::string_view text) {
  std::vector<KeyInfo> keys;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line.front() == '#') continue;
    absl::StatusOr<KeyInfo> key = ParseLine(line);
    if (!key.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(kManifestFileName, " line ", line_number, ": ", key.status().message()));
    }
    keys.push_back(*key);
  }
  HALLMARK_RETURN_IF_ERROR(ValidateKeySet(keys));
  return keys;
}

std::string FormatKeyManifest(const std::vector<KeyInfo>& keys) {
  std::string out =
      "# Hallmark key manifest. Change it with `hallmarkctl keys`, not by hand.\n"
      "# key_id algorithm state created_at revoked_at\n";
  for (const KeyInfo& k : keys) {
    absl::StrAppend(&out, FormatKeyId(k.id), " ", AlgorithmName(k.algorithm), " ",
                    KeyStateName(k.state), " ",
                    absl::FormatTime(kTimeFormat, k.created_at, absl::UTCTimeZone()), " ",
                    k.state == KeyState::kRevoked
                        ? absl::FormatTime(kTimeFormat, k.revoked_at, absl::UTCTimeZone())
                        : "-",
                    "\n");
  }
  return out;
}

absl::Status ValidateKeySet(const std::vector<KeyInfo>& keys) {
  std::set<KeyId> ids;
  int active = 0;
  for (const KeyInfo& k : keys) {
    if (!ids.insert(k.id).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(kManifestFileName, ": key id ", FormatKeyId(k.id), " appears twice"));
    }
    active += k.state == KeyState::kActive;
    if ((k.state == KeyState::kRevoked) != (k.revoked_at != absl::InfinitePast())) {
      return absl::InvalidArgumentError(absl::StrCat(
          kManifestFileName, ": key ", FormatKeyId(k.id), " must have revoked_at exactly when REVOKED"));
    }
  }
  if (active > 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(kManifestFileName, ": more than one ACTIVE key"));
  }
  return absl::OkStatus();
}

std::string PublicKeyFileName(KeyId id) { return absl::StrCat(FormatKeyId(id), ".pub.pem"); }
std::string PrivateKeyFileName(KeyId id) { return absl::StrCat(FormatKeyId(id), ".key.pem"); }

std::string TokenKeyFileName(KeyId id) { return FormatKeyId(id) + ".key.pkcs11"; }

}  // namespace hallmark::crypto
