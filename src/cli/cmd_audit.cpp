// memmap audit: every check over every space, for people and for CI.
#include "command.hpp"

#include <memmap/analyze/audit.hpp>
#include <memmap/render/json.hpp>
#include <memmap/iommu/groups.hpp>
#include <memmap/pci/loader.hpp>
#include <memmap/error.hpp>
#include <memmap/render/audit.hpp>
#include <memmap/source/sysroot.hpp>

#include <fmt/format.h>
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

// The PCI and IOMMU parts of the model, when they can be read. The PCI model is cross-
// referenced with the resource trees so bar-not-claimed can see the claims.
void
add_model_sources(Context& ctx, analyze::AuditSources& src, std::optional<iommu::IommuState>& iommu)
{
  // Each part comes from where the plan says (Context::plan): never this machine's devices
  // or groups beside files that describe another machine.
  try {
    auto& model = ctx.pci();
    pci::cross_reference(model, src.iomem, src.ioports);
    src.pci = &model;
  } catch (const SourceError& e) {
    ctx.notice(std::string(e.what()) + " (PCI checks are skipped)");
  } catch (const InputError& e) {
    ctx.notice(std::string(e.what()) + " (PCI checks are skipped)");
  }
  const source::SysRoot* root = nullptr;
  try {
    root = &ctx.sysfs();
  } catch (const SourceError& e) {
    ctx.notice(std::string(e.what()) + " (IOMMU checks are skipped)");
    return;
  }
  iommu = iommu::read_iommu_state(*root);
  if (!iommu->groups_dir_present && iommu->units.empty()) {
    // Not "absent": this source never held the IOMMU files (live sysfs always has the dir).
    ctx.notice(root->display("sys/kernel/iommu_groups")
               + ": not in this source (IOMMU checks are skipped)");
    return;
  }
  src.iommu = &*iommu;
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
  auto try_load = [&](auto&& fn) {
    try {
      return fn();
    } catch (const SourceError& e) {
      ctx.notice(std::string(e.what()) + " (checks that need it are skipped)");
    }
    return decltype(fn())(nullptr);
  };
  m.src.iomem = try_load([&]() -> const model::AddressSpace* { return &ctx.iomem(); });
  m.src.ioports = try_load([&]() -> const model::AddressSpace* { return &ctx.ioports(); });
  add_model_sources(ctx, m.src, m.iommu);
}

namespace {

int
run_audit_cmd(Context& ctx, const AuditArgs& a)
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
    render::render_audit_text(res, threshold, ctx.style(), ctx.out());
  }
  const int t = threshold == analyze::Severity::error ? 2 : threshold == analyze::Severity::warning ? 1 : 0;
  for (const auto& f : res.findings) {
    const int l = f.severity == analyze::Severity::error ? 2 : f.severity == analyze::Severity::warning ? 1 : 0;
    if (l >= t) {
      return k_exit_findings;
    }
  }
  return k_exit_ok;
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
  sub->add_option("--format", a->format, "text (default), json (as --json) or prometheus (node_exporter textfile)")
    ->type_name("FMT")
    ->check(CLI::IsMember({"text", "json", "prometheus"}));
  sub->footer("Exit: 0 nothing reaches --fail-on, 1 something does, 2 bad usage or input, 3 nothing readable.\n"
              "Examples: memmap audit    memmap audit --fail-on warning --junit audit.xml\n"
              "          memmap --root SNAPSHOT audit --json    memmap audit --write-baseline known.txt\n"
              "          memmap audit --format prometheus > /var/lib/node_exporter/textfile/memmap.prom");
  cmds.push_back({sub, [a](Context& ctx) { return run_audit_cmd(ctx, *a); }});
}

} // namespace memmap::cli
