// memmap iommu-groups: the IOMMU groups, why devices share one, and passthrough pre-flight.
#include "command.hpp"

#include <memmap/error.hpp>
#include <memmap/render/json.hpp>
#include <memmap/iommu/groups.hpp>
#include <memmap/iommu/isolation.hpp>
#include <memmap/iommu/pci_topology.hpp>
#include <memmap/model/address_space.hpp>
#include <memmap/render/format.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace memmap::cli {

namespace {

using json = nlohmann::ordered_json;

struct IommuArgs {
  std::string device;  // --device SEL
};

struct MemberInfo {
  std::string bdf;
  std::optional<std::uint16_t> vendor_id;
  std::optional<std::uint16_t> device_id;
  std::optional<std::uint32_t> class_code;
  bool known = false;
  bool bridge = false;
  std::string name;
  std::string class_name;
  std::string driver;
  std::vector<std::string> reset_methods;
};

struct Report {
  iommu::IommuState state;
  iommu::Topology topo;
  std::set<std::string> acs_off;
  std::map<std::string, MemberInfo> info;
  std::map<std::string, std::vector<iommu::UsbDevice>> usb;
  std::map<std::string, std::string> host_needed;
};

Report
gather(Context& ctx)
{
  Report r;
  r.state = iommu::read_iommu_state(ctx.sysfs());
  r.acs_off.insert(r.state.acs_redir_off.begin(), r.state.acs_redir_off.end());
  const pci::PciModel* model = nullptr;
  try {
    ctx.set_pci_addresses(false);  // names, drivers and topology are all the groups need
    model = &ctx.pci();
  } catch (const SourceError& e) {
    ctx.notice(std::string(e.what()) + ": devices are listed without names or topology");
  }
  if (model) {
    for (const auto& p : model->problems) {
      if (p.id == "pci-function-vanished") {
        ctx.notice(p.located());  // a hot-removed function: its group membership is unknown
      }
    }
    r.topo = iommu::topology_from_pci(*model);
    for (const auto& d : model->devices) {
      MemberInfo m;
      m.bdf = d.bdf;
      m.known = true;
      m.vendor_id = d.vendor_id;
      m.device_id = d.device_id;
      m.class_code = d.class_code;
      m.bridge = d.is_bridge();
      m.name = d.name;
      m.class_name = d.class_name;
      m.driver = d.driver;
      r.info[d.bdf] = m;
    }
    if (model->config_truncated) {
      ctx.notice("config space beyond 64 bytes needs root: ACS and PCIe port types are not "
                 "visible, so group causes may read 'unknown'");
    }
  }
  for (const auto& g : r.state.groups) {
    for (const auto& bdf : g.devices) {
      auto& m = r.info[bdf];
      m.bdf = bdf;
      m.reset_methods = iommu::read_reset_methods(ctx.sysfs(), bdf);
    }
  }
  r.usb = iommu::read_usb_devices(ctx.sysfs());
  r.host_needed = iommu::read_host_needed(ctx.sysfs());
  for (const auto& p : r.state.problems) {
    ctx.notice(p.located());
  }
  return r;
}

json
group_json(const Report& r, const iommu::Group& g, const iommu::Cause& cause)
{
  json j;
  j["id"] = g.id;
  j["type"] = g.type;
  json devs = json::array();
  for (const auto& bdf : g.devices) {
    const auto& m = r.info.at(bdf);
    json d;
    d["bdf"] = bdf;
    d["vendor_id"] = render::hex_or_null(m.vendor_id, 4);
    d["device_id"] = render::hex_or_null(m.device_id, 4);
    d["class"] = render::hex_or_null(m.class_code, 6);
    if (m.known) {
      d["name"] = m.name;
    }
    d["driver"] = m.driver.empty() ? json(nullptr) : json(m.driver);
    d["reset_methods"] = m.reset_methods;
    d["bridge"] = m.bridge;
    if (auto it = r.host_needed.find(bdf); it != r.host_needed.end()) {
      d["host_needs"] = it->second;
    }
    if (auto it = r.usb.find(bdf); it != r.usb.end()) {
      json usb = json::array();
      for (const auto& u : it->second) {
        usb.push_back({{"name", u.name}, {"ids", u.ids}, {"description", u.description}});
      }
      d["usb_devices"] = usb;
    }
    devs.push_back(d);
  }
  j["devices"] = devs;
  json resv = json::array();
  for (const auto& rr : g.reserved) {
    resv.push_back({{"start", render::hex0x(rr.start)}, {"end", render::hex0x(rr.end)},
                    {"type", rr.type}});
  }
  j["reserved_regions"] = resv;
  j["isolated"] = cause.isolated;
  j["cause"] = {{"kind", cause.kind},
                {"device", cause.device ? json(*cause.device) : json(nullptr)}};
  j["reason"] = cause.reason;
  return j;
}

void
print_member(Context& ctx, const Report& r, const std::string& bdf, const std::string& indent,
             bool show_host_needs = true)
{
  const auto& st = ctx.style();
  const auto& m = r.info.at(bdf);
  std::string line = indent + st.paint(bdf, render::Color::cyan);
  if (m.known) {
    line += fmt::format("  [{}:{}] {}: {}", render::hex_or_unknown(m.vendor_id, 4),
                        render::hex_or_unknown(m.device_id, 4), m.class_name, m.name);
  }
  line += m.driver.empty() ? "  (no driver)" : fmt::format("  [{}]", m.driver);
  line += m.reset_methods.empty() ? "  reset: none"
                                  : "  reset: " + fmt::format("{}", fmt::join(m.reset_methods, ","));
  ctx.out() << line << '\n';
  if (auto it = r.host_needed.find(bdf); show_host_needs && it != r.host_needed.end()) {
    ctx.out() << indent << "    " << st.paint("host needs it: " + it->second, render::Color::yellow)
              << '\n';
  }
  if (auto it = r.usb.find(bdf); it != r.usb.end()) {
    for (const auto& u : it->second) {
      ctx.out() << indent << "    usb " << u.name << "  " << u.ids << "  " << u.description << '\n';
    }
  }
}

void
print_no_iommu(Context& ctx, const Report& r)
{
  auto& out = ctx.out();
  out << ctx.style().paint("No IOMMU is active", render::Color::yellow) << ": "
      << ctx.sysfs().display("sys/kernel/iommu_groups")
      << (r.state.groups_dir_present ? " is empty" : " does not exist") << " and "
      << ctx.sysfs().display("sys/class/iommu") << " lists no unit.\n"
      << "Devices do DMA straight to physical addresses with no isolation between them, and "
         "none can be\npassed through with VFIO.\n\nWhat to check:\n"
      << "  - firmware setup: enable Intel VT-d or AMD-Vi (often \"IOMMU\" or \"SVM\" + "
         "\"IOMMU\")\n";
  if (!r.state.cmdline_read) {
    out << "  - kernel command line: " << ctx.sysfs().display("proc/cmdline")
        << " could not be read\n";
  } else if (r.state.cmdline.empty()) {
    out << "  - kernel command line: no IOMMU option; Intel needs intel_iommu=on on kernels "
           "that default it off\n";
  } else {
    out << "  - kernel command line has: " << fmt::format("{}", fmt::join(r.state.cmdline, " "))
        << '\n';
    for (const auto& t : r.state.cmdline) {
      if (t.find("=off") != std::string::npos || t == "iommu=off") {
        out << "    " << t << " turns the IOMMU off\n";
      }
    }
  }
  out << "  - the kernel log: dmesg | grep -i -e DMAR -e IOMMU -e AMD-Vi\n"
      << "  - a virtual machine needs an emulated IOMMU (QEMU: -device intel-iommu)\n";
}

// The top-level keys every iommu-groups JSON document has, the listing and the pre-flight
// alike: schema_version, iommu, groups, problems.
json
iommu_document(const Report& r)
{
  json j = render::json_document();
  j["iommu"] = {{"present", r.state.present()},
                {"units", r.state.units},
                {"cmdline", r.state.cmdline}};
  j["groups"] = json::array();
  json problems = json::array();
  for (const auto& p : r.state.problems) {
    problems.push_back({{"id", p.id}, {"message", p.located()}});
  }
  j["problems"] = problems;
  return j;
}

// A pre-flight that stops before a group: the device has none (or there is no IOMMU).
int
preflight_no_group(Context& ctx, const Report& r, const std::string& bdf, const std::string& why)
{
  if (ctx.options().json) {
    json j = iommu_document(r);
    j["device"] = bdf;
    j["group"] = nullptr;
    j["passable"] = false;
    j["reason"] = why;
    render::write_json(ctx.out(), j);
  } else if (!r.state.present()) {
    print_no_iommu(ctx, r);
  } else {
    ctx.out() << bdf << " " << why << ".\n";
  }
  return k_exit_findings;
}

int
run_preflight(Context& ctx, const Report& r, const std::string& sel)
{
  const auto bdf = model::parse_bdf(sel);
  if (!bdf) {
    throw UsageError(fmt::format("--device {}: not a PCI address (use [DDDD:]BB:DD.F, e.g. "
                                 "04:00.0)",
                                 sel));
  }
  auto it = r.state.group_of.find(*bdf);
  if (it == r.state.group_of.end()) {
    if (!r.state.present()) {
      return preflight_no_group(ctx, r, *bdf,
                                "cannot be passed through: no IOMMU is active (no group exists)");
    }
    const bool exists = r.info.count(*bdf) || ctx.sysfs().exists("sys/bus/pci/devices/" + *bdf);
    if (!exists) {
      throw UsageError(fmt::format("--device {}: no such PCI device", sel));
    }
    return preflight_no_group(ctx, r, *bdf,
                              "is in no IOMMU group: it is not behind an IOMMU and cannot be "
                              "passed through");
  }
  const auto& g = *r.state.find(it->second);
  const auto cause = iommu::explain_group(g.devices, r.topo, r.acs_off);
  auto& out = ctx.out();
  const auto& st = ctx.style();
  if (ctx.options().json) {
    json j = iommu_document(r);
    j["groups"].push_back(group_json(r, g, cause));
    j["group"] = g.id;
    json blockers = json::array();
    for (const auto& b : g.devices) {
      if (auto h = r.host_needed.find(b); h != r.host_needed.end()) {
        blockers.push_back({{"bdf", b}, {"why", h->second}});
      }
    }
    j["device"] = *bdf;
    j["blockers"] = blockers;
    std::set<std::string> ids;
    for (const auto& b : g.devices) {
      const auto& m = r.info.at(b);
      if (m.known && !m.bridge && m.vendor_id && m.device_id) {
        ids.insert(fmt::format("{:04x}:{:04x}", *m.vendor_id, *m.device_id));
      }
    }
    j["vfio_pci_ids"] = fmt::format("vfio-pci.ids={}", fmt::join(ids, ","));
    j["passable"] = blockers.empty();
    render::write_json(out, j);
    return blockers.empty() ? k_exit_ok : k_exit_findings;
  }
  out << st.paint(fmt::format("Passthrough pre-flight for {}", *bdf), render::Color::bold)
      << ": IOMMU group " << g.id << " (" << g.type << ")\n\n";
  out << (g.devices.size() == 1 ? "It goes alone.\n"
                                : fmt::format("These {} devices go together:\n", g.devices.size()));
  int blockers = 0;
  std::set<std::string> ids;
  std::vector<std::string> unbound;
  for (const auto& b : g.devices) {
    print_member(ctx, r, b, "  ", false);
    const auto& m = r.info.at(b);
    if (m.bridge) {
      out << "    note: a bridge: it stays with the host on its port driver (VFIO accepts "
             "bridges in a group without vfio-pci); do not pass it to a guest\n";
    } else {
      if (m.known && m.vendor_id && m.device_id) {
        ids.insert(fmt::format("{:04x}:{:04x}", *m.vendor_id, *m.device_id));
      }
      if (m.driver != "vfio-pci") {
        unbound.push_back(b + (m.driver.empty() ? " (no driver)" : " (bound to " + m.driver + ")"));
      }
      if (m.reset_methods.empty()) {
        out << "    note: no reset method: the device keeps its state between guests\n";
      }
    }
    if (auto h = r.host_needed.find(b); h != r.host_needed.end()) {
      ++blockers;
      out << "    " << st.paint("blocker: " + h->second + "; passing it through takes it from "
                                "the host",
                                render::Color::red)
          << '\n';
    }
  }
  out << "\nWhy: " << cause.reason << '\n';
  if (!unbound.empty()) {
    out << "\nNot yet on vfio-pci: " << fmt::format("{}", fmt::join(unbound, ", ")) << '\n';
  }
  if (!ids.empty()) {
    out << "\nKernel command line for this group: vfio-pci.ids="
        << fmt::format("{}", fmt::join(ids, ",")) << '\n';
  }
  out << '\n'
      << (blockers == 0 ? st.paint("Verdict: the group can be passed through.", render::Color::green)
                        : st.paint(fmt::format("Verdict: {} blocker{} above.", blockers,
                                               blockers == 1 ? "" : "s"),
                                   render::Color::red))
      << '\n';
  return blockers == 0 ? k_exit_ok : k_exit_findings;
}

// Malformed IOMMU files make the run exit 2 once everything readable has been shown.
int
input_status(const Report& r)
{
  for (const auto& p : r.state.problems) {
    if (p.severity == model::Severity::error) {
      return k_exit_bad_input;
    }
  }
  return k_exit_ok;
}

int
run_iommu_groups(Context& ctx, const IommuArgs& args)
{
  const Report r = gather(ctx);
  if (!args.device.empty()) {
    return run_preflight(ctx, r, args.device);
  }
  if (ctx.options().json) {
    json j = iommu_document(r);
    for (const auto& g : r.state.groups) {
      j["groups"].push_back(group_json(r, g, iommu::explain_group(g.devices, r.topo, r.acs_off)));
    }
    render::write_json(ctx.out(), j);
    return input_status(r);
  }
  if (!r.state.present()) {
    print_no_iommu(ctx, r);
    return k_exit_ok;
  }
  auto& out = ctx.out();
  const auto& st = ctx.style();
  out << "IOMMU units: "
      << (r.state.units.empty() ? std::string("(none listed)")
                                : fmt::format("{}", fmt::join(r.state.units, " ")))
      << "; kernel options: "
      << (r.state.cmdline.empty() ? std::string("(none)")
                                  : fmt::format("{}", fmt::join(r.state.cmdline, " ")))
      << '\n';
  int shared = 0;
  for (const auto& g : r.state.groups) {
    const auto cause = iommu::explain_group(g.devices, r.topo, r.acs_off);
    shared += cause.isolated ? 0 : 1;
    out << '\n'
        << st.paint(fmt::format("Group {}", g.id), render::Color::bold) << "  " << g.type << "  "
        << (cause.isolated ? st.paint("isolated", render::Color::green)
                           : st.paint("shared", render::Color::yellow))
        << " (" << (g.devices.empty() ? std::string("empty") : cause.kind)
        << (cause.device ? " " + *cause.device : "") << ")\n";
    for (const auto& bdf : g.devices) {
      print_member(ctx, r, bdf, "  ");
    }
    for (const auto& rr : g.reserved) {
      out << "  reserved " << render::hex(rr.start, 8) << "-" << render::hex(rr.end, 8) << " "
          << rr.type << '\n';
    }
    if (g.devices.size() > 1) {
      out << "  why: " << cause.reason << '\n';
    }
  }
  std::size_t ungrouped = 0;
  for (const auto& [bdf, m] : r.info) {
    if (m.known && !r.state.group_of.count(bdf)) {
      ++ungrouped;
    }
  }
  out << '\n'
      << r.state.groups.size() << " groups, " << shared << " shared by devices of more than "
      << "one slot";
  if (ungrouped) {
    out << "; " << ungrouped << " PCI function" << (ungrouped == 1 ? "" : "s")
        << " in no group (not behind an IOMMU)";
  }
  out << '\n';
  return input_status(r);
}

} // namespace

void
add_iommu_commands(CLI::App& app, CommandList& cmds)
{
  auto args = std::make_shared<IommuArgs>();
  CLI::App* sub = app.add_subcommand(
    "iommu-groups", "IOMMU groups: their devices, reserved regions and why devices share one");
  sub->add_option("--device", args->device,
                  "Passthrough pre-flight for one device: what goes with it, drivers, resets, "
                  "blockers, and the vfio-pci.ids= list (exit 1 when something blocks it)")
    ->type_name("BDF");
  sub->footer("Reads /sys/kernel/iommu_groups, /sys/class/iommu, /proc/cmdline and the PCI\n"
              "topology (ACS of every port on the way up), as the kernel groups devices.\n"
              "Examples: memmap iommu-groups    memmap iommu-groups --device 04:00.0\n"
              "          memmap --root SNAPSHOT iommu-groups --json");
  cmds.push_back({sub, [args](Context& ctx) { return run_iommu_groups(ctx, *args); }});
}

} // namespace memmap::cli
