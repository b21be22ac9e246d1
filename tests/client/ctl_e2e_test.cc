// hallmarkctl against a real hallmark-server and redis-server: what brands, retailers and
// police run, including labels decoded back with stock tools (zbarimg, dmtxread).
#include <signal.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/strings/numbers.h"
#include "absl/time/clock.h"
#include "common/files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/client/epcis_check.h"
#include "tests/common/server_harness.h"
#include "tests/common/softhsm.h"
#include "tests/common/status_matchers.h"
#include "tests/common/subprocess.h"

namespace hallmark {
namespace {

using ::hallmark::testing::IsOk;
using ::testing::HasSubstr;
using ::testing::Not;
namespace t = ::hallmark::testing;

struct Result {
  int exit_code;
  std::string out;  // stdout
  std::string err;  // stderr
};

class CtlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto h = t::ServerHarness::Start();
    ASSERT_THAT(h, IsOk());
    h_ = *std::move(h);
  }

  std::string Path(const std::string& name) const { return JoinPath(h_->dir(), name); }
  std::string Addr() const { return "unix:" + Path("grpc.sock"); }

  // Runs hallmarkctl with `args` (shell words) as `who`, feeding `input` on stdin.
  Result Ctl(const std::string& args, const std::string& who = "", const std::string& input = "") {
    const std::string in = Path("stdin.txt"), out = Path("stdout.txt"), err = Path("stderr.txt");
    EXPECT_THAT(WriteFileAtomically(in, input), IsOk());
    const std::string auth = who.empty() ? "" : " --token " + h_->token(who);
    const std::string cmd =
        absl::StrCat(HALLMARK_BINARY_DIR "/client/hallmarkctl ", args, auth, " <", in, " >", out,
                     " 2>", err);
    const int status = std::system(cmd.c_str());
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, *ReadFile(out), *ReadFile(err)};
  }

  std::string Run(const std::string& cmd) { return t::RunShell(cmd); }

  std::vector<std::string> DataLines(const std::string& csv) {
    std::vector<std::string> lines;
    for (absl::string_view l : absl::StrSplit(csv, '\n', absl::SkipEmpty())) {
      if (!absl::StartsWith(l, "gtin,")) lines.emplace_back(l);
    }
    return lines;
  }

  static std::string Slurp(const std::string& path) {
    absl::StatusOr<std::string> s = ReadFile(path, size_t{1} << 30);
    return s.ok() ? *s : "";
  }

  std::unique_ptr<t::ServerHarness> h_;
};

TEST_F(CtlTest, IssueLabelsDecodeVerify) {
  Result issued = Ctl(absl::StrCat("issue --addr ", Addr(), " --gtin 9506000134352 --lot L7 "
                                   "--count 3 --request-id labels --out ", Path("units.csv")),
                      t::kIssuer);
  ASSERT_EQ(issued.exit_code, 0) << issued.err;
  Result labels = Ctl(absl::StrCat("labels --in ", Path("units.csv"), " --out ", Path("labels"),
                                   " --format png --datamatrix"));
  ASSERT_EQ(labels.exit_code, 0) << labels.err;
  Result svg = Ctl(absl::StrCat("labels --in ", Path("units.csv"), " --out ", Path("svg"),
                                " --format svg"));
  ASSERT_EQ(svg.exit_code, 0) << svg.err;
  const std::vector<std::string> units = DataLines(*ReadFile(Path("units.csv")));
  ASSERT_EQ(units.size(), 3u);
  for (const std::string& line : units) {
    const std::vector<std::string> f = absl::StrSplit(line, ',');
    const std::string png = Path(absl::StrCat("labels/", f[0], "_", f[1], ".png"));
    // QR only: zbar's linear decoders now and then read a stray EAN out of the label's text.
    const std::string qr = std::string(absl::StripAsciiWhitespace(
        Run("zbarimg -q --raw -Sdisable -Sqrcode.enable " + png)));
    EXPECT_EQ(qr, f[5]);  // the Digital Link, exactly
    const std::string dm = Run("dmtxread -n -N1 -G 29 " + png + " 2>/dev/null");
    ASSERT_FALSE(dm.empty()) << "no DataMatrix decoded from " << png;
    ASSERT_THAT(WriteFileAtomically(Path("decoded.txt"), qr + "\n" + dm), IsOk());
    Result verified = Ctl(absl::StrCat("verify --addr ", Addr()), t::kRetailer,
                          *ReadFile(Path("decoded.txt")));
    EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
    EXPECT_EQ(std::count(verified.out.begin(), verified.out.end(), '\n'), 2);
    EXPECT_THAT(verified.out, HasSubstr("AUTHENTIC"));
    EXPECT_THAT(*ReadFile(Path(absl::StrCat("svg/", f[0], "_", f[1], ".svg"))),
                HasSubstr(absl::StrCat("(21) ", f[1])));
  }
}

