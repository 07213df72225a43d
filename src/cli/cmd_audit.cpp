// memmap audit: every check over every space, for people and for CI.
#include "columns.hpp"
#include "command.hpp"

#include <memmap/analyze/audit.hpp>
#include <memmap/render/json.hpp>
#include <memmap/iommu/groups.hpp>
#include <memmap/pci/loader.hpp>
#include <memmap/error.hpp>
#include <memmap/render/audit.hpp>
#include <memmap/source/sysroot.hpp>

#include <fmt/format.h>
#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

namespace memmap::cli {

namespace {

struct AuditArgs {
  std::string fail_on = "error";
  std::vector<std::string> checks;
  std::vector<std::string> skips;
  bool list_checks = false;
  std::string baseline;
  std::string write_baseline;
  std::string junit;
  std::string format = "text";
  std::vector<std::string> require;  // --require: sources whose absence is exit 3
};

const char*
needs_text(analyze::Needs n)
{
  switch (n) {
  case analyze::Needs::any:
    return "whatever is readable";
  case analyze::Needs::iomem:
    return "/proc/iomem";
  case analyze::Needs::ioports:
    return "/proc/ioports";
  case analyze::Needs::pci:
    return "PCI devices";
  case analyze::Needs::iommu:
    return "IOMMU groups";
  case analyze::Needs::pci_and_iomem:
    return "PCI devices, /proc/iomem";
  case analyze::Needs::pci_and_iommu:
    return "PCI devices, IOMMU groups";
  }
  return "";
}

void
validate_ids(const std::vector<std::string>& ids, const char* opt)
{
  for (const auto& id : ids) {
    if (!analyze::find_check(id)) {
      std::string known;
      for (const auto& c : analyze::check_registry()) {
        known += (known.empty() ? "" : ", ") + std::string(c.id);
      }
      throw UsageError(fmt::format("{} {}: no such check (known: {})", opt, id, known));
    }
  }
}

std::set<std::string>
read_baseline(const std::string& path)
{
  auto r = source::read_file(path, path);
  if (!r) {
    throw SourceError(r.message);
  }
  std::set<std::string> fps;
  std::istringstream in(r.data);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty() || line[0] == '#') {
      continue;
    }
    const auto tok = line.substr(0, line.find_first_of(" \t"));
    if (tok.size() != 16 || tok.find_first_not_of("0123456789abcdef") != std::string::npos) {
      throw InputError(fmt::format("{}:{}: expected a 16-digit fingerprint, got '{}'", path, n,
                                   tok.substr(0, 40)));
    }
    fps.insert(tok);
  }
  return fps;
}

void
write_text_file(const std::string& path, const std::string& text)
{
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) {
    throw SourceError(fmt::format("{}: cannot write", path));
  }
  out << text;
  if (!out.flush()) {
    throw SourceError(fmt::format("{}: write failed", path));
  }
}

// Extra node_exporter series beside the findings: BAR sizes and the number of groups.
std::string
prometheus_extra(const analyze::AuditSources& src)
{
  std::string out;
  if (src.pci) {
    out += "# HELP memmap_bar_bytes Size of each PCI BAR in bytes.\n"
           "# TYPE memmap_bar_bytes gauge\n";
    for (const auto& d : src.pci->devices) {
      for (const auto& b : d.bars) {
        if (b.size) {
          out += fmt::format("memmap_bar_bytes{{bdf=\"{}\",bar=\"{}\"}} {}\n", d.bdf, b.index,
                             *b.size);
        }
      }
    }
  }
  if (src.iommu) {
    out += "# HELP memmap_iommu_groups Number of IOMMU groups.\n"
           "# TYPE memmap_iommu_groups gauge\n";
    out += fmt::format("memmap_iommu_groups {}\n", src.iommu->groups.size());
  }
  return out;
}

} // namespace

