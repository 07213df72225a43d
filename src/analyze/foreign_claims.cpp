#include <memmap/analyze/foreign_claims.hpp>

#include <fmt/format.h>
#include <functional>

namespace memmap::analyze {

bool
is_framebuffer_name(const std::string& n)
{
  return n == "BOOTFB" || n == "simpledrm" || n == "efifb" || n == "vesafb" || n == "vga16fb"
         || n == "offb" || n.rfind("simple-framebuffer", 0) == 0
         || n.rfind("efi-framebuffer", 0) == 0 || n.rfind("vesa-framebuffer", 0) == 0;
}

std::string
framebuffer_fix(const std::string& n)
{
  if (n == "efifb" || n.rfind("efi-framebuffer", 0) == 0) {
    return "boot with video=efifb:off (or initcall_blacklist=sysfb_init on kernels 5.15 and "
           "later), or unbind the framebuffer before binding vfio-pci";
  }
  if (n == "vesafb" || n.rfind("vesa-framebuffer", 0) == 0) {
    return "boot with video=vesafb:off (or initcall_blacklist=sysfb_init on kernels 5.15 and "
           "later), or unbind the framebuffer before binding vfio-pci";
  }
  if (n == "vga16fb") {
    return "boot with video=vga16fb:off, or unload vga16fb before binding vfio-pci";
  }
  return "boot with initcall_blacklist=sysfb_init (no firmware framebuffer is registered; the "
         "console needs another GPU or a serial line), or video=simplefb:off where simplefb "
         "is built in, or unbind the framebuffer before binding vfio-pci";
}

namespace {

std::optional<int>
bar_of(const pci::Device& d, const model::Region& r)
{
  for (const auto& b : d.bars) {
    if (b.cpu_address && *b.cpu_address == r.start && b.size && r.end == r.start + *b.size - 1) {
      return b.index;
    }
  }
  if (d.rom && d.rom->cpu_address && *d.rom->cpu_address == r.start && d.rom->size
      && r.end == r.start + *d.rom->size - 1) {
    return 6;
  }
  return std::nullopt;
}

void
collect_claims(const model::AddressSpace& sp, const model::Region& line,
               const pci::PciModel* pci, std::vector<ForeignClaim>& out)
{
  const std::string& bdf = line.owner.bdf;
  const pci::Device* d = pci ? pci->find(bdf) : nullptr;
  const std::optional<std::string> drv = d ? known_driver(*pci, *d) : std::nullopt;
  const std::optional<int> bar = d ? bar_of(*d, line) : std::nullopt;
  auto add = [&](const model::Region& c, bool fb) {
    auto evidence = fmt::format("{}:{}: {:x}-{:x} : {}", sp.source, c.line, c.start, c.end, c.name);
    ForeignClaim f{bdf, bar, line.start, line.end, c.start, c.end, c.name, fb, evidence, {}, {}};
    if (fb) {
      f.holder = fmt::format("the firmware framebuffer '{}'", c.name);
      f.fix = framebuffer_fix(c.name);
    } else {
      f.holder = drv && drv->empty()
                   ? fmt::format("'{}', while no driver is bound to {}", c.name, bdf)
                   : fmt::format("'{}', which is not vfio-pci's", c.name);
      f.fix = fmt::format("find what holds '{}' (the name is its owner's) and unbind or unload "
                          "it before binding vfio-pci",
                          c.name);
    }
    out.push_back(std::move(f));
  };
  // Framebuffers at any depth (simpledrm claims inside the BOOTFB sysfb registered), in file
  // order; other claims directly under the device line.
  std::function<void(const model::Region&)> framebuffers_in = [&](const model::Region& r) {
    for (const auto& c : r.children) {
      if (is_framebuffer_name(c.name)) {
        add(c, true);
      }
      framebuffers_in(c);
    }
  };
  for (const auto& c : line.children) {
    if (is_framebuffer_name(c.name)) {
      add(c, true);
    } else if (drv && (drv->empty() || *drv == "vfio-pci") && c.name != "vfio"
               && c.name != "vfio-pci" && c.kind != model::RegionKind::pci_device) {
      add(c, false);
    }
    framebuffers_in(c);
  }
}

} // namespace

std::optional<std::string>
known_driver(const pci::PciModel& model, const pci::Device& d)
{
  if (model.origin == pci::Origin::sysfs || !d.driver.empty()) {
    return d.driver;
  }
  return std::nullopt;
}

std::vector<ForeignClaim>
find_foreign_claims(const model::AddressSpace& iomem, const pci::PciModel* pci,
                    const std::set<std::string>* only)
{
  std::vector<ForeignClaim> out;
  if (iomem.addresses_hidden) {
    return out;
  }
  iomem.walk([&](const model::Region& r, const std::vector<const model::Region*>&) {
    if (r.kind != model::RegionKind::pci_device || r.owner.bdf.empty()
        || (only && !only->count(r.owner.bdf))) {
      return;
    }
    collect_claims(iomem, r, pci, out);
  });
  return out;
}

} // namespace memmap::analyze
