// memmap audit: every check over every space, for people and for CI.
#include "columns.hpp"
#include "command.hpp"

#include <memmap/analyze/audit.hpp>
#include <memmap/error.hpp>
#include <memmap/machine/audit.hpp>
#include <memmap/render/audit.hpp>
#include <memmap/render/audit_extra.hpp>
#include <memmap/render/json.hpp>
#include <memmap/source/files.hpp>

#include <fmt/format.h>
#include <algorithm>
#include <set>

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

// --write-baseline / --junit FILE: a file that cannot be written is a source problem (exit 3).
void
write_result_file(const std::string& path, const std::function<void(std::ostream&)>& write)
{
  if (const auto why = source::write_output_file(path, write); !why.empty()) {
    throw SourceError(path + ": " + why);
  }
}

int
run_audit_cmd(Context& ctx, const AuditArgs& a, const render::Columns& cols)
{
  if (a.list_checks) {
    render::render_check_list(ctx.out());
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

  machine::AuditModel m;
  machine::load_audit_model(ctx.machine(), m);
  const analyze::AuditSources& src = m.src;

  analyze::AuditResult res = analyze::run_audit(
    src, std::set<std::string>(a.checks.begin(), a.checks.end()),
    std::set<std::string>(a.skips.begin(), a.skips.end()));

  if (!a.baseline.empty()) {
    if (const auto n = analyze::drop_known(res, machine::read_baseline(a.baseline)); n > 0) {
      ctx.notice(fmt::format("{}: {} known finding(s) ignored", a.baseline, n));
    }
  }
  if (!a.write_baseline.empty()) {
    write_result_file(a.write_baseline, [&](std::ostream& o) { o << render::baseline_text(res); });
  }
  if (!a.junit.empty()) {
    write_result_file(a.junit,
                      [&](std::ostream& o) { render::render_audit_junit(res, threshold, o); });
  }
  const std::string format = ctx.options().json ? "json" : a.format;
  if (format == "json") {
    render::write_json(ctx.out(), render::audit_to_json(res));
  } else if (format == "prometheus") {
    render::render_audit_prometheus(res, render::prometheus_extra(src), ctx.out());
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
