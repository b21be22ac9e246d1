#include "client/ctl/links_command.h"

#include <google/protobuf/util/json_util.h>

#include <iostream>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/ctl/connection.h"
#include "client/ctl/ctl_common.h"
#include "common/files.h"

namespace hallmark::ctl {
namespace {

struct LinksOptions {
  std::string prefix, gtin, lot, serial;
  std::string name, brand, image, support;
  std::vector<std::string> links;
  std::string json;
  std::string format = "text";
  ClientSettings connection;
};

v1::LinkScope Scope(const LinksOptions& o) {
  v1::LinkScope s;
  s.set_company_prefix(o.prefix);
  s.set_gtin(o.gtin);
  s.set_lot(o.lot);
  s.set_serial(o.serial);
  return s;
}

std::string ScopeText(const v1::LinkScope& s) {
  if (!s.company_prefix().empty()) return absl::StrCat("prefix ", s.company_prefix());
  std::string out = absl::StrCat("gtin ", s.gtin());
  if (!s.lot().empty()) absl::StrAppend(&out, " lot ", s.lot());
  if (!s.serial().empty()) absl::StrAppend(&out, " serial ", s.serial());
  return out;
}

void PrintEntry(const v1::LinkEntry& e) {
  std::cout << ScopeText(e.scope()) << "\n";
  const v1::Presentation& p = e.presentation();
  if (!p.product_name().empty()) std::cout << "  name\t" << p.product_name() << "\n";
  if (!p.brand_name().empty()) std::cout << "  brand\t" << p.brand_name() << "\n";
  if (!p.image_url().empty()) std::cout << "  image\t" << p.image_url() << "\n";
  if (!p.support_contact().empty()) std::cout << "  support\t" << p.support_contact() << "\n";
  for (const v1::Link& l : e.links()) {
    std::cout << "  " << l.link_type() << (l.language().empty() ? "" : "@" + l.language())
              << "\t" << l.href() << (l.title().empty() ? "" : "\t" + l.title()) << "\n";
  }
}

absl::StatusOr<v1::SetLinksRequest> BuildSet(const LinksOptions& o) {
  v1::SetLinksRequest r;
  v1::LinkEntry* e = r.mutable_entry();
  if (!o.json.empty()) {
    absl::StatusOr<std::string> text = ReadFile(o.json, 1 << 20);
    if (!text.ok()) return text.status();
    auto parsed = google::protobuf::util::JsonStringToMessage(*text, e);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(o.json, ": not a LinkEntry in JSON: ", parsed.message().ToString()));
    }
  }
  if (!o.prefix.empty() || !o.gtin.empty()) *e->mutable_scope() = Scope(o);
  v1::Presentation* p = e->mutable_presentation();
  if (!o.name.empty()) p->set_product_name(o.name);
  if (!o.brand.empty()) p->set_brand_name(o.brand);
  if (!o.image.empty()) p->set_image_url(o.image);
  if (!o.support.empty()) p->set_support_contact(o.support);
  for (const std::string& flag : o.links) {
    absl::StatusOr<v1::Link> link = ParseLinkFlag(flag);
    if (!link.ok()) return link.status();
    *e->add_links() = *std::move(link);
  }
  return r;
}

template <typename Response, typename Call, typename Print>
int Run(const LinksOptions& o, Call call, Print print) {
  absl::StatusOr<std::unique_ptr<Client>> client = Connect(o.connection);
  if (!client.ok()) return ReportError(client.status());
  absl::StatusOr<Response> resp = call(**client);
  if (!resp.ok()) return ReportCallError(resp.status(), (*client)->options().address);
  return print(*resp);
}

int Set(const LinksOptions& o) {
  absl::StatusOr<v1::SetLinksRequest> r = BuildSet(o);
  if (!r.ok()) return ReportError(r.status());
  return Run<v1::LinkEntry>(
      o, [&](Client& c) { return c.SetLinks(*r); },
      [](const v1::LinkEntry& e) {
        std::cout << "set ";
        PrintEntry(e);
        return kExitOk;
      });
}

