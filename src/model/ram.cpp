#include <memmap/model/ram.hpp>

#include <algorithm>

namespace memmap::model {

std::vector<const Region*>
ram_regions(const AddressSpace& space)
{
  std::vector<const Region*> ram;
  space.walk([&](const Region& r, const auto&) {
    if (r.kind == RegionKind::system_ram) {
      ram.push_back(&r);
    }
  });
  std::stable_sort(ram.begin(), ram.end(),
                   [](const Region* a, const Region* b) { return a->start < b->start; });
  return ram;
}

std::optional<std::uint64_t>
highest_ram(const AddressSpace& space)
{
  std::optional<std::uint64_t> top;
  for (const Region* r : ram_regions(space)) {
    top = std::max(top.value_or(r->end), r->end);
  }
  return top;
}

} // namespace memmap::model
