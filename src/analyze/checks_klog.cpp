// Checks over the kernel log's account of PCI resource placement (pci/kernel_log.hpp): why a
// BAR got no address, what blocked a claim, what the kernel advised. The kernel's own view
// outranks the log where they differ: a BAR that failed once but has an address in sysfs
// now (a later pass placed it) is not reported as failed.
#include <memmap/analyze/audit.hpp>

#include <memmap/analyze/fit.hpp>
#include <memmap/analyze/foreign_claims.hpp>
#include <memmap/error.hpp>
#include <memmap/pci/device.hpp>
#include <memmap/pci/kernel_log.hpp>
#include <memmap/util/size.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <fmt/format.h>

namespace memmap::analyze {

namespace {

using pci::LogEvent;
using pci::LogEventKind;
using pci::LogRange;
using pci::LogResourceId;
using pci::LogResourceKind;

constexpr std::uint64_t k_4g = std::uint64_t{1} << 32;

std::string
size_text(std::uint64_t n)
{
  return util::size_text(n);
}

// "boot.log:301: pci 0000:02:00.0: ..." (a text log, by line) or "/dev/kmsg message 301: ..."
std::string
cite(const AuditSources& s, const LogEvent& ev)
{
  return s.klog_records ? fmt::format("{} message {}: {}", s.klog_display, ev.line, ev.text)
                        : fmt::format("{}:{}: {}", s.klog_display, ev.line, ev.text);
}

bool
is_assign_failure(LogEventKind k)
{
  return k == LogEventKind::cant_assign_no_space || k == LogEventKind::cant_assign_bogus_alignment
         || k == LogEventKind::failed_to_assign || k == LogEventKind::not_assigned_cant_enable
         || k == LogEventKind::failed_to_expand;
}

// The CPU address sysfs gives the resource now; nullopt when it has none (or is not there).
std::optional<std::uint64_t>
address_now(const pci::Device& d, const LogResourceId& id)
{
  if (id.kind == LogResourceKind::bar) {
    for (const auto& b : d.bars) {
      if (b.index == id.index) {
        return b.cpu_address;
      }
    }
  } else if (id.kind == LogResourceKind::rom && d.rom) {
    return d.rom->cpu_address;
  } else if (id.kind == LogResourceKind::vf_bar && d.sriov) {
    for (const auto& b : d.sriov->vf_bars) {
      if (b.index == id.index) {
        return b.cpu_address;
      }
    }
  }
  return std::nullopt;
}

// "64-bit prefetchable mem", "32-bit mem", "io": a logged resource's type.
std::string
type_text(const LogRange& r)
{
  if (r.space == pci::LogSpace::io) {
    return "io";
  }
  return fmt::format("{}{}mem", r.is_64bit ? "64-bit " : "", r.prefetchable ? "prefetchable " : "");
}

// The window kind a logged bridge-window range is: "io", "mem", "prefetchable".
std::string
window_kind(const LogRange& r)
{
  return r.space == pci::LogSpace::io ? "io" : r.prefetchable ? "prefetchable" : "mem";
}

// A bridge window the log says could not be assigned or grown, and sysfs agrees (no
// enabled window of that kind as large as the log asked for).
struct ShortWindow {
  const LogEvent* first = nullptr;         // the first failure
  std::vector<const LogEvent*> events;     // every failure, in log order
  std::uint64_t size = 0;                  // the largest size asked for
  bool is_64bit = false;
};

std::map<std::pair<std::string, std::string>, ShortWindow>
short_windows(const AuditSources& s)
{
  std::map<std::pair<std::string, std::string>, ShortWindow> out;
  for (const auto& ev : s.klog->events) {
    if (ev.bdf.empty() || !is_assign_failure(ev.kind) || !ev.range
        || ev.resource.kind != LogResourceKind::bridge_window) {
      continue;
    }
    auto& w = out[{ev.bdf, window_kind(*ev.range)}];
    if (!w.first) {
      w.first = &ev;
    }
    w.events.push_back(&ev);
    w.size = std::max(w.size, ev.range->size + ev.expand_by.value_or(0));
    w.is_64bit = w.is_64bit || ev.range->is_64bit;
  }
  if (!s.pci) {
    return out;
  }
  // The kernel's rows now: a window enabled and large enough was placed by a later pass.
  for (auto it = out.begin(); it != out.end();) {
    const auto* d = s.pci->find(it->first.first);
    bool placed = false;
    if (d) {
      for (const auto& w : d->windows) {
        const char* kind = w.kind == pci::WindowKind::io ? "io"
                           : w.kind == pci::WindowKind::prefetchable ? "prefetchable"
                                                                       : "mem";
        placed = placed
                 || (kind == it->first.second && w.enabled && w.cpu_start && w.cpu_end
                     && *w.cpu_end - *w.cpu_start + 1 >= it->second.size);
      }
    }
    it = placed ? out.erase(it) : std::next(it);
  }
  return out;
}

Finding
window_finding(const std::string& bdf, const std::string& kind)
{
  Finding f;
  f.id = "bridge-window-short";
  f.severity = Severity::warning;
  f.subject.bdf = bdf;
  f.subject.region = kind + " window";
  return f;
}

void
check_bridge_window_short(const AuditSources& s, std::vector<Finding>& out)
{
  for (const auto& [key, w] : short_windows(s)) {
    const auto& [bdf, kind] = key;
    Finding f = window_finding(bdf, kind);
    f.message = fmt::format("the {} window of bridge {} needs {}{} but the kernel could not "
                            "place it",
                            kind, bdf, size_text(w.size), w.is_64bit ? " (64-bit)" : "");
    for (const auto* ev : w.events) {
      f.evidence.push_back(cite(s, *ev));
    }
    // The devices behind it that failed with it, as the log names them.
    std::set<std::string> behind;
    if (s.pci) {
      for (const auto& ev : s.klog->events) {
        const auto* d = ev.bdf.empty() ? nullptr : s.pci->find(ev.bdf);
        if (d && d->parent_bdf == bdf && is_assign_failure(ev.kind)
            && ev.resource.kind != LogResourceKind::bridge_window
            && behind.insert(ev.bdf + " " + pci::format_resource_id(ev.resource)).second) {
          f.evidence.push_back(cite(s, ev));
        }
      }
    }
    f.hint = "Devices behind this bridge get no address of this kind. The window must grow: "
             "boot with pci=realloc; behind a hotplug port reserve room with "
             "pci=hpmmioprefsize=SIZE (prefetchable) or pci=hpmmiosize=SIZE; if the bridge's "
             "parent has no room either, the host bridge's aperture is what must grow "
             "(firmware: Above 4G decoding, MMIO size).";
    out.push_back(std::move(f));
  }
}

// The fixes for a BAR the kernel could not place, from what the log, the model and the what-if
// say about this case; most specific first.
std::vector<std::string>
assign_fixes(const AuditSources& s, const pci::Device& d, const LogResourceId& id,
             const LogRange& need, const std::optional<FitReport>& fit_report)
{
  std::vector<std::string> fixes;
  for (const auto* ev : s.klog->of_kind(LogEventKind::host_window_ignored)) {
    if (ev->range && ev->range->size >= need.size && need.space != pci::LogSpace::io) {
      fixes.push_back(fmt::format(
        "the firmware offers a host-bridge window {:#x}-{:#x} that would hold it, but the "
        "kernel ignored it as not CPU addressable: give the CPU (a VM: more physical address "
        "bits, QEMU -cpu ...,phys-bits= or host-phys-bits=on) the width to reach it, or have "
        "the firmware place the 64-bit window lower",
        ev->range->start, ev->range->end));
      break;
    }
  }
  bool aperture_above_4g = false;
  bool apertures_known = false;
  for (const auto* ev : s.klog->of_kind(LogEventKind::root_bus_resource)) {
    if (ev->range && ev->range->space == pci::LogSpace::mem) {
      apertures_known = true;
      aperture_above_4g = aperture_above_4g || ev->range->end >= k_4g;
    }
  }
  // The what-if reached the host bridge and found no room there: no kernel option helps, the
  // firmware's apertures must change.
  const bool host_full =
    fit_report && std::any_of(fit_report->chain.begin(), fit_report->chain.end(),
                              [](const FitLevel& lv) { return lv.host && lv.room == false; });
  if (fixes.empty() && need.is_64bit && apertures_known && !aperture_above_4g) {
    fixes.push_back("the host bridge has no memory window above 4 GiB: enable 'Above 4G "
                    "decoding' (and a large MMIO size) in the firmware setup");
  } else if (fixes.empty() && host_full) {
    fixes.push_back("the host bridge's apertures have no free aligned room for it: a larger "
                    "MMIO aperture in the firmware setup, or fewer devices below it");
  }
  if (host_full) {
    return fixes;  // pci=realloc, hp*size= only move things inside the apertures
  }
  const auto& cmdline = s.klog->cmdline;
  if (!cmdline || !cmdline->realloc.value_or(false)) {
    fixes.push_back("boot with pci=realloc so the kernel may move and grow bridge windows");
  }
  if (!d.parent_bdf.empty()) {
    fixes.push_back(fmt::format("behind a hotplug port, reserve room for it with "
                                "pci=hp{}size={} on the kernel command line",
                                need.prefetchable ? "mmiopref" : need.space == pci::LogSpace::io ? "io" : "mmio",
                                size_text(need.size)));
  }
  if (fit_report && fit_report->rebar && !fit_report->rebar_sizes_that_fit.empty()) {
    std::string sizes;
    for (auto z : fit_report->rebar_sizes_that_fit) {
      sizes += (sizes.empty() ? "" : ", ") + size_text(z);
    }
    fixes.push_back("a smaller Resizable BAR size fits today: " + sizes);
  } else if (id.kind == LogResourceKind::bar) {
    for (const auto& rb : d.rebars) {
      for (const auto& e : rb.entries) {
        if (!rb.vf && e.bar == id.index && e.supported_sizes.size() > 1
            && e.supported_sizes.front() < need.size) {
          fixes.push_back(fmt::format("a smaller Resizable BAR size (from {})",
                                      size_text(e.supported_sizes.front())));
        }
      }
    }
  }
  return fixes;
}

void
check_bar_assign_failed(const AuditSources& s, std::vector<Finding>& out)
{
  const auto windows = short_windows(s);
  std::set<std::pair<std::string, std::string>> seen;
  for (const auto& ev : s.klog->events) {
    if (ev.bdf.empty() || !is_assign_failure(ev.kind) || !ev.range
        || ev.resource.kind == LogResourceKind::bridge_window
        || ev.resource.kind == LogResourceKind::cardbus_window || !pci::resource_number(ev.resource)) {
      continue;
    }
    const auto* d = s.pci->find(ev.bdf);
    const std::string rname = pci::format_resource_id(ev.resource);
    if (!d || !seen.insert({ev.bdf, rname}).second) {
      continue;  // a device gone since (not in sysfs now), or this resource done already
    }
    if (const auto now = address_now(*d, ev.resource)) {
      continue;  // the kernel's view now: placed by a later pass
    }
    Finding f;
    f.id = "bar-assign-failed";
    f.severity = Severity::error;
    f.subject.bdf = d->bdf;
    f.subject.bar = pci::resource_number(ev.resource);
    const LogRange& need = *ev.range;
    f.message = fmt::format("{} of {} ({} {}) has no address: the kernel could not assign it",
                            rname, d->bdf, size_text(need.size), type_text(need));
    for (const auto* e : s.klog->for_resource(d->bdf, ev.resource)) {
      f.evidence.push_back(cite(s, *e));
    }
    // Where it had to fit: the what-if for a BAR of this size where the device sits.
    std::optional<FitReport> report;
    if (ev.resource.kind == LogResourceKind::bar && need.size != 0
        && (need.size & (need.size - 1)) == 0) {
      try {
        FitInputs in;
        in.pci = s.pci;
        in.iomem = s.iomem;
        in.ioports = s.ioports;
        report = fit(FitRequest{d->bdf, ev.resource.index, need.size}, in);
      } catch (const std::exception&) {
        report.reset();  // a request the model cannot answer: the log alone is cited
      }
    }
    if (report) {
      for (const auto& lv : report->chain) {
        const std::string where = lv.host ? std::string("host bridge aperture")
                                          : fmt::format("{} {} window", lv.bridge, lv.window);
        if (!lv.why_unknown.empty()) {
          f.evidence.push_back(fmt::format("{}: {}", where, lv.why_unknown));
        } else if (lv.unplaced) {
          f.evidence.push_back(fmt::format("{}: no address (the kernel could not place it)",
                                           where));
        } else if (lv.host && !lv.apertures.empty()) {
          std::string ap;
          for (const auto& [a, b] : lv.apertures) {
            ap += fmt::format("{}{:#x}-{:#x}", ap.empty() ? "" : " ", a, b);
          }
          f.evidence.push_back(fmt::format(
            "{} {}: largest free aligned block {}", where, ap,
            lv.largest_aligned ? size_text(*lv.largest_aligned) : std::string("none")));
        } else if (lv.start && lv.end) {
          f.evidence.push_back(fmt::format(
            "{} {:#x}-{:#x}: largest free aligned block {}", where, *lv.start, *lv.end,
            lv.largest_aligned ? size_text(*lv.largest_aligned) : std::string("none")));
        }
      }
    }
    if (report) {
      for (const auto& n : report->notes) {
        f.evidence.push_back(n);
      }
    }
    // The parent bridge's window failing is the cause; this finding follows from it.
    const std::string wkind = window_kind(need);
    if (windows.count({d->parent_bdf, wkind})) {
      Finding cause = window_finding(d->parent_bdf, wkind);
      f.caused_by = fingerprint(cause);
      f.evidence.push_back(fmt::format("its bridge {}'s {} window could not be placed either "
                                       "(bridge-window-short)",
                                       d->parent_bdf, wkind));
    }
    const auto fixes = assign_fixes(s, *d, ev.resource, need, report);
    f.hint = "Its driver cannot use it. ";
    for (std::size_t i = 0; i < fixes.size(); ++i) {
      f.hint += (i == 0 ? "Fix: " : "; or ") + fixes[i];
    }
    f.hint += '.';
    out.push_back(std::move(f));
  }
}

void
check_claim_conflict(const AuditSources& s, std::vector<Finding>& out)
{
  std::set<std::pair<std::string, std::string>> seen;
  for (const auto* ev : s.klog->of_kind(LogEventKind::cant_claim_conflict)) {
    const std::string rname = pci::format_resource_id(ev->resource);
    if (ev->bdf.empty() || !seen.insert({ev->bdf, rname}).second) {
      continue;
    }
    Finding f;
    f.id = "bar-claim-conflict";
    f.severity = Severity::warning;
    f.subject.bdf = ev->bdf;
    f.subject.bar = pci::resource_number(ev->resource);
    if (ev->resource.kind == LogResourceKind::bridge_window) {
      f.subject.region = (ev->range ? window_kind(*ev->range) : std::string("?")) + " window";
    }
    const std::string with = ev->conflict_name.empty() ? std::string("another resource")
                                                       : "'" + ev->conflict_name + "'";
    f.message = fmt::format("{} of {} could not be claimed: its range is taken by {}", rname,
                            ev->bdf, with);
    f.evidence.push_back(cite(s, *ev));
    if (s.pci) {
      if (const auto* d = s.pci->find(ev->bdf)) {
        const auto now = address_now(*d, ev->resource);
        if (now) {
          f.evidence.push_back(fmt::format("sysfs now: {} at {:#x}", rname, *now));
        }
      }
    }
    if (is_framebuffer_name(ev->conflict_name)) {
      f.hint = "A firmware framebuffer sits in the device's BAR: its driver (or vfio-pci for "
               "passthrough) cannot reserve it. Fix: " + framebuffer_fix(ev->conflict_name) + ".";
    } else {
      f.hint = "The range was claimed by something else first (firmware tables, a platform "
               "device, a quirk): see that region in memmap iomem; pci=realloc lets the kernel "
               "move the BAR instead.";
    }
    out.push_back(std::move(f));
  }
}

void
check_realloc_advised(const AuditSources& s, std::vector<Finding>& out)
{
  const auto advised = s.klog->of_kind(LogEventKind::realloc_advised);
  if (advised.empty()) {
    return;
  }
  const auto autos = s.klog->of_kind(LogEventKind::realloc_auto_enabled);
  Finding f;
  f.id = "realloc-advised";
  f.severity = autos.empty() ? Severity::warning : Severity::info;
  f.subject.region = advised.front()->bus.empty() ? std::string("pci_bus")
                                                  : "pci_bus " + advised.front()->bus;
  f.message = autos.empty()
                ? "the kernel left PCI resources unassigned and advises booting with pci=realloc"
                : "the kernel left PCI resources unassigned and enabled pci=realloc by itself";
  for (const auto* ev : advised) {
    f.evidence.push_back(cite(s, *ev));
  }
  for (const auto* ev : autos) {
    f.evidence.push_back(cite(s, *ev));
  }
  if (s.klog->cmdline) {
    f.evidence.push_back("kernel command line: " + s.klog->cmdline->text);
  }
  f.hint = "Boot with pci=realloc (GRUB: GRUB_CMDLINE_LINUX) so that the kernel may release "
           "and reassign bridge windows; bar-assign-failed names the resources that lack an "
           "address.";
  out.push_back(std::move(f));
}

} // namespace

void
add_klog_checks(std::vector<Check>& out)
{
  out.push_back({"bar-assign-failed", Severity::error, Needs::pci_and_klog,
                 "A BAR, ROM or VF BAR the kernel log says could not be assigned and sysfs "
                 "still shows without an address: where it had to fit and the fix", check_bar_assign_failed});
  out.push_back({"bar-claim-conflict", Severity::warning, Needs::klog,
                 "A resource the kernel could not claim because another one held its range "
                 "(a boot framebuffer in a GPU BAR)", check_claim_conflict});
  out.push_back({"realloc-advised", Severity::warning, Needs::klog,
                 "The kernel advised booting with pci=realloc", check_realloc_advised});
  out.push_back({"bridge-window-short", Severity::warning, Needs::klog,
                 "A bridge window the kernel could not place or grow (the devices behind it "
                 "lack addresses)", check_bridge_window_short});
}

} // namespace memmap::analyze