// A regulated lot from the shell: issued with its dates, printed (QR, DataMatrix, text),
// decoded back, verified online and offline; a forged date exits 12 (MISMATCH), an expired lot
// 9; a correction, after which the old labels mismatch.
TEST_F(CtlTest, ADatedLotIsIssuedPrintedVerifiedAndCorrected) {
  Result issued = Ctl(absl::StrCat("issue --addr ", Addr(), " --gtin 9506000134352 --lot B26 "
                                   "--expiry 281130 --production 261115 --count 2 "
                                   "--request-id dated --out ", Path("dated.csv")),
                      t::kIssuer);
  ASSERT_EQ(issued.exit_code, 0) << issued.err;
  Result labels = Ctl(absl::StrCat("labels --in ", Path("dated.csv"), " --out ", Path("dl"),
                                   " --format png --datamatrix"));
  ASSERT_EQ(labels.exit_code, 0) << labels.err;
  ASSERT_EQ(Ctl(absl::StrCat("labels --in ", Path("dated.csv"), " --out ", Path("ds"),
                             " --format svg")).exit_code, 0);
  const std::vector<std::string> units = DataLines(*ReadFile(Path("dated.csv")));
  ASSERT_EQ(units.size(), 2u);
  const std::vector<std::string> f = absl::StrSplit(units[0], ',');
  EXPECT_THAT(f[5], HasSubstr("?17=281130&11=261115&8030="));
  const std::string png = Path(absl::StrCat("dl/", f[0], "_", f[1], ".png"));
  const std::string qr = std::string(absl::StripAsciiWhitespace(
      Run("zbarimg -q --raw -Sdisable -Sqrcode.enable " + png)));
  EXPECT_EQ(qr, f[5]);
  const std::string dm = Run("dmtxread -n -N1 -G 29 " + png + " 2>/dev/null");
  EXPECT_THAT(dm, HasSubstr("17281130112611152" "1"));  // the dates, then AI 21, unseparated
  const std::string svg = *ReadFile(Path(absl::StrCat("ds/", f[0], "_", f[1], ".svg")));
  EXPECT_THAT(svg, HasSubstr("(17) 281130"));
  EXPECT_THAT(svg, HasSubstr("(11) 261115"));
  // Online: both symbols AUTHENTIC, exit 0; the dates shown.
  Result verified = Ctl(absl::StrCat("verify --json --addr ", Addr()), t::kRetailer,
                        qr + "\n" + dm + "\n");
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  EXPECT_THAT(verified.out, HasSubstr("\"expiry_date\":\"281130\""));
  EXPECT_THAT(verified.out, HasSubstr("\"expired\":false"));
  // Offline, with the brand's public keys: valid, the dates read.
  Result offline = Ctl("code inspect --keys_dir " + h_->keys_dir() + " '" + qr + "'");
  EXPECT_EQ(offline.exit_code, 0) << offline.out << offline.err;
  EXPECT_THAT(offline.out, HasSubstr("expiry (17):     281130 (2028-11-30)"));
  EXPECT_THAT(offline.out, HasSubstr("signature:       valid"));
  // A forged expiry: invalid offline (exit 3), MISMATCH online (exit 12).
  const std::string forged = absl::StrReplaceAll(qr, {{"17=281130", "17=291130"}});
  EXPECT_EQ(Ctl("code inspect --keys_dir " + h_->keys_dir() + " '" + forged + "'").exit_code, 3);
  Result mismatch = Ctl(absl::StrCat("verify --addr ", Addr(), " '", forged, "'"), t::kRetailer);
  EXPECT_EQ(mismatch.exit_code, 12) << mismatch.out;
  EXPECT_THAT(mismatch.out, HasSubstr("expiry_date_mismatch"));
  // An expired lot: AUTHENTIC, exit 9.
  Result old = Ctl(absl::StrCat("issue --addr ", Addr(), " --gtin 9506000134352 --lot OLD "
                                "--expiry 200100 --count 1 --request-id old --json"),
                   t::kIssuer);
  ASSERT_EQ(old.exit_code, 0) << old.err;
  const std::string old_link = Run("printf '%s' '" + old.out +
                                   "' | sed -n 's/.*\"digital_link\":\"\\([^\"]*\\)\".*/\\1/p'");
  Result expired = Ctl(absl::StrCat("verify --addr ", Addr(), " '",
                                    absl::StripAsciiWhitespace(old_link), "'"),
                       t::kRetailer);
  EXPECT_EQ(expired.exit_code, 9) << expired.out << expired.err;
  EXPECT_THAT(expired.out, HasSubstr("AUTHENTIC"));
  EXPECT_THAT(expired.out, HasSubstr("expired"));
  // Bad dates are refused before anything is written (exit 2).
  Result bad = Ctl(absl::StrCat("issue --addr ", Addr(), " --gtin 9506000134352 --lot B27 "
                                "--expiry 280230 --count 1 --request-id bad"),
                   t::kIssuer);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("expiry_date: 2028-02 has no day 30"));
  // The correction: the old labels now read MISMATCH.
  Result corrected = Ctl(absl::StrCat("correct-lot --addr ", Addr(), " --gtin 9506000134352 "
                                      "--lot B26 --expiry 290531 --production 261115 "
                                      "--reason 'stability data'"),
                         t::kIssuer);
  ASSERT_EQ(corrected.exit_code, 0) << corrected.err;
  EXPECT_EQ(corrected.out, "lot B26: expiry 281130 -> 290531, production 261115 -> 261115\n");
  EXPECT_EQ(Ctl(absl::StrCat("verify --addr ", Addr(), " '", qr, "'"), t::kRetailer).exit_code,
            12);
  EXPECT_EQ(Ctl(absl::StrCat("correct-lot --addr ", Addr(), " --gtin 9506000134352 --lot B26 "
                             "--expiry 300531 --reason x"),
                t::kRetailer)
                .exit_code,
            2);
}