void
load_audit_model(Context& ctx, AuditModel& m)
{
  // Each part comes from where the plan says (Context::plan): never this machine's devices
  // or groups beside files that describe another machine. What is not read is said once
  // and kept in the result (JSON "sources"), so a verdict shows what it rests on.
  auto& st = m.src.status;
  auto not_read = [&](const char* name, const std::string& why, const char* skipped) {
    ctx.notice(why + " (" + skipped + ")");
    st.push_back({name, false, why});
  };
  auto tree = [&](const char* name, auto&& load) -> const model::AddressSpace* {
    try {
      const model::AddressSpace& sp = load();
      st.push_back({name, true, sp.source});
      return &sp;
    } catch (const SourceError& e) {
      not_read(name, e.what(), "checks that need it are skipped");
    }
    return nullptr;
  };
  m.src.iomem = tree("iomem", [&]() -> const model::AddressSpace& { return ctx.iomem(); });
  m.src.ioports = tree("ioports", [&]() -> const model::AddressSpace& { return ctx.ioports(); });
  try {
    auto& model = ctx.pci();
    pci::cross_reference(model, m.src.iomem, m.src.ioports);
    m.src.pci = &model;
    st.push_back({"pci", true, model.source});
  } catch (const SourceError& e) {
    not_read("pci", e.what(), "PCI checks are skipped");
  } catch (const InputError& e) {
    not_read("pci", e.what(), "PCI checks are skipped");
  }
  const source::SysRoot* root = nullptr;
  try {
    root = &ctx.sysfs();
  } catch (const SourceError& e) {
    not_read("iommu", e.what(), "IOMMU checks are skipped");
    return;
  }
  m.iommu = iommu::read_iommu_state(*root);
  if (!m.iommu->groups_dir_present && m.iommu->units.empty()) {
    // Not "absent": this source never held the IOMMU files (live sysfs always has the dir).
    not_read("iommu", root->display("sys/kernel/iommu_groups") + ": not in this source",
             "IOMMU checks are skipped");
    return;
  }
  m.src.iommu = &*m.iommu;
  st.push_back({"iommu", true, root->display("sys/kernel/iommu_groups")});
}

namespace {

int
run_audit_cmd(Context& ctx, const AuditArgs& a, const render::Columns& cols)
{
  if (a.list_checks) {
    for (const auto& c : analyze::check_registry()) {
      ctx.out() << fmt::format("{:<24} {:<8} needs {}\n    {}\n", c.id,
                               model::to_string(c.severity), needs_text(c.needs),
                               c.description);
    }
    return k_exit_ok;
  }
  validate_ids(a.checks, "--check");
  validate_ids(a.skips, "--skip");
  if (!a.checks.empty()
      && std::all_of(a.checks.begin(), a.checks.end(), [&](const std::string& c) {
           return std::find(a.skips.begin(), a.skips.end(), c) != a.skips.end();
         })) {
    throw UsageError("--skip removes every check --check asked for: nothing would run");
  }
  const auto threshold = *analyze::parse_severity(a.fail_on);

  AuditModel m;
  load_audit_model(ctx, m);
  const analyze::AuditSources& src = m.src;

  analyze::AuditResult res = analyze::run_audit(
    src, std::set<std::string>(a.checks.begin(), a.checks.end()),
    std::set<std::string>(a.skips.begin(), a.skips.end()));

  if (!a.baseline.empty()) {
    const auto known = read_baseline(a.baseline);
    const auto before = res.findings.size();
    std::erase_if(res.findings, [&](const analyze::Finding& f) { return known.count(f.fingerprint) > 0; });
    if (before != res.findings.size()) {
      ctx.notice(fmt::format("{}: {} known finding(s) ignored", a.baseline,
                             before - res.findings.size()));
    }
  }
  if (!a.write_baseline.empty()) {
    std::string text = "# memmap audit baseline: one fingerprint per line (id, subject after it)\n";
    for (const auto& f : res.findings) {
      text += fmt::format("{}  {}  {}\n", f.fingerprint, f.id,
                          f.subject.bdf.value_or(f.subject.region));
    }
    write_text_file(a.write_baseline, text);
  }
  if (!a.junit.empty()) {
    std::ostringstream x;
    render::render_audit_junit(res, threshold, x);
    write_text_file(a.junit, x.str());
  }
  const std::string format = ctx.options().json ? "json" : a.format;
  if (format == "json") {
    render::write_json(ctx.out(), render::audit_to_json(res));
  } else if (format == "prometheus") {
    render::render_audit_prometheus(res, prometheus_extra(src), ctx.out());
  } else {
    render::render_audit_text(res, threshold, ctx.style(), ctx.out(), cols);
  }
  const auto verdict = analyze::judge(res, threshold, a.require);
  if (verdict.nothing_checked) {
    ctx.err() << "memmap: audit checked nothing"
              << (a.checks.empty() ? "" : " of what --check asked for")
              << ": none of its sources could be read (exit 3)\n";
    return k_exit_unreadable;
  }
  if (!verdict.missing.empty()) {
    ctx.err() << fmt::format("memmap: --require {}: not read (exit 3)\n",
                             fmt::join(verdict.missing, ","));
    return k_exit_unreadable;
  }
  return verdict.reaching_threshold > 0 ? k_exit_findings : k_exit_ok;
}

} // namespace

