// memmap resolve ADDR: every region that contains an address, in every space.
#include "command.hpp"

#include <memmap/error.hpp>
#include <memmap/render/json.hpp>
#include <memmap/iommu/groups.hpp>
#include <memmap/pci/device.hpp>
#include <memmap/render/format.hpp>
#include <memmap/util/hex.hpp>

#include <charconv>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace memmap::cli {

namespace {

using json = nlohmann::ordered_json;

struct ResolveArgs {
  std::string address;
  bool bus = false;
  bool iova = false;
  int group = -1;
};

std::uint64_t
parse_address(const std::string& text)
{
  const auto v = util::parse_hex_u64(text);
  if (!v) {
    throw UsageError(fmt::format("resolve {}: not a hexadecimal address (e.g. 0xfb001234)", text));
  }
  return *v;
}

// The NUMA node of a RAM address, from the memory-block devices sysfs lists.
std::optional<int>
numa_node_of(const source::SysRoot& root, std::uint64_t addr)
{
  const auto bs = root.read_line("sys/devices/system/memory/block_size_bytes");
  if (!bs) {
    return std::nullopt;
  }
  std::uint64_t block = 0;
  auto [p, ec] = std::from_chars(bs->data(), bs->data() + bs->size(), block, 16);
  if (ec != std::errc() || block == 0) {
    return std::nullopt;
  }
  const std::string dir = fmt::format("sys/devices/system/memory/memory{}", addr / block);
  for (const auto& e : root.list(dir)) {
    if (e.rfind("node", 0) == 0 && e.size() > 4) {
      int n = 0;
      auto [q, ec2] = std::from_chars(e.data() + 4, e.data() + e.size(), n);
      if (ec2 == std::errc() && q == e.data() + e.size()) {
        return n;
      }
    }
  }
  return std::nullopt;
}

int
run_resolve(Context& ctx, const ResolveArgs& a)
{
  if (a.iova && a.group < 0) {
    throw UsageError("resolve --iova needs --group N (an IOVA means something only within one "
                     "IOMMU group)");
  }
  if (a.iova && a.bus) {
    throw UsageError("resolve: --bus and --iova are different spaces; give one");
  }
  const std::uint64_t addr = parse_address(a.address);
  const char* space = a.iova ? "iova" : a.bus ? "pci-bus" : "cpu-physical";
  json j = render::json_document();
  j["address"] = render::hex0x(addr);
  j["space"] = space;
  std::vector<std::string> lines;
  bool found = false;

  // /proc/iomem (CPU physical only).
  json iomem = json::array();
  std::optional<int> node;
  bool in_ram = false;
  if (!a.bus && !a.iova) {
    try {
      const auto& sp = ctx.iomem();
      if (!sp.addresses_hidden) {
        std::string path;
        for (const auto* r : sp.lookup(addr)) {
          iomem.push_back({{"start", render::hex0x(r->start)}, {"end", render::hex0x(r->end)},
                           {"name", r->name}, {"kind", model::to_string(r->kind)},
                           {"line", r->line}});
          path += (path.empty() ? "" : " > ") + r->name;
          in_ram = in_ram || r->kind == model::RegionKind::system_ram;
        }
        if (!path.empty()) {
          found = true;
          lines.push_back(fmt::format("{}: {}", sp.source, path));
        }
      }
    } catch (const SourceError& e) {
      ctx.notice(e.what());
    }
    if (in_ram) {
      std::string why = "no memory-block sysfs";
      if (ctx.plan().available(machine::Part::sysfs)) {
        node = numa_node_of(ctx.sysfs(), addr);
      } else {
        why = "sysfs not read: the files given describe another machine";
      }
      lines.push_back(node ? fmt::format("RAM on NUMA node {}", *node)
                           : fmt::format("RAM (NUMA node unknown: {})", why));
    }
  }
  j["iomem"] = iomem;
  j["ram"] = in_ram ? json{{"numa_node", node ? json(*node) : json(nullptr)}} : json(nullptr);

  // PCI BARs, ROMs and bridge windows (CPU or bus addresses).
  json bars = json::array();
  json windows = json::array();
  if (!a.iova) {
    const pci::PciModel* model = nullptr;
    try {
      model = &ctx.pci();
    } catch (const SourceError& e) {
      ctx.notice(std::string(e.what()) + " (PCI devices not searched)");
    } catch (const InputError& e) {
      ctx.notice(std::string(e.what()) + " (PCI devices not searched)");
    }
    if (model) {
      auto pick = [&](std::optional<std::uint64_t> cpu, std::optional<std::uint64_t> busa) {
        return a.bus ? busa : (cpu ? cpu : busa);
      };
      for (const auto& d : model->devices) {
        auto consider = [&](int index, const char* what, std::optional<std::uint64_t> start,
                            std::optional<std::uint64_t> size) {
          if (!start || !size || *size == 0 || addr < *start || addr - *start >= *size) {
            return;
          }
          found = true;
          const std::uint64_t off = addr - *start;
          bars.push_back({{"bdf", d.bdf}, {"bar", index}, {"what", what},
                          {"start", render::hex0x(*start)},
                          {"end", render::hex0x(*start + *size - 1)},
                          {"offset", render::hex0x(off)}, {"name", d.name},
                          {"driver", d.driver.empty() ? json(nullptr) : json(d.driver)}});
          lines.push_back(fmt::format("{} {} {:#x}-{:#x}, offset {:#x}: {}{}", d.bdf, what, *start,
                                      *start + *size - 1, off, d.name,
                                      d.driver.empty() ? "" : " [" + d.driver + "]"));
        };
        for (const auto& b : d.bars) {
          consider(b.index, b.index < 6 ? ("BAR" + std::to_string(b.index)).c_str() : "BAR",
                   pick(b.cpu_address, b.bus_address), b.size);
        }
        if (d.rom) {
          consider(6, "ROM", pick(d.rom->cpu_address, d.rom->bus_address), d.rom->size);
        }
        for (const auto& w : d.windows) {
          if (!w.enabled || (w.upper_unknown && (a.bus || !w.cpu_start))) {
            continue;  // disabled, or its address was only half read
          }
          const std::uint64_t ws = a.bus ? w.bus_start : w.start();
          const std::uint64_t we = a.bus ? w.bus_end : w.end();
          if (addr >= ws && addr <= we) {
            found = true;
            windows.push_back({{"bdf", d.bdf}, {"kind", pci::to_string(w.kind)},
                               {"start", render::hex0x(ws)}, {"end", render::hex0x(we)}});
            lines.push_back(fmt::format("window of bridge {}: {} {:#x}-{:#x}", d.bdf,
                                        pci::to_string(w.kind), ws, we));
          }
        }
      }
    }
  }
  j["bars"] = bars;
  j["windows"] = windows;

  // IOMMU reserved regions (IOVA space of one group).
  json reserved = json::array();
  if (a.iova) {
    const auto st = iommu::read_iommu_state(ctx.sysfs());
    const auto* g = st.find(a.group);
    if (!g) {
      throw UsageError(fmt::format("resolve --group {}: no such IOMMU group", a.group));
    }
    for (const auto& rr : g->reserved) {
      if (addr >= rr.start && addr <= rr.end) {
        found = true;
        reserved.push_back({{"group", g->id}, {"start", render::hex0x(rr.start)},
                            {"end", render::hex0x(rr.end)}, {"type", rr.type}});
        lines.push_back(fmt::format("group {} reserved region {:#x}-{:#x} {}", g->id, rr.start,
                                    rr.end, rr.type));
      }
    }
    if (!found) {
      lines.push_back(fmt::format("group {}: not a reserved region; which buffer it maps is "
                                  "visible live only (memmap trace shows outstanding mappings)",
                                  g->id));
    }
  }
  j["reserved"] = reserved;
  j["found"] = found;

  if (ctx.options().json) {
    render::write_json(ctx.out(), j);
  } else {
    ctx.out() << ctx.style().paint(fmt::format("{:#x}", addr), render::Color::bold) << " ("
              << space << (a.iova ? fmt::format(", group {}", a.group) : "") << ")\n";
    for (const auto& l : lines) {
      ctx.out() << "  " << l << '\n';
    }
    if (!found) {
      ctx.out() << "  nothing in this source contains it\n";
    }
  }
  return found ? k_exit_ok : k_exit_findings;
}

} // namespace

void
add_resolve_commands(CLI::App& app, CommandList& cmds)
{
  auto a = std::make_shared<ResolveArgs>();
  CLI::App* sub = app.add_subcommand("resolve", "Every region, device, BAR and window that contains an address");
  sub->add_option("ADDR", a->address, "The address, hexadecimal (0xfb001234 or fb001234)")
    ->required();
  sub->add_flag("--bus", a->bus, "ADDR is a PCI bus address (what a BAR register holds)");
  sub->add_flag("--iova", a->iova, "ADDR is an I/O virtual address of one IOMMU group (with --group)");
  sub->add_option("--group", a->group, "The IOMMU group of an --iova address")->type_name("N");
  sub->footer("Exit: 0 found, 1 nothing contains it, 2 bad usage.\n"
              "Examples: memmap resolve 0xfb001234    memmap resolve --bus 0xd0000000\n"
              "          memmap resolve --iova --group 12 0xfee00000");
  cmds.push_back({sub, [a](Context& ctx) { return run_resolve(ctx, *a); }});
}

} // namespace memmap::cli
