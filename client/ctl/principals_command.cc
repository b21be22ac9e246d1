#include "client/ctl/principals_command.h"

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "admin/principals_file.h"
#include "client/ctl/ctl_common.h"
#include "common/files.h"
#include "common/status_macros.h"

namespace hallmark::ctl {
namespace {

struct PrincipalOptions {
  std::string file = "principals.textpb";
  std::string name;
  std::string role;
  std::string organisation;
  std::vector<std::string> prefixes;
  double rate = 0;
  unsigned burst = 0;
  double issue_rate = 0;
  unsigned issue_burst = 0;
  unsigned max_streams = 0;
};

absl::StatusOr<admin::Principals> ReadPrincipals(const std::string& path, bool missing_ok) {
  admin::Principals principals;
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) {
    if (missing_ok && absl::IsNotFound(text.status())) return principals;
    return text.status();
  }
  return principals::Parse(*text, path);
}

absl::Status Add(const PrincipalOptions& o) {
  HALLMARK_ASSIGN_OR_RETURN(admin::Role role, principals::ParseRole(o.role));
  HALLMARK_ASSIGN_OR_RETURN(admin::Principals principals, ReadPrincipals(o.file, true));
  for (const admin::Principal& p : principals.principal()) {
    if (p.name() == o.name) {
      return absl::AlreadyExistsError(absl::StrCat("principal '", o.name, "' already exists"));
    }
  }
  HALLMARK_ASSIGN_OR_RETURN(std::string token, principals::NewToken());
  admin::Principal* p = principals.add_principal();
  p->set_name(o.name);
  p->set_role(role);
  p->set_organisation(o.organisation);
  for (const std::string& prefix : o.prefixes) p->add_gs1_company_prefixes(prefix);
  p->set_token_sha256(principals::TokenHash(token));
  if (o.rate > 0 || o.burst > 0) {
    p->mutable_rate_limit()->set_per_second(o.rate);
    p->mutable_rate_limit()->set_burst(o.burst);
  }
  if (o.issue_rate > 0 || o.issue_burst > 0) {
    p->mutable_issue_rate()->set_per_second(o.issue_rate);
    p->mutable_issue_rate()->set_burst(o.issue_burst);
  }
  p->set_max_streams(o.max_streams);
  HALLMARK_RETURN_IF_ERROR(principals::WriteFile(o.file, principals));
  std::cout << "added principal " << o.name << " (" << o.role << ") to " << o.file << "\n"
            << "token (shown only now; send it as 'authorization: Bearer <token>'):\n"
            << token << "\n";
  return absl::OkStatus();
}

absl::Status List(const PrincipalOptions& o) {
  HALLMARK_ASSIGN_OR_RETURN(admin::Principals principals, ReadPrincipals(o.file, false));
  for (const admin::Principal& p : principals.principal()) {
    std::cout << p.name() << "\t" << principals::RoleName(p.role()) << "\t" << p.organisation() << "\t"
              << absl::StrJoin(p.gs1_company_prefixes(), ",")
              << (p.disabled() ? "\tDISABLED" : "") << "\n";
  }
  return absl::OkStatus();
}

absl::Status Disable(const PrincipalOptions& o) {
  HALLMARK_ASSIGN_OR_RETURN(admin::Principals principals, ReadPrincipals(o.file, false));
  for (admin::Principal& p : *principals.mutable_principal()) {
    if (p.name() != o.name) continue;
    p.set_disabled(true);
    HALLMARK_RETURN_IF_ERROR(principals::WriteFile(o.file, principals));
    std::cout << "disabled " << o.name << "; reload the server (SIGHUP) to apply\n";
    return absl::OkStatus();
  }
  return absl::NotFoundError(absl::StrCat("no principal named '", o.name, "'"));
}

int Run(absl::Status s) { return s.ok() ? kExitOk : ReportError(s); }

}  // namespace

void AddPrincipalsCommands(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<PrincipalOptions>();
  CLI::App* cmd = app.add_subcommand("principals", "Manage the server's principals file");
  cmd->require_subcommand(1);

  CLI::App* add = cmd->add_subcommand("add", "Add a principal and print its new token once");
  add->add_option("--file", o->file, "Principals file")->capture_default_str();
  add->add_option("--name", o->name, "Unique name (appears in logs and audit)")->required();
  add->add_option("--role", o->role, "issuer, retailer, verifier or law_enforcement")->required();
  add->add_option("--org", o->organisation, "Organisation");
  add->add_option("--prefix", o->prefixes,
                  "GS1 company prefix the issuer owns (repeatable), as in the GTIN-13");
  add->add_option("--rate", o->rate, "Requests per second (default: the role's)");
  add->add_option("--burst", o->burst, "Burst size (with --rate)");
  add->add_option("--issue_rate", o->issue_rate,
                  "Issuers: units issued or imported per second, streams included "
                  "(default 20000)");
  add->add_option("--issue_burst", o->issue_burst, "Issuers: units burst (with --issue_rate; "
                  "default 100000)");
  add->add_option("--max_streams", o->max_streams,
                  "Issuers: StreamIssueSerials calls at once (default 4)");
  add->callback([o, exit_code] { *exit_code = Run(Add(*o)); });

  CLI::App* list = cmd->add_subcommand("list", "List principals (never tokens)");
  list->add_option("--file", o->file, "Principals file")->capture_default_str();
  list->callback([o, exit_code] { *exit_code = Run(List(*o)); });

  CLI::App* disable = cmd->add_subcommand("disable", "Refuse a principal's token from now on");
  disable->add_option("--file", o->file, "Principals file")->capture_default_str();
  disable->add_option("name", o->name, "Principal name")->required();
  disable->callback([o, exit_code] { *exit_code = Run(Disable(*o)); });
}

}  // namespace hallmark::ctl
