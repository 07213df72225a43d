#include <memmap/machine/audit.hpp>

#include <memmap/error.hpp>
#include <memmap/machine/machine.hpp>
#include <memmap/pci/loader.hpp>
#include <memmap/source/sysroot.hpp>

namespace memmap::machine {

void
load_audit_model(Machine& m, AuditModel& out)
{
  auto& st = out.src.status;
  auto not_read = [&](const char* name, const std::string& why, const char* skipped) {
    m.notice(why + " (" + skipped + ")");
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
  out.src.iomem = tree("iomem", [&]() -> const model::AddressSpace& { return m.iomem(); });
  out.src.ioports = tree("ioports", [&]() -> const model::AddressSpace& { return m.ioports(); });
  std::string pci_why;
  if (auto* pcim = load_or_why(pci_why, [&]() -> auto& { return m.pci(); })) {
    pci::cross_reference(*pcim, out.src.iomem, out.src.ioports);
    out.src.pci = pcim;
    st.push_back({"pci", true, pcim->source});
  } else {
    not_read("pci", pci_why, "PCI checks are skipped");
  }
  std::string klog_why;
  if (const auto* klog = load_or_why(klog_why, [&]() -> auto& { return m.kernel_log(); })) {
    out.src.klog = klog;
    out.src.klog_display = m.kernel_log_display();
    out.src.klog_records = m.kernel_log_is_records();
    st.push_back({"klog", true, m.kernel_log_display()});
  } else {
    not_read("klog", klog_why, "kernel-log checks are skipped");
  }
  const source::SysRoot* root = nullptr;
  try {
    root = &m.sysfs();
  } catch (const SourceError& e) {
    not_read("iommu", e.what(), "IOMMU checks are skipped");
    return;
  }
  out.iommu = iommu::read_iommu_state(*root);
  if (!out.iommu->groups_dir_present && out.iommu->units.empty()) {
    // Not "absent": this source never held the IOMMU files (live sysfs always has the dir).
    not_read("iommu", root->display("sys/kernel/iommu_groups") + ": not in this source",
             "IOMMU checks are skipped");
    return;
  }
  out.src.iommu = &*out.iommu;
  st.push_back({"iommu", true, root->display("sys/kernel/iommu_groups")});
}

std::set<std::string>
read_baseline(const std::string& path)
{
  auto r = source::read_file(path, path);
  if (!r) {
    throw SourceError(r.message);
  }
  return analyze::parse_baseline(r.data, path);
}

} // namespace memmap::machine
