// Checks on who claims a device's BARs in /proc/iomem.
#include <memmap/analyze/audit.hpp>

#include <memmap/analyze/foreign_claims.hpp>

#include <fmt/format.h>
#include <algorithm>
#include <map>
#include <tuple>

namespace memmap::analyze {

namespace {

// One finding per BAR (or device line) holding a region that is not its driver's: a firmware
// framebuffer (BOOTFB, simpledrm, efifb, vesafb) left over from boot, or anything under a
// function with no driver or on vfio-pci. vfio-pci cannot reserve such a BAR
// ("vfio-pci 0000:01:00.0: BAR 1: can't reserve [mem ...]") and the guest gets no mapping.
void
check_foreign_claim(const AuditSources& s, std::vector<Finding>& out)
{
  const auto claims = find_foreign_claims(*s.iomem, s.pci);
  std::map<std::tuple<std::string, int, std::uint64_t>, std::vector<const ForeignClaim*>>
    by_bar;
  for (const auto& c : claims) {
    // Keyed by the BAR; a device line the PCI model does not place is keyed by its start.
    by_bar[{c.bdf, c.bar.value_or(-1), c.bar ? 0 : c.bar_start}].push_back(&c);
  }
  for (const auto& [key, list] : by_bar) {
    const auto& first = *list.front();
    Finding f;
    f.id = "bar-foreign-claim";
    f.severity = Severity::warning;
    f.subject.bdf = first.bdf;
    f.subject.bar = first.bar;
    if (!first.bar) {
      f.subject.start = first.bar_start;  // the device line, so that two stay apart
      f.subject.end = first.bar_end;
    }
    std::string names;
    std::vector<std::string> holders;
    std::vector<std::string> fixes;
    auto add_once = [](std::vector<std::string>& v, const std::string& x) {
      if (std::find(v.begin(), v.end(), x) == v.end()) {
        v.push_back(x);
      }
    };
    for (const auto* c : list) {
      names += (names.empty() ? "'" : ", '") + c->name + "'";
      f.evidence.push_back(c->evidence);
      add_once(holders, "held by " + c->holder);
      add_once(fixes, c->fix);
    }
    f.evidence.insert(f.evidence.end(), holders.begin(), holders.end());
    // The BAR is named when the PCI model places the device line; otherwise its index is
    // not known ('?'), and the region is named by its addresses.
    const std::string where = first.bar ? (*first.bar == 6 ? std::string("the ROM")
                                                           : fmt::format("BAR {}", *first.bar))
                                        : fmt::format("the region {:#x}-{:#x}", first.bar_start,
                                                      first.bar_end);
    // The kernel's words only where they are known: vfio-pci requests BARs 0-5 by index.
    const std::string refusal = first.bar && *first.bar < 6
                                  ? fmt::format(" (\"vfio-pci {}: BAR {}: can't reserve\")",
                                                first.bdf, *first.bar)
                                  : std::string();
    f.message = fmt::format("{} inside {} {} not its driver's: vfio-pci cannot reserve it{}",
                            names, where, list.size() == 1 ? "is" : "are", refusal);
    std::string hint;
    for (const auto& x : fixes) {
      hint += (hint.empty() ? "" : "; ") + x;
    }
    f.hint = "Free it before passing the device through: " + hint + ".";
    out.push_back(std::move(f));
  }
}

} // namespace

void
add_claim_checks(std::vector<Check>& out)
{
  out.push_back({"bar-foreign-claim", Severity::warning, Needs::iomem,
                 "A region inside a PCI device's BAR in /proc/iomem that is not its driver's "
                 "(a firmware framebuffer such as BOOTFB, simpledrm, efifb or vesafb, or any "
                 "claim under a function with no driver or on vfio-pci): vfio-pci cannot "
                 "reserve the BAR",
                 check_foreign_claim});
}

} // namespace memmap::analyze