TEST_F(CtlTest, ImportWithDuplicatesExitsThree) {
  ASSERT_THAT(WriteFileAtomically(Path("serials.csv"), "serial\nS-1\nS-2\nS-1\nbad serial\n"),
              IsOk());
  Result first = Ctl(absl::StrCat("import --addr ", Addr(), " --gtin 09506000134352 --csv ",
                                  Path("serials.csv")),
                     t::kIssuer);
  EXPECT_EQ(first.exit_code, 3) << first.err;
  EXPECT_EQ(DataLines(first.out).size(), 2u);
  // Rejections name the file's lines (line 1 is the header).
  EXPECT_THAT(first.err, HasSubstr("rejected line 4 S-1: DUPLICATE (repeats line 2)"));
  EXPECT_THAT(first.err, HasSubstr("rejected line 5 bad serial: INVALID (line 5:"));
  ASSERT_THAT(WriteFileAtomically(Path("next.csv"), "S-2\nS-3\n"), IsOk());
  Result next = Ctl(absl::StrCat("import --addr ", Addr(), " --gtin 09506000134352 --csv ",
                                 Path("next.csv")),
                    t::kIssuer);
  EXPECT_EQ(next.exit_code, 3);
  EXPECT_THAT(next.err, HasSubstr("rejected line 1 S-2: DUPLICATE (already registered"));
  EXPECT_EQ(*h_->RegisteredCount(t::kBrandGtin), 3u);
}

