// Google Benchmark of Hallmark's signature path, to be compared with `openssl speed ecdsap256
// ed25519` in the same run (bench/crypto.sh does both and prints the ratios). Not a test.
//
//   Primitive/*  PublicKeySign::Sign / PublicKeyVerify::Verify over a 60-byte DIGSIG message:
//                the per-thread-context path, comparable to what openssl speed measures.
//   Code/*       SignUnit / VerifyUnitCode: + message encoding, base64url and key lookup.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "crypto/code_signing.h"
#include "crypto/digsig.h"
#include "gs1/digital_link.h"
#include "gs1/element_string.h"
#include "gs1/gs1.h"
#include "gs1/unit_code.h"

namespace hallmark::crypto {
namespace {
using gs1::UnitCode;

std::unique_ptr<KeyRing> Ring(Algorithm algorithm) {
  std::vector<std::pair<KeyInfo, std::unique_ptr<KeyMaterial>>> keys;
  keys.emplace_back(KeyInfo{0x0101, algorithm, KeyState::kActive, absl::UnixEpoch()},
                    *KeyMaterial::Generate(algorithm));
  return *KeyRing::New(std::move(keys));
}

std::string Message(Algorithm algorithm) {
  return DigSigMessage({kDigSigVersion, algorithm, 0x0101}, "09506000134352", "7KQ2M9XC4RTB0W8N",
                       "L42");
}

void BM_PrimitiveSign(benchmark::State& state, Algorithm algorithm) {
  auto ring = Ring(algorithm);
  const std::string msg = Message(algorithm);
  for (auto _ : state) benchmark::DoNotOptimize(ring->active()->signer->Sign(msg));
}

void BM_PrimitiveVerify(benchmark::State& state, Algorithm algorithm) {
  auto ring = Ring(algorithm);
  const std::string msg = Message(algorithm);
  const std::string sig = *ring->active()->signer->Sign(msg);
  for (auto _ : state) {
    if (ring->active()->verifier->Verify(sig, msg) != SignatureCheck::kValid) {
      state.SkipWithError("did not verify");
    }
  }
}

void BM_CodeSign(benchmark::State& state, Algorithm algorithm) {
  auto ring = Ring(algorithm);
  for (auto _ : state) {
    benchmark::DoNotOptimize(SignUnit(*ring, "09506000134352", "7KQ2M9XC4RTB0W8N", "L42"));
  }
}

void BM_CodeVerify(benchmark::State& state, Algorithm algorithm) {
  auto ring = Ring(algorithm);
  UnitCode code{"09506000134352", "7KQ2M9XC4RTB0W8N", "L42", ""};
  code.digsig = *SignUnit(*ring, code.gtin, code.serial, code.lot);
  for (auto _ : state) {
    if (!VerifyUnitCode(*ring, code).ok()) state.SkipWithError("did not verify");
  }
}

BENCHMARK_CAPTURE(BM_PrimitiveSign, ES256, Algorithm::kEs256);
BENCHMARK_CAPTURE(BM_PrimitiveVerify, ES256, Algorithm::kEs256);
BENCHMARK_CAPTURE(BM_PrimitiveSign, Ed25519, Algorithm::kEd25519);
BENCHMARK_CAPTURE(BM_PrimitiveVerify, Ed25519, Algorithm::kEd25519);
BENCHMARK_CAPTURE(BM_CodeSign, ES256, Algorithm::kEs256);
BENCHMARK_CAPTURE(BM_CodeVerify, ES256, Algorithm::kEs256);
BENCHMARK_CAPTURE(BM_CodeSign, Ed25519, Algorithm::kEd25519);
BENCHMARK_CAPTURE(BM_CodeVerify, Ed25519, Algorithm::kEd25519);

}  // namespace
}  // namespace hallmark::crypto

BENCHMARK_MAIN();