int List(const LinksOptions& o) {
  absl::StatusOr<std::unique_ptr<Client>> client = Connect(o.connection);
  if (!client.ok()) return ReportError(client.status());
  v1::ListLinksRequest r;
  *r.mutable_scope() = Scope(o);
  do {
    absl::StatusOr<v1::ListLinksResponse> page = (*client)->ListLinks(r);
    if (!page.ok()) return ReportCallError(page.status(), (*client)->options().address);
    for (const v1::LinkEntry& e : page->entries()) {
      if (o.format == "json") {
        std::string json;
        (void)google::protobuf::util::MessageToJsonString(e, &json);
        std::cout << json << "\n";
      } else {
        PrintEntry(e);
      }
    }
    r.set_page_token(page->next_page_token());
  } while (!r.page_token().empty());
  return kExitOk;
}

int Delete(const LinksOptions& o) {
  v1::DeleteLinksRequest r;
  *r.mutable_scope() = Scope(o);
  return Run<v1::DeleteLinksResponse>(
      o, [&](Client& c) { return c.DeleteLinks(r); },
      [&](const v1::DeleteLinksResponse& d) {
        std::cout << (d.deleted() ? "deleted " : "there was no entry for ")
                  << ScopeText(r.scope()) << "\n";
        return kExitOk;
      });
}

void AddScopeFlags(CLI::App* cmd, LinksOptions* o, bool unit_levels) {
  cmd->add_option("--prefix", o->prefix, "A GS1 company prefix of yours");
  cmd->add_option("--gtin", o->gtin, "A GTIN");
  if (unit_levels) {
    cmd->add_option("--lot", o->lot, "A lot of the GTIN");
    cmd->add_option("--serial", o->serial, "A unit of the GTIN");
  }
  AddConnectionFlags(cmd, &o->connection);
}

}  // namespace

absl::StatusOr<v1::Link> ParseLinkFlag(const std::string& flag) {
  const size_t eq = flag.find('=');
  if (eq == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("--link: want TYPE[@LANG]=URL[|TITLE], got \"", flag, "\""));
  }
  v1::Link link;
  const std::string type = flag.substr(0, eq);
  const size_t at = type.find('@');
  link.set_link_type(type.substr(0, at));
  if (at != std::string::npos) link.set_language(type.substr(at + 1));
  const std::string rest = flag.substr(eq + 1);
  const size_t bar = rest.find('|');
  link.set_href(rest.substr(0, bar));
  if (bar != std::string::npos) link.set_title(rest.substr(bar + 1));
  return link;
}

void AddLinksCommands(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<LinksOptions>();
  CLI::App* links = app.add_subcommand("links", "The brand's presentation and resolver links");
  links->require_subcommand(1);
  CLI::App* set = links->add_subcommand("set", "Set (replace) the entry of a scope");
  AddScopeFlags(set, o.get(), true);
  set->add_option("--name", o->name, "Product name shown on genuine units' pages");
  set->add_option("--brand", o->brand, "Brand name");
  set->add_option("--image", o->image, "https:// URL of the product image");
  set->add_option("--support", o->support, "Support contact (free text)");
  set->add_option("--link", o->links, "TYPE[@LANG]=URL[|TITLE], e.g. gs1:pip=https://...");
  set->add_option("--json", o->json, "A LinkEntry in JSON (flags override its fields)");
  set->callback([o, exit_code] { *exit_code = Set(*o); });
  CLI::App* list = links->add_subcommand("list", "List a prefix's or a GTIN's entries");
  AddScopeFlags(list, o.get(), false);
  list->add_option("--format", o->format, "text or json (one entry per line)")
      ->check(CLI::IsMember({"text", "json"}));
  list->callback([o, exit_code] { *exit_code = List(*o); });
  CLI::App* del = links->add_subcommand("delete", "Delete the entry of a scope");
  AddScopeFlags(del, o.get(), true);
  del->callback([o, exit_code] { *exit_code = Delete(*o); });
}

}  // namespace hallmark::ctl