void
add_audit_commands(CLI::App& app, CommandList& cmds)
{
  auto a = std::make_shared<AuditArgs>();
  CLI::App* sub = app.add_subcommand("audit", "Run every check over every address space (CI-friendly exit codes)");
  sub->add_option("--fail-on", a->fail_on, "Exit 1 when a finding reaches LEVEL: info, warning, error (default)")
    ->type_name("LEVEL")
    ->check(CLI::IsMember({"info", "warning", "error"}));
  sub->add_option("--check", a->checks, "Run only this check (repeatable; see --list-checks)")
    ->type_name("ID");
  sub->add_option("--skip", a->skips, "Do not run this check (repeatable)")->type_name("ID");
  sub->add_flag("--list-checks", a->list_checks, "List every check: id, severity, what it needs and looks for");
  sub->add_option("--baseline", a->baseline, "Ignore findings whose fingerprint FILE lists")
    ->type_name("FILE");
  sub->add_option("--write-baseline", a->write_baseline, "Write the current findings' fingerprints to FILE")
    ->type_name("FILE");
  sub->add_option("--junit", a->junit, "Also write JUnit XML (one test case per check) to FILE")
    ->type_name("FILE");
  sub->add_option("--require", a->require,
                  "Exit 3 unless these sources were read: iomem, ioports, pci, iommu "
                  "(comma-separated or repeated)")
    ->type_name("SOURCES")
    ->delimiter(',')
    ->check(CLI::IsMember(analyze::source_names()));
  sub->add_option("--format", a->format, "text (default), json (as --json) or prometheus (node_exporter textfile)")
    ->type_name("FMT")
    ->check(CLI::IsMember({"text", "json", "prometheus"}));
  sub->footer("Exit: 0 nothing reaches --fail-on, 1 something does, 2 bad usage or input, 3 no check\n"
              "could look at a source (or a --require source was not read). --fail-on applies to the\n"
              "checks that ran; the report lists those skipped and the sources not read.\n"
              "Examples: memmap audit    memmap audit --fail-on warning --junit audit.xml\n"
              "          memmap --root SNAPSHOT audit --json    memmap audit --write-baseline known.txt\n"
              "          memmap audit --format prometheus > /var/lib/node_exporter/textfile/memmap.prom");
  auto cols = add_column_options(sub, render::audit_table());
  cmds.push_back({sub, [a, cols](Context& ctx) {
                    return cols->listed(ctx) ? 0 : run_audit_cmd(ctx, *a, cols->columns());
                  }});
}

} // namespace memmap::cli
