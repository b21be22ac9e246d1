#include "client/ctl/keys_command.h"

#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/ctl/connection.h"
#include "client/ctl/ctl_common.h"
#include "client/ctl/trust_list_command.h"
#include "common/files.h"
#include "crypto/key_directory.h"
#include "crypto/key_ring.h"

namespace hallmark::ctl {
namespace {

using crypto::KeyDirectory;
using crypto::KeyInfo;

struct KeysOptions {
  std::string keys_dir = "keys";
  std::string algorithm = "ES256";
  std::string key_id;
  std::string pkcs11;       // generate: the token's RFC 7512 URI
  bool from_server = true;  // `list` without --keys_dir asks the server
  ClientSettings connection;
};

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

int Generate(const KeysOptions& o) {
  absl::StatusOr<crypto::Algorithm> algorithm = crypto::ParseAlgorithm(o.algorithm);
  if (!algorithm.ok()) return ReportError(algorithm.status());
  absl::StatusOr<KeyDirectory> dir = KeyDirectory::Open(o.keys_dir, /*create=*/true);
  if (!dir.ok()) return ReportError(dir.status());
  absl::StatusOr<KeyInfo> key =
      o.pkcs11.empty() ? dir->Generate(*algorithm, absl::Now())
                       : dir->GenerateInToken(o.pkcs11, absl::Now(), *algorithm);
  if (!key.ok()) return ReportError(key.status());
  std::cout << "generated key " << crypto::FormatKeyId(key->id) << " ("
            << crypto::AlgorithmName(key->algorithm) << ") "
            << (o.pkcs11.empty() ? "in " + o.keys_dir : "inside the PKCS#11 token, listed in " + o.keys_dir)
            << "; it is now the ACTIVE signing key\n";
  for (const KeyInfo& k : dir->keys()) {
    if (k.id != key->id && k.state == crypto::KeyState::kRetired) {
      std::cout << "key " << crypto::FormatKeyId(k.id) << " is RETIRED (verifies only)\n";
    }
  }
  return kExitOk;
}

// The server's trust list (Keys.ListPublicKeys).
int ListFromServer(const KeysOptions& o) {
  absl::StatusOr<std::unique_ptr<Client>> client = Connect(o.connection);
  if (!client.ok()) return ReportError(client.status());
  absl::StatusOr<v1::ListPublicKeysResponse> keys = (*client)->ListPublicKeys();
  if (!keys.ok()) return ReportCallError(keys.status(), (*client)->options().address);
  std::cout << "KEY_ID  ALGORITHM  STATE    CREATED_AT            REVOKED_AT\n";
  for (const v1::PublicKey& k : keys->keys()) {
    std::string line = absl::StrCat(k.key_id(), "    ", k.algorithm());
    line.resize(19, ' ');
    absl::StrAppend(&line, v1::KeyState_Name(k.state()).substr(10));
    line.resize(28, ' ');
    absl::StrAppend(&line, Rfc3339(absl::FromUnixSeconds(k.created_at().seconds())), "  ",
                    k.state() == v1::KEY_STATE_REVOKED
                        ? Rfc3339(absl::FromUnixSeconds(k.revoked_at().seconds()))
                        : "-");
    std::cout << line << "\n";
  }
  return kExitOk;
}

int List(const KeysOptions& o) {
  if (o.from_server) return ListFromServer(o);
  absl::StatusOr<KeyDirectory> dir = KeyDirectory::Open(o.keys_dir, /*create=*/false);
  if (!dir.ok()) return ReportError(dir.status());
  std::cout << "KEY_ID  ALGORITHM  STATE    CREATED_AT            REVOKED_AT            WHERE\n";
  for (const KeyInfo& k : dir->keys()) {
    std::string line = absl::StrCat(crypto::FormatKeyId(k.id), "    ",
                                    crypto::AlgorithmName(k.algorithm));
    line.resize(19, ' ');
    absl::StrAppend(&line, crypto::KeyStateName(k.state));
    line.resize(28, ' ');
    absl::StrAppend(&line, Rfc3339(k.created_at), "  ",
                    k.state == crypto::KeyState::kRevoked ? Rfc3339(k.revoked_at) : "-");
    line.resize(72, ' ');
    // Where the private key lives: a file here, a PKCS#11 token, or nowhere (verify only).
    const bool file = FileExists(JoinPath(o.keys_dir, crypto::PrivateKeyFileName(k.id)));
    const bool token = FileExists(JoinPath(o.keys_dir, crypto::TokenKeyFileName(k.id)));
    absl::StrAppend(&line, file ? "file" : token ? "pkcs11 token" : "public key only");
    std::cout << line << "\n";
  }
  return kExitOk;
}

int Export(const KeysOptions& o) {
  absl::StatusOr<std::unique_ptr<crypto::KeyRing>> ring =
      crypto::KeyRing::LoadDirectory(o.keys_dir, /*require_signing_key=*/false);
  if (!ring.ok()) return ReportError(ring.status());
  for (const auto& key : (*ring)->keys()) {
    if (!o.key_id.empty() && crypto::FormatKeyId(key->info.id) != o.key_id) continue;
    std::cout << "# key " << crypto::FormatKeyId(key->info.id) << " "
              << crypto::AlgorithmName(key->info.algorithm) << " "
              << crypto::KeyStateName(key->info.state) << "\n"
              << key->material->PublicPem();
  }
  return kExitOk;
}

int ChangeState(const KeysOptions& o, bool revoke) {
  absl::StatusOr<crypto::KeyId> id = crypto::ParseKeyId(o.key_id);
  if (!id.ok()) return ReportError(id.status());
  absl::StatusOr<KeyDirectory> dir = KeyDirectory::Open(o.keys_dir, /*create=*/false);
  if (!dir.ok()) return ReportError(dir.status());
  const absl::Status s = revoke ? dir->Revoke(*id, absl::Now()) : dir->Retire(*id);
  if (!s.ok()) return ReportError(s);
  std::cout << "key " << o.key_id << " is now " << (revoke ? "REVOKED" : "RETIRED") << "\n";
  if (revoke) {
    std::cout << "codes signed by it now verify as counterfeit; reload or restart servers\n";
  }
  return kExitOk;
}

int RegistrationKey(const KeysOptions& o) {
  absl::StatusOr<KeyDirectory> dir = KeyDirectory::Open(o.keys_dir, /*create=*/true);
  if (!dir.ok()) return ReportError(dir.status());
  if (absl::Status s = dir->EnsureRegistrationKey(); !s.ok()) return ReportError(s);
  std::cout << "registration key: " << JoinPath(o.keys_dir, crypto::kRegistrationKeyFile)
            << " (keep it with the signing keys; every server needs the same one)\n";
  return kExitOk;
}

}  // namespace

void AddKeysCommands(CLI::App& app, int* exit_code) {
  auto opts = std::make_shared<KeysOptions>();
  CLI::App* keys = app.add_subcommand("keys", "Manage the signing keys of a keys directory");
  keys->require_subcommand(1);
  auto add_dir = [&](CLI::App* cmd) {
    cmd->add_option("--keys_dir", opts->keys_dir, "Keys directory")->capture_default_str();
  };

  CLI::App* gen = keys->add_subcommand(
      "generate", "Create a new ACTIVE signing key; the previous ACTIVE key becomes RETIRED");
  add_dir(gen);
  gen->add_option("--algorithm", opts->algorithm, "ES256 (default) or Ed25519")
      ->capture_default_str();
  gen->add_option("--pkcs11", opts->pkcs11,
                  "Make the key inside this PKCS#11 token (RFC 7512 URI with module-path and "
                  "pin-source=file:..., or the PIN in HALLMARK_PKCS11_PIN)");
  gen->callback([opts, exit_code] { *exit_code = Generate(*opts); });

  CLI::App* list = keys->add_subcommand(
      "list", "List keys: the server's trust list, or with --keys_dir a local keys directory");
  list->add_option_function<std::string>(
      "--keys_dir",
      [opts](const std::string& dir) {
        opts->keys_dir = dir;
        opts->from_server = false;
      },
      "Keys directory (offline)");
  AddConnectionFlags(list, &opts->connection);
  list->callback([opts, exit_code] { *exit_code = List(*opts); });

  CLI::App* exp = keys->add_subcommand("export", "Print public keys as PEM (the trust list)");
  add_dir(exp);
  exp->add_option("key_id", opts->key_id, "Only this key (4 hex digits)");
  exp->callback([opts, exit_code] { *exit_code = Export(*opts); });

  CLI::App* retire = keys->add_subcommand(
      "retire", "Stop signing with a key; codes it signed still verify");
  add_dir(retire);
  retire->add_option("key_id", opts->key_id, "Key id (4 hex digits)")->required();
  retire->callback([opts, exit_code] { *exit_code = ChangeState(*opts, /*revoke=*/false); });

  CLI::App* revoke = keys->add_subcommand(
      "revoke", "Distrust a key (e.g. leaked): every code it signed verifies as counterfeit");
  add_dir(revoke);
  revoke->add_option("key_id", opts->key_id, "Key id (4 hex digits)")->required();
  revoke->callback([opts, exit_code] { *exit_code = ChangeState(*opts, /*revoke=*/true); });

  CLI::App* registration = keys->add_subcommand(
      "registration-key",
      "Create the customer registration hash key unless it exists (generate does too)");
  add_dir(registration);
  registration->callback([opts, exit_code] { *exit_code = RegistrationKey(*opts); });

  AddTrustListCommands(keys, exit_code);
}

}  // namespace hallmark::ctl
