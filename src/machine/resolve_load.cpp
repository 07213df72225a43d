#include <memmap/machine/machine.hpp>
#include <memmap/machine/resolve.hpp>

#include <memmap/error.hpp>
#include <memmap/source/memory_blocks.hpp>

#include <fmt/format.h>

namespace memmap::machine {

void
load_resolve_sources(Machine& m, Space space, int group, ResolveSources& out)
{
  auto& in = out.in;
  if (space == Space::iova) {
    out.iommu = iommu::read_iommu_state(m.sysfs());
    in.group = out.iommu->find(group);
    if (!in.group) {
      throw UsageError(fmt::format("resolve --group {}: no such IOMMU group", group));
    }
    return;
  }
  if (space != Space::io_port) {
    in.iomem = load_or_why(in.iomem_why, [&]() -> auto& { return m.iomem(); });
  } else {
    in.ioports = load_or_why(in.ioports_why, [&]() -> auto& { return m.ioports(); });
  }
  in.pci = load_or_why(in.pci_why, [&]() -> auto& { return m.pci(); });
  if (m.plan().available(Part::sysfs)) {
    const source::SysRoot* root = &m.sysfs();
    in.numa_node = [root](std::uint64_t x) { return source::numa_node_of(*root, x); };
  } else {
    in.numa_why = "sysfs not read: the files given describe another machine";
  }
}

std::string
inconclusive_why(const ResolveReport& r)
{
  return r.space == Space::pci_bus ? r.pci_why : r.tree ? r.tree->why_not : std::string();
}

} // namespace memmap::machine