// Observed: a file over 10,000 serials is sent as several requests, and a serial repeating one
// of an earlier request was reported "already registered" with chunk indexes.
TEST_F(CtlTest, ImportReasonsNameFileLinesAcrossRequests) {
  std::string csv;
  for (int i = 0; i < 10'000; ++i) absl::StrAppend(&csv, "B-", i, "\n");
  absl::StrAppend(&csv, "B-7\n");  // line 10,001: the second request repeats line 8
  ASSERT_THAT(WriteFileAtomically(Path("big.csv"), csv), IsOk());
  Result r = Ctl(absl::StrCat("import --addr ", Addr(), " --gtin 09506000134352 --csv ",
                              Path("big.csv"), " --out ", Path("big-out.csv")),
                 t::kIssuer);
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_THAT(r.err, HasSubstr("rejected line 10001 B-7: DUPLICATE (repeats line 8)"));
  EXPECT_THAT(r.err, HasSubstr("imported 10000, rejected 1"));
}

TEST_F(CtlTest, StolenReportMakesVerifyExitSayStolen) {
  Result issued = Ctl(absl::StrCat("issue --addr ", Addr(), " --gtin 09506000134352 --count 2 "
                                   "--request-id s --out ", Path("u.csv")),
                      t::kIssuer);
  ASSERT_EQ(issued.exit_code, 0) << issued.err;
  const std::vector<std::string> units = DataLines(*ReadFile(Path("u.csv")));
  const std::string link = std::vector<std::string>(absl::StrSplit(units[0], ','))[5];
  EXPECT_EQ(Ctl(absl::StrCat("verify --addr ", Addr(), " '", link, "'"), t::kVerifier).exit_code, 0);
  Result reported = Ctl(absl::StrCat("stolen report --addr ", Addr(), " --case LE-9 --agency "
                                     "Police --file ", Path("u.csv")),
                        t::kPolice);
  EXPECT_EQ(reported.exit_code, 0) << reported.out << reported.err;
  Result v = Ctl(absl::StrCat("verify --addr ", Addr(), " --json '", link, "'"), t::kVerifier);
  EXPECT_EQ(v.exit_code, 16);
  EXPECT_THAT(v.out, HasSubstr("\"verdict\":\"STOLEN\""));
  Result check = Ctl(absl::StrCat("stolen check --addr ", Addr(), " --file -"), t::kRetailer,
                     units[1] + "\n");
  EXPECT_EQ(check.exit_code, 3);
  EXPECT_THAT(check.out, HasSubstr("STOLEN"));
  Result cleared = Ctl(absl::StrCat("stolen clear --addr ", Addr(), " --case LE-9 --all"), t::kPolice);
  EXPECT_EQ(cleared.exit_code, 0) << cleared.err;
  EXPECT_EQ(Ctl(absl::StrCat("verify --addr ", Addr(), " '", link, "'"), t::kVerifier).exit_code, 0);
}

// An issuer sets, lists and deletes its links from the shell; bad links and other issuers'
// GTINs are refused with exit code 2 and the server's reason.
TEST_F(CtlTest, LinksSetListDelete) {
  const std::string addr = " --addr " + Addr();
  Result set = Ctl("links set" + addr + " --gtin 9506000134352 --name 'Trail Runner 2'"
                   " --link 'gs1:pip=https://acme.example/tr2|Product page'"
                   " --link 'gs1:pip@de=https://acme.example/de/tr2|Produktseite'",
                   t::kIssuer);
  ASSERT_EQ(set.exit_code, 0) << set.err;
  EXPECT_THAT(set.out, HasSubstr("set gtin 09506000134352"));
  const std::string json_file = Path("lot.json");
  ASSERT_THAT(WriteFileAtomically(
                  json_file, R"({"links":[{"linkType":"gs1:instructions","href":"https://acme.example/l.pdf"}]})"),
              IsOk());
  ASSERT_EQ(Ctl("links set" + addr + " --gtin 09506000134352 --lot L9 --json " + json_file,
                t::kIssuer).exit_code, 0);
  Result list = Ctl("links list" + addr + " --gtin 09506000134352", t::kIssuer);
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_THAT(list.out, HasSubstr("gs1:pip@de\thttps://acme.example/de/tr2\tProduktseite"));
  EXPECT_THAT(list.out, HasSubstr("gtin 09506000134352 lot L9"));
  EXPECT_THAT(list.out, HasSubstr("gs1:instructions\thttps://acme.example/l.pdf"));
  Result bad = Ctl("links set" + addr + " --gtin 9506000134352 --link 'gs1:pip=http://x.example/'",
                   t::kIssuer);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("links[0].href: must start with https://"));
  EXPECT_EQ(Ctl("links set" + addr + " --gtin 9506000134352 --name x", t::kForeignIssuer).exit_code,
            2);
  EXPECT_EQ(Ctl("links list" + addr + " --gtin 9506000134352", t::kRetailer).exit_code, 2);
  Result del = Ctl("links delete" + addr + " --gtin 9506000134352 --lot L9", t::kIssuer);
  EXPECT_THAT(del.out, HasSubstr("deleted gtin 9506000134352 lot L9"));
  del = Ctl("links delete" + addr + " --gtin 9506000134352 --lot L9", t::kIssuer);
  EXPECT_THAT(del.out, HasSubstr("there was no entry"));
}

// An offline verifier's trust-list flow from the shell: a root, signed lists, verification
// with a pinned root and a remembered sequence — a replayed older list, a tampered one and an
// expired one are refused (exit 3); the signing tool never goes backwards.
TEST_F(CtlTest, TrustListSignVerifyRollbackAndExpiry) {
  const std::string root = Path("root");
  ASSERT_EQ(std::system(("mkdir -p " + root).c_str()), 0);
  Result made = Ctl("keys trust-list new-root --algorithm Ed25519 --out " + root);
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const std::string sign = "keys trust-list sign --keys_dir " + h_->keys_dir() + " --root " +
                           root + "/root.key.pem --out " + Path("list.jws");
  Result first = Ctl(sign);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  // The default sequence is the signing time in seconds: a fresh workspace never restarts low.
  uint64_t seq1 = 0;
  ASSERT_TRUE(absl::SimpleAtoi(first.out.substr(first.out.find("sequence ") + 9,
                                                first.out.find(',', first.out.find("sequence ")) -
                                                    first.out.find("sequence ") - 9),
                               &seq1))
      << first.out;
  EXPECT_GE(seq1, static_cast<uint64_t>(absl::ToUnixSeconds(absl::Now()) - 60));
  ASSERT_EQ(std::system(("cp " + Path("list.jws") + " " + Path("old.jws")).c_str()), 0);
  const std::string verify = "keys trust-list verify --root " + root + "/root.pub.pem --state " +
                             Path("seen") + " --in ";
  Result ok1 = Ctl(verify + Path("list.jws"));
  ASSERT_EQ(ok1.exit_code, 0) << ok1.err;
  EXPECT_THAT(ok1.out, HasSubstr(absl::StrCat("VALID trust list: sequence ", seq1)));
  EXPECT_THAT(ok1.out, HasSubstr("ACTIVE"));
  EXPECT_EQ(Ctl(verify + Path("list.jws")).exit_code, 0);  // the same list again
  Result second = Ctl(sign);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  Result ok2 = Ctl(verify + Path("list.jws"));
  EXPECT_EQ(ok2.exit_code, 0) << ok2.err;
  EXPECT_THAT(ok2.out, Not(HasSubstr(absl::StrCat("sequence ", seq1, ","))));
  Result replay = Ctl(verify + Path("old.jws"));
  EXPECT_EQ(replay.exit_code, 3);
  EXPECT_THAT(replay.err, HasSubstr("rollback"));
  std::string tampered = Slurp(Path("list.jws"));
  tampered[tampered.find('.') + 5] ^= 1;
  ASSERT_THAT(WriteFileAtomically(Path("bad.jws"), tampered), IsOk());
  EXPECT_EQ(Ctl(verify + Path("bad.jws")).exit_code, 3);
  Result expired = Ctl(verify + Path("list.jws") + " --at 2099-01-01T00:00:00Z");
  EXPECT_EQ(expired.exit_code, 3);
  EXPECT_THAT(expired.err, HasSubstr("expired"));
  Result backwards = Ctl(sign + " --seq 1");
  EXPECT_EQ(backwards.exit_code, 2);
  EXPECT_THAT(backwards.err, HasSubstr("is not above"));
  EXPECT_THAT(Ctl("keys trust-list show --in " + Path("list.jws")).out,
              HasSubstr("(not verified"));
}

// A signing key made inside a PKCS#11 token from the shell (SoftHSM2): the keys directory
// lists where each key lives, and the PIN never appears on the command line.
TEST_F(CtlTest, KeysGenerateInAPkcs11Token) {
  auto token = t::SoftHsmToken::Create("hallmark-ctl-test");
  ASSERT_THAT(token, IsOk());
  const std::string dir = Path("hsm-keys");
  ASSERT_EQ(Ctl("keys generate --keys_dir " + dir).exit_code, 0);
  Result made = Ctl("keys generate --keys_dir " + dir + " --pkcs11 '" + (*token)->Uri() + "'");
  ASSERT_EQ(made.exit_code, 0) << made.err;
  EXPECT_THAT(made.out, HasSubstr("inside the PKCS#11 token"));
  Result list = Ctl("keys list --keys_dir " + dir);
  EXPECT_THAT(list.out, HasSubstr("ACTIVE"));
  EXPECT_THAT(list.out, HasSubstr("pkcs11 token"));
  EXPECT_THAT(list.out, HasSubstr("public key only"));  // the retired file key
  // A code signed by the token key verifies offline with the directory's public keys.
  Result signed_code = Ctl("code sign --keys_dir " + dir + " --gtin 09506000134352 --serial HSM1");
  ASSERT_EQ(signed_code.exit_code, 0) << signed_code.err;
  const size_t at = signed_code.out.find("element_string:");
  ASSERT_NE(at, std::string::npos) << signed_code.out;
  std::string code = signed_code.out.substr(at + 15);
  code = std::string(absl::StripAsciiWhitespace(code.substr(0, code.find('\n'))));
  EXPECT_EQ(Ctl("code inspect --keys_dir " + dir + " '" + code + "'").exit_code, 0);
  // Ed25519 inside the token too (SoftHSM2 has EdDSA).
  Result ed = Ctl("keys generate --keys_dir " + dir + " --algorithm Ed25519 --pkcs11 '" +
                  (*token)->Uri() + "'");
  ASSERT_EQ(ed.exit_code, 0) << ed.err;
  EXPECT_THAT(ed.out, HasSubstr("(Ed25519) inside the PKCS#11 token"));
  Result ed_code = Ctl("code sign --keys_dir " + dir + " --gtin 09506000134352 --serial HSM2");
  ASSERT_EQ(ed_code.exit_code, 0) << ed_code.err;
  const size_t ed_at = ed_code.out.find("element_string:");
  std::string ed_text = ed_code.out.substr(ed_at + 15);
  ed_text = std::string(absl::StripAsciiWhitespace(ed_text.substr(0, ed_text.find('\n'))));
  EXPECT_EQ(Ctl("code inspect --keys_dir " + dir + " '" + ed_text + "'").exit_code, 0);
}

TEST_F(CtlTest, InterruptedIssueRunResumesWithoutDuplicateOrGap) {
  const std::string out = Path("big.csv");
  const std::vector<std::string> argv = {
      HALLMARK_BINARY_DIR "/client/hallmarkctl", "issue", "--addr", Addr(), "--token",
      h_->token(t::kIssuer), "--gtin", "09506000134352", "--count", "40000", "--request-id",
      "big-run", "--out", out};
  {
    auto run = t::Subprocess::Start(argv, Path("issue.log"));
    ASSERT_THAT(run, IsOk());
    // Kill it once part of the run is on disk (progress decides, not time).
    while (!FileExists(out)) absl::SleepFor(absl::Milliseconds(5));
    while (Slurp(out).size() < 200'000) absl::SleepFor(absl::Milliseconds(5));
    run->Signal(SIGKILL);
    run->Wait(absl::Seconds(10));
  }
  const size_t partial = DataLines(Slurp(out)).size();
  ASSERT_LT(partial, 40000u);
  auto rerun = t::Subprocess::Start(argv, Path("issue2.log"));
  ASSERT_THAT(rerun, IsOk());
  ASSERT_EQ(rerun->Wait(absl::Seconds(120)), 0) << rerun->Log();
  EXPECT_THAT(rerun->Log(), HasSubstr("resuming after the"));
  const std::vector<std::string> lines = DataLines(Slurp(out));
  std::set<std::string> serials;
  for (const std::string& l : lines) {
    serials.insert(std::vector<std::string>(absl::StrSplit(l, ','))[1]);
  }
  EXPECT_EQ(lines.size(), 40000u);
  EXPECT_EQ(serials.size(), 40000u);
  EXPECT_EQ(*h_->RegisteredCount(t::kBrandGtin), 40000u);
}

TEST_F(CtlTest, BadFlagsAndUnreachableServerHaveDocumentedExitCodes) {
  Result missing = Ctl("issue --gtin 09506000134352 --count 5");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("--request-id"));
  Result bad_value = Ctl(absl::StrCat("issue --addr ", Addr(), " --gtin 123 --count 5 --request-id x"),
                         t::kIssuer);
  EXPECT_EQ(bad_value.exit_code, 2);
  EXPECT_THAT(bad_value.err, HasSubstr("gtin:"));
  Result wrong_role = Ctl(absl::StrCat("issue --addr ", Addr(),
                                       " --gtin 09506000134352 --count 5 --request-id x"),
                          t::kRetailer);
  EXPECT_EQ(wrong_role.exit_code, 2);
  EXPECT_THAT(wrong_role.err, HasSubstr("role retailer may not call Issuance.IssueSerials"));
  Result unreachable = Ctl("verify --addr unix:" + Path("nothing.sock") +
                               " --timeout 2s '(01)09506000134352(21)X'",
                           t::kVerifier);
  EXPECT_EQ(unreachable.exit_code, 1);
  EXPECT_THAT(unreachable.err, HasSubstr("cannot reach hallmark-server"));
  for (const Result& r : {missing, bad_value, wrong_role, unreachable}) {
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
}

TEST_F(CtlTest, LifecycleFromSaleToRecallAndEpcisExport) {
  Result issued = Ctl(absl::StrCat("issue --addr ", Addr(), " --gtin 9506000134352 --lot LX "
                                   "--sku PHONE --count 2 --request-id life --out ",
                                   Path("life.csv")),
                      t::kIssuer);
  ASSERT_EQ(issued.exit_code, 0) << issued.err;
  const std::vector<std::string> lines = DataLines(*ReadFile(Path("life.csv")));
  ASSERT_EQ(lines.size(), 2u);
  const std::vector<std::string> f = absl::StrSplit(lines[0], ',');
  const std::string unit = absl::StrCat(f[0], ",", f[1]);
  const std::string addr = " --addr " + Addr();

  Result terms = Ctl("warranty-terms" + addr + " --gtin 09506000134352 --sku PHONE --months 24",
                     t::kIssuer);
  ASSERT_EQ(terms.exit_code, 0) << terms.err;
  // A verifier (a consumer app) asks with the scanned code; a bare unit id reveals nothing.
  const std::string code = "'" + f[5] + "'";
  EXPECT_EQ(Ctl("warranty " + unit + addr, t::kVerifier).exit_code, 2);
  Result warranty = Ctl("warranty " + code + addr, t::kVerifier);
  EXPECT_EQ(warranty.exit_code, 3) << "not sold yet";
  EXPECT_THAT(warranty.out, HasSubstr("reason=not_sold"));

  Result sold = Ctl("event sold " + unit + addr + " --location 4012345000009 --customer alice",
                    t::kRetailer);
  ASSERT_EQ(sold.exit_code, 0) << sold.err;
  EXPECT_THAT(sold.out, HasSubstr("SOLD\t09506000134352"));
  Result again = Ctl("event sold " + unit + addr, t::kRetailer2);
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_THAT(again.err, HasSubstr("unit is SOLD"));
  warranty = Ctl("warranty " + code + addr, t::kVerifier);
  EXPECT_EQ(warranty.exit_code, 0) << warranty.err;
  EXPECT_THAT(warranty.out, HasSubstr("months=24"));
  EXPECT_EQ(Ctl("registration " + unit + addr + " --customer alice", t::kIssuer).exit_code, 0);
  EXPECT_EQ(Ctl("registration " + unit + addr + " --customer bob", t::kIssuer).exit_code, 3);
  Result returned = Ctl("event returned " + unit + addr + " --reference RMA-9", t::kRetailer2);
  ASSERT_EQ(returned.exit_code, 0) << returned.err;
  EXPECT_THAT(returned.out, HasSubstr("flags=return_other_retailer"));
  Result no_reason = Ctl("event decommissioned " + unit + addr, t::kIssuer);
  EXPECT_EQ(no_reason.exit_code, 2);
  EXPECT_THAT(no_reason.err, HasSubstr("decommission_reason"));

  Result recall =
      Ctl("recall" + addr + " --gtin 09506000134352 --lot LX --reason 'battery may overheat'",
          t::kIssuer);
  ASSERT_EQ(recall.exit_code, 0) << recall.err;
  EXPECT_EQ(recall.out, "recalled 2 units\n");
  recall = Ctl("recall" + addr + " --gtin 09506000134352 --lot LX --reason 'battery may overheat'",
               t::kIssuer);
  EXPECT_EQ(recall.out, "recalled 2 units\n") << "the same recall again is a retry";

  Result text = Ctl("history " + unit + addr, t::kPolice);
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("RECALLED"));
  Result epcis = Ctl("history " + unit + addr + " --format epcis", t::kIssuer);
  ASSERT_EQ(epcis.exit_code, 0) << epcis.err;
  std::string error;
  const std::vector<t::EpcisEvent> events = t::CheckEpcis(epcis.out, &error);
  ASSERT_EQ(error, "") << epcis.out;
  ASSERT_EQ(events.size(), 4u) << epcis.out;  // commissioned, sold, returned, recalled
  EXPECT_EQ(events[0].biz_step, "commissioning");
  EXPECT_EQ(events[1].biz_step, "retail_selling");
  EXPECT_EQ(events[1].disposition, "retail_sold");
  EXPECT_EQ(events[2].disposition, "returned");
  EXPECT_EQ(events[3].disposition, "recalled");
  EXPECT_EQ(events[0].epc, absl::StrCat("https://id.gs1.org/01/09506000134352/21/", f[1]));
  EXPECT_EQ(Ctl("history " + unit + addr + " --format json", t::kIssuer).exit_code, 0);
  EXPECT_EQ(Ctl("history " + unit + addr + " --format xml", t::kIssuer).exit_code, 2);
  EXPECT_EQ(Ctl("history " + unit + addr, t::kRetailer).exit_code, 2) << "permission denied";
}

}  // namespace
}  // namespace hallmark
