// hallmarkctl: the Hallmark command-line tool. Each subcommand lives in its own file; main only
// wires them together and maps parse errors to exit code 2 with a one-line message.
#include <string>

#include "CLI/App.hpp"
#include "CLI/Config.hpp"
#include "CLI/Formatter.hpp"
#include "client/ctl/code_command.h"
#include "client/ctl/ctl_common.h"
#include "client/ctl/issue_command.h"
#include "client/ctl/keys_command.h"
#include "client/ctl/labels_command.h"
#include "client/ctl/lifecycle_command.h"
#include "client/ctl/links_command.h"
#include "client/ctl/principals_command.h"
#include "client/ctl/stolen_command.h"
#include "client/ctl/verify_command.h"

int main(int argc, char** argv) {
  CLI::App app{"hallmarkctl: keys, signed unit codes and the Hallmark service from the shell",
               "hallmarkctl"};
  app.require_subcommand(1);
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return std::string("hallmarkctl: ") + e.what() + " (see --help)\n";
  });
  int exit_code = hallmark::ctl::kExitOk;
  hallmark::ctl::AddKeysCommands(app, &exit_code);
  hallmark::ctl::AddCodeCommands(app, &exit_code);
  hallmark::ctl::AddPrincipalsCommands(app, &exit_code);
  hallmark::ctl::AddIssueCommand(app, &exit_code);
  hallmark::ctl::AddImportCommand(app, &exit_code);
  hallmark::ctl::AddVerifyCommand(app, &exit_code);
  hallmark::ctl::AddStolenCommands(app, &exit_code);
  hallmark::ctl::AddLabelsCommand(app, &exit_code);
  hallmark::ctl::AddLifecycleCommands(app, &exit_code);
  hallmark::ctl::AddLinksCommands(app, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? hallmark::ctl::kExitOk : hallmark::ctl::kExitUsage;
  }
  return exit_code;
}
