#include <memmap/render/audit_extra.hpp>

#include <memmap/iommu/groups.hpp>
#include <memmap/pci/device.hpp>

#include <fmt/format.h>
#include <ostream>

namespace memmap::render {

void
render_check_list(std::ostream& out)
{
  for (const auto& c : analyze::check_registry()) {
    out << fmt::format("{:<24} {:<8} needs {}\n    {}\n", c.id, model::to_string(c.severity),
                       analyze::to_text(c.needs), c.description);
  }
}

std::string
baseline_text(const analyze::AuditResult& res)
{
  std::string text = "# memmap audit baseline: one fingerprint per line (id, subject after it)\n";
  for (const auto& f : res.findings) {
    text += fmt::format("{}  {}  {}\n", f.fingerprint, f.id,
                        f.subject.bdf.value_or(f.subject.region));
  }
  return text;
}

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

} // namespace memmap::render
