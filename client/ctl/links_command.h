// File: client/ctl/links_command.h
//
// The brand's presentation and resolver links (hallmark.v1.Links), from the shell:
//   hallmarkctl links set    SCOPE [--name N] [--brand B] [--image URL] [--support TEXT]
//                                  [--link TYPE[@LANG]=URL[|TITLE]]...  | --json FILE
//   hallmarkctl links list   (--prefix P | --gtin G) [--format text|json]
//   hallmarkctl links delete SCOPE
// SCOPE is --prefix P (a GS1 company prefix), or --gtin G with at most one of --lot L and
// --serial S. `set` replaces the entry at its scope; --json reads a LinkEntry in the API's
// JSON mapping (its scope from the flags when given).
//
// Example:
//   hallmarkctl links set --gtin 09506000134352 --name "Trail Runner 2" \
//     --link 'gs1:pip=https://acme.example/tr2|Product page' \
//     --link 'gs1:pip@de=https://acme.example/de/tr2|Produktseite'
#ifndef HALLMARK_CLIENT_CTL_LINKS_COMMAND_H_
#define HALLMARK_CLIENT_CTL_LINKS_COMMAND_H_

#include <string>

#include "CLI/App.hpp"
#include "absl/status/statusor.h"
#include "hallmark/v1/links.pb.h"

namespace hallmark::ctl {

void AddLinksCommands(CLI::App& app, int* exit_code);

// "gs1:pip@de=https://a.example/x|Title" -> a Link (type, language, href, title).
absl::StatusOr<v1::Link> ParseLinkFlag(const std::string& flag);

}  // namespace hallmark::ctl

#endif  // HALLMARK_CLIENT_CTL_LINKS_COMMAND_H_
