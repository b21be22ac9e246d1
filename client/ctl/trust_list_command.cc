#include "client/ctl/trust_list_command.h"

#include <algorithm>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/ctl/connection.h"
#include "client/ctl/ctl_common.h"
#include "common/files.h"
#include "crypto/key_ring.h"
#include "crypto/trust_list.h"

namespace hallmark::ctl {
namespace {

struct TrustListOptions {
  std::string out;
  std::string algorithm = "ES256";
  std::string keys_dir = "keys";
  std::string root;
  std::string root_id;
  uint64_t seq = 0;
  std::string valid = "720h";
  std::string in;
  bool from_server = false;
  std::string state;
  std::string at;
  ClientSettings connection;
};

std::string Time(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

int NewRoot(const TrustListOptions& o) {
  absl::StatusOr<crypto::Algorithm> algorithm = crypto::ParseAlgorithm(o.algorithm);
  if (!algorithm.ok()) return ReportError(algorithm.status());
  absl::StatusOr<std::unique_ptr<crypto::KeyMaterial>> key =
      crypto::KeyMaterial::Generate(*algorithm);
  if (!key.ok()) return ReportError(key.status());
  const std::string priv = o.out + "/root.key.pem", pub = o.out + "/root.pub.pem";
  if (absl::Status s = (*key)->WritePrivatePemFile(priv); !s.ok()) return ReportError(s);
  if (absl::Status s = WriteFileAtomically(pub, (*key)->PublicPem()); !s.ok()) {
    return ReportError(s);
  }
  std::cout << "trust-list root " << crypto::FormatKeyId(crypto::RootKeyIdOf(**key)) << " ("
            << crypto::AlgorithmName(*algorithm) << "): keep " << priv
            << " offline; give verifiers " << pub << "\n";
  return kExitOk;
}

// The root key in `path`, private or public.
absl::StatusOr<std::unique_ptr<crypto::KeyMaterial>> Root(const std::string& path,
                                                          bool private_pem) {
  absl::StatusOr<std::string> pem = ReadFile(path, 64 << 10);
  if (!pem.ok()) return pem.status();
  absl::StatusOr<std::unique_ptr<crypto::KeyMaterial>> key =
      crypto::RootKeyFromPem(*pem, private_pem);
  if (!key.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", key.status().message()));
  return key;
}

int Sign(const TrustListOptions& o) {
  absl::StatusOr<std::unique_ptr<crypto::KeyRing>> ring =
      crypto::KeyRing::LoadDirectory(o.keys_dir, /*require_signing_key=*/false);
  if (!ring.ok()) return ReportError(ring.status());
  absl::StatusOr<std::unique_ptr<crypto::KeyMaterial>> root = Root(o.root, true);
  if (!root.ok()) return ReportError(root.status());
  absl::Duration valid;
  if (!absl::ParseDuration(o.valid, &valid) || valid <= absl::ZeroDuration()) {
    return ReportError(absl::InvalidArgumentError("--valid: a positive duration, e.g. 720h"));
  }
  crypto::KeyId root_id = crypto::RootKeyIdOf(**root);
  if (!o.root_id.empty()) {
    absl::StatusOr<crypto::KeyId> id = crypto::ParseKeyId(o.root_id);
    if (!id.ok()) return ReportError(id.status());
    root_id = *id;
  }
  // Never backwards: verifiers that saw the previous list would refuse a lower sequence.
  uint64_t previous = 0;
  if (FileExists(o.out)) {
    absl::StatusOr<std::string> old = ReadFile(o.out, 1 << 20);
    absl::StatusOr<crypto::TrustList> parsed =
        old.ok() ? crypto::ParseTrustList(absl::StripAsciiWhitespace(*old)) : old.status();
    if (!parsed.ok()) return ReportError(parsed.status());
    previous = parsed->sequence;
  }
  crypto::TrustList list;
  list.issued_at = absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()));
  // By default the signing time in seconds (a fresh workspace cannot restart at 1 below what
  // verifiers already hold), or the previous list's + 1 if that is higher.
  list.sequence = o.seq != 0 ? o.seq
                             : std::max<uint64_t>(previous + 1,
                                                  absl::ToUnixSeconds(list.issued_at));
  if (list.sequence <= previous) {
    return ReportError(absl::InvalidArgumentError(absl::StrCat(
        "--seq: ", list.sequence, " is not above ", previous, ", the sequence of ", o.out)));
  }
  list.expires_at = list.issued_at + valid;
  list.keys = crypto::TrustListKeys(**ring);
  absl::StatusOr<std::unique_ptr<crypto::PublicKeySign>> signer = (*root)->NewSigner();
  if (!signer.ok()) return ReportError(signer.status());
  absl::StatusOr<std::string> jws =
      crypto::SignTrustList(list, **signer, (*root)->algorithm(), root_id);
  if (!jws.ok()) return ReportError(jws.status());
  if (absl::Status s = WriteFileAtomically(o.out, *jws + "\n"); !s.ok()) return ReportError(s);
  std::cout << "signed trust list " << o.out << ": sequence " << list.sequence << ", "
            << list.keys.size() << " keys, expires " << Time(list.expires_at) << "\n";
  return kExitOk;
}

// The JWS from --in or the server.
absl::StatusOr<std::string> Fetch(const TrustListOptions& o) {
  if (!o.from_server) {
    absl::StatusOr<std::string> text = ReadFile(o.in, 1 << 20);
    if (!text.ok()) return text.status();
    return std::string(absl::StripAsciiWhitespace(*text));
  }
  absl::StatusOr<std::unique_ptr<Client>> client = Connect(o.connection);
  if (!client.ok()) return client.status();
  absl::StatusOr<v1::SignedTrustList> list = (*client)->GetTrustList();
  if (!list.ok()) return list.status();
  return list->jws();
}

void Print(const crypto::TrustList& list) {
  std::cout << "sequence " << list.sequence << ", root " << crypto::FormatKeyId(list.root_id)
            << ", issued " << Time(list.issued_at) << ", expires " << Time(list.expires_at)
            << "\nKEY_ID  ALGORITHM  STATE    CREATED_AT            REVOKED_AT\n";
  for (const crypto::TrustListKey& k : list.keys) {
    std::cout << crypto::FormatKeyId(k.id) << "    " << crypto::AlgorithmName(k.algorithm)
              << (k.algorithm == crypto::Algorithm::kEs256 ? "      " : "    ")
              << crypto::KeyStateName(k.state)
              << std::string(9 - crypto::KeyStateName(k.state).size(), ' ') << Time(k.created_at)
              << (k.state == crypto::KeyState::kRevoked ? "  " + Time(k.revoked_at) : "") << "\n";
  }
}

int Verify(const TrustListOptions& o) {
  absl::StatusOr<std::string> jws = Fetch(o);
  if (!jws.ok()) return ReportError(jws.status());
  absl::StatusOr<std::unique_ptr<crypto::KeyMaterial>> root = Root(o.root, false);
  if (!root.ok()) return ReportError(root.status());
  absl::Time at = absl::Now();
  std::string err;
  if (!o.at.empty() && !absl::ParseTime(absl::RFC3339_full, o.at, &at, &err)) {
    return ReportError(absl::InvalidArgumentError("--at: an RFC 3339 time"));
  }
  // The state: "<sequence> <digest>" of the list accepted last.
  crypto::AcceptedTrustList accepted;
  if (!o.state.empty() && FileExists(o.state)) {
    absl::StatusOr<std::string> text = ReadFile(o.state, 256);
    std::vector<std::string> f =
        text.ok() ? absl::StrSplit(absl::StripAsciiWhitespace(*text), ' ') : std::vector<std::string>();
    if (f.size() != 2 || !absl::SimpleAtoi(f[0], &accepted.sequence)) {
      return ReportError(
          absl::InvalidArgumentError(absl::StrCat(o.state, ": not \"<sequence> <digest>\"")));
    }
    accepted.digest = f[1];
  }
  absl::StatusOr<std::unique_ptr<crypto::PublicKeyVerify>> verifier = (*root)->NewVerifier();
  if (!verifier.ok()) return ReportError(verifier.status());
  absl::StatusOr<crypto::TrustList> list =
      crypto::VerifyTrustList(*jws, **verifier, (*root)->algorithm(), at, accepted);
  if (!list.ok()) {
    std::cerr << "hallmarkctl: refused: " << list.status().message() << "\n";
    return kExitNegative;
  }
  if (!o.state.empty()) {
    if (absl::Status s = WriteFileAtomically(
            o.state, absl::StrCat(list->sequence, " ", crypto::TrustListDigest(*jws), "\n"));
        !s.ok()) {
      return ReportError(s);
    }
  }
  std::cout << "VALID trust list: ";
  Print(*list);
  return kExitOk;
}

int Show(const TrustListOptions& o) {
  absl::StatusOr<std::string> jws = Fetch(o);
  if (!jws.ok()) return ReportError(jws.status());
  absl::StatusOr<crypto::TrustList> list = crypto::ParseTrustList(*jws);
  if (!list.ok()) return ReportError(list.status());
  std::cout << "(not verified: use verify --root) ";
  Print(*list);
  return kExitOk;
}

void AddSource(CLI::App* cmd, TrustListOptions* o) {
  cmd->add_option("--in", o->in, "The signed trust list file");
  cmd->add_flag("--from_server", o->from_server, "Fetch it from the server (Keys.GetTrustList)");
  AddConnectionFlags(cmd, &o->connection);
}

}  // namespace

void AddTrustListCommands(CLI::App* keys, int* exit_code) {
  auto o = std::make_shared<TrustListOptions>();
  CLI::App* tl = keys->add_subcommand("trust-list", "The signed trust list for offline verifiers");
  tl->require_subcommand(1);
  CLI::App* root = tl->add_subcommand("new-root", "Create a trust-list root key pair");
  root->add_option("--out", o->out, "Directory for root.key.pem and root.pub.pem")->required();
  root->add_option("--algorithm", o->algorithm, "ES256 (default) or Ed25519");
  root->callback([o, exit_code] { *exit_code = NewRoot(*o); });
  CLI::App* sign = tl->add_subcommand("sign", "Sign the keys of a keys directory as a trust list");
  sign->add_option("--keys_dir", o->keys_dir, "Keys directory")->capture_default_str();
  sign->add_option("--root", o->root, "The root's private key (root.key.pem)")->required();
  sign->add_option("--root_id", o->root_id, "The root's key id (default: from its public key)");
  sign->add_option("--seq", o->seq,
                   "Sequence number (default: the signing time in Unix seconds, or the previous "
                   "--out's + 1 if higher)");
  sign->add_option("--valid", o->valid, "How long it is valid, e.g. 720h")->capture_default_str();
  sign->add_option("--out", o->out, "The trust list file to write")->required();
  sign->callback([o, exit_code] { *exit_code = Sign(*o); });
  CLI::App* verify = tl->add_subcommand("verify", "Check a trust list as an offline verifier");
  verify->add_option("--root", o->root, "The pinned root public key (root.pub.pem)")->required();
  AddSource(verify, o.get());
  verify->add_option("--state", o->state, "File keeping the highest sequence accepted");
  verify->add_option("--at", o->at, "Check as of this RFC 3339 time (default: now)");
  verify->callback([o, exit_code] { *exit_code = Verify(*o); });
  CLI::App* show = tl->add_subcommand("show", "Print a trust list without verifying it");
  AddSource(show, o.get());
  show->callback([o, exit_code] { *exit_code = Show(*o); });
}

}  // namespace hallmark::ctl
