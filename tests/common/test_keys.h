// File: tests/common/test_keys.h
//
// The published test keys of docs/code-format.md. They are well-known keys from the RFCs, so
// anyone can check our vectors with other tools. Never use them for real products.
//   ES256:   RFC 6979 A.2.5 (P-256), key id 7e57
//   Ed25519: RFC 8032 7.1 TEST 1,   key id ed01
//   The trust-list root (Ed25519): RFC 8032 7.1 TEST 2, key id 0001
#ifndef HALLMARK_TESTS_COMMON_TEST_KEYS_H_
#define HALLMARK_TESTS_COMMON_TEST_KEYS_H_

#include "absl/strings/string_view.h"

namespace hallmark::testing {

inline constexpr uint16_t kTestEs256KeyId = 0x7e57;
inline constexpr uint16_t kTestEd25519KeyId = 0xed01;

inline constexpr absl::string_view kTestEs256PrivatePem =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgya+p2EW6dRZrXCFX\n"
    "Z7HWk05Qw9s26JsSe4piKxIPZyGhRANCAARg/tS6JVqdMclh63TGNW1owEm4kjth\n"
    "+mzmaWIuYPKftnkD/hAIuLyZpBrp6VYovGTy8bIMLX6fUXejwpTURiKZ\n"
    "-----END PRIVATE KEY-----\n";

inline constexpr absl::string_view kTestEs256PublicPem =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEYP7UuiVanTHJYet0xjVtaMBJuJI7\n"
    "Yfps5mliLmDyn7Z5A/4QCLi8maQa6elWKLxk8vGyDC1+n1F3o8KU1EYimQ==\n"
    "-----END PUBLIC KEY-----\n";

inline constexpr absl::string_view kTestEd25519PrivatePem =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
    "-----END PRIVATE KEY-----\n";

inline constexpr absl::string_view kTestEd25519PublicPem =
    "-----BEGIN PUBLIC KEY-----\n"
    "MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n"
    "-----END PUBLIC KEY-----\n";

inline constexpr uint16_t kTestRootKeyId = 0x0001;

inline constexpr absl::string_view kTestRootPrivatePem =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIEzNCJso/5banbbDRuwRTg9bijGfNaumJNqM9u1PuKb7\n"
    "-----END PRIVATE KEY-----\n";

inline constexpr absl::string_view kTestRootPublicPem =
    "-----BEGIN PUBLIC KEY-----\n"
    "MCowBQYDK2VwAyEAPUAXw+hDiVqStwqnTRt+vJyYLM8uxJaMwM1V8Sr0Zgw=\n"
    "-----END PUBLIC KEY-----\n";

}  // namespace hallmark::testing

#endif  // HALLMARK_TESTS_COMMON_TEST_KEYS_H_
