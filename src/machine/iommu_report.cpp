#include <memmap/machine/iommu_report.hpp>

#include <memmap/error.hpp>
#include <memmap/machine/machine.hpp>
#include <memmap/pci/selector.hpp>

#include <fmt/format.h>

namespace memmap::machine {

namespace {

void
load_iomem(Machine& m, IommuSources& s)
{
  s.in.iomem = load_or_why(s.in.iomem_why, [&]() -> auto& { return m.iomem(); });
}

} // namespace

void
load_iommu_sources(Machine& m, IommuSources& s, bool addresses)
{
  const auto& root = m.sysfs();  // throws when the plan has no sysfs (another machine's files)
  s.state = iommu::read_iommu_state(root);
  for (const auto& p : s.state.problems) {
    m.notice(p.located());
  }
  s.in.iommu = &s.state;
  s.in.live = root.is_live();
  m.set_pci_addresses(addresses);
  s.in.pci = load_or_why(s.in.pci_why, [&]() -> auto& { return m.pci(); });
  if (!s.in.pci) {
    m.notice(s.in.pci_why + ": devices are listed without names or topology");
    return;
  }
  for (const auto& p : s.in.pci->problems) {
    if (p.id == "pci-function-vanished") {
      m.notice(p.located());  // a hot-removed function: its group membership is unknown
    }
  }
  if (s.in.pci->config_truncated) {
    m.notice("config space beyond 64 bytes needs root: ACS and PCIe port types are not "
             "visible, so group causes may read 'unknown'");
  }
}

bool
malformed(const iommu::IommuState& st)
{
  for (const auto& p : st.problems) {
    if (p.severity == model::Severity::error) {
      return true;
    }
  }
  return false;
}

std::string
select_function(const std::vector<std::string>& known, const std::string& sel)
{
  if (known.empty()) {
    // Nothing lists the functions (a capture without sys/): only a full address is usable.
    if (auto bdf = model::parse_bdf(sel)) {
      return *bdf;
    }
    pci::Selector check;
    pci::parse_slot_selector(sel, check, "--device");  // a bad selector says what is wrong
    throw UsageError(fmt::format("--device {}: this source lists no PCI functions to match it "
                                 "against; give the full address (DDDD:BB:DD.F)",
                                 sel));
  }
  return pci::select_one(sel, known, "--device");
}

int
preflight_exit(const PreflightReport& r, const std::string& bdf, bool bad_files,
               std::string& notice)
{
  switch (r.verdict) {
  case Verdict::passable: return bad_files ? k_exit_bad_input : k_exit_ok;
  case Verdict::blocked:
  case Verdict::bridge:
  case Verdict::no_group: return k_exit_findings;
  case Verdict::as_far_as_checked:
  case Verdict::not_captured: break;
  }
  if (bad_files) {
    return k_exit_bad_input;
  }
  const auto missing = r.not_run();
  notice = r.verdict == Verdict::not_captured
             ? fmt::format("iommu-groups --device {}: the IOMMU groups are not in this source "
                           "(exit 3)",
                           bdf)
             : fmt::format("iommu-groups --device {}: {} check{} did not run ({}): passable "
                           "only as far as checked (exit 3)",
                           bdf, missing.size(), missing.size() == 1 ? "" : "s",
                           fmt::join(missing, ", "));
  return k_exit_unreadable;
}

PreflightRun
run_preflight(Machine& m, IommuSources& s, const std::string& sel)
{
  load_iommu_sources(m, s, true);
  std::vector<std::string> known;
  if (s.in.pci) {
    for (const auto& d : s.in.pci->devices) {
      known.push_back(d.bdf);
    }
  }
  for (const auto& [bdf, id] : s.state.group_of) {
    known.push_back(bdf);
  }
  for (const auto& name : m.sysfs().list("sys/bus/pci/devices")) {
    known.push_back(name);
  }
  PreflightRun run;
  run.bdf = select_function(known, sel);
  load_iomem(m, s);
  std::vector<std::string> members;
  if (auto it = s.state.group_of.find(run.bdf); it != s.state.group_of.end()) {
    members = s.state.find(it->second)->devices;
  }
  s.host = source::read_host_facts(m.sysfs(), members);
  s.in.host = &s.host;
  run.report = preflight(run.bdf, s.in);
  if (s.in.iomem) {
    run.iommu_units = iommu_units_in_iomem(*s.in.iomem);
  }
  run.exit_code = preflight_exit(run.report, run.bdf, malformed(s.state), run.notice);
  return run;
}

ListingRun
run_listing(Machine& m, IommuSources& s)
{
  load_iommu_sources(m, s, false);
  if (!s.state.present()) {
    load_iomem(m, s);  // IOMMU register regions hint at a machine whose groups were not taken
  }
  std::vector<std::string> all;
  for (const auto& g : s.state.groups) {
    all.insert(all.end(), g.devices.begin(), g.devices.end());
  }
  s.host = source::read_host_facts(m.sysfs(), all);
  s.in.host = &s.host;
  ListingRun run;
  run.listing = list_groups(s.in);
  if (malformed(s.state)) {
    run.exit_code = k_exit_bad_input;
  } else if (run.listing.not_captured) {
    run.notice = fmt::format("iommu-groups: {} is not in this source; exit 3",
                             m.sysfs().display("sys/kernel/iommu_groups"));
    run.exit_code = k_exit_unreadable;
  }
  return run;
}

} // namespace memmap::machine
