// `memmap` with no command: a one-screen summary of the machine.
#include "command.hpp"

#include <memmap/error.hpp>
#include <memmap/render/format.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace memmap::cli {

namespace {

using model::Region;
using model::RegionKind;

struct Section {
  std::optional<model::AddressSpace> space;
  std::string error;
};

Section
try_load(Context& ctx, model::SpaceKind kind)
{
  Section s;
  try {
    s.space = kind == model::SpaceKind::io_port ? ctx.ioports() : ctx.iomem();
  } catch (const SourceError& e) {
    s.error = e.what();
  } catch (const InputError& e) {
    s.error = e.what();
  }
  return s;
}

std::vector<const Region*>
ram_ranges(const model::AddressSpace& space)
{
  std::vector<const Region*> out;
  space.walk([&](const Region& r, const std::vector<const Region*>& parents) {
    if (r.kind != RegionKind::system_ram) {
      return;
    }
    for (const auto* p : parents) {
      if (p->kind == RegionKind::system_ram) {
        return;
      }
    }
    out.push_back(&r);
  });
  return out;
}

} // namespace

int
run_summary(Context& ctx)
{
  Section mem = try_load(ctx, model::SpaceKind::cpu_physical);
  Section io = try_load(ctx, model::SpaceKind::io_port);
  const auto& st = ctx.style();
  const auto& briefs = ctx.device_briefs();

  if (ctx.options().json) {
    nlohmann::ordered_json j;
    j["schema_version"] = 1;
    j["source"] = ctx.root().is_live() ? "live" : ctx.root().prefix().string();
    if (mem.space) {
      nlohmann::ordered_json m;
      m["addresses_hidden"] = mem.space->addresses_hidden;
      m["ram_bytes"] = mem.space->addresses_hidden ? nlohmann::ordered_json(nullptr)
                                                   : nlohmann::ordered_json(model::total_ram(*mem.space));
      auto ranges = nlohmann::ordered_json::array();
      for (const auto* r : ram_ranges(*mem.space)) {
        ranges.push_back({{"start", render::hex0x(r->start)}, {"end", render::hex0x(r->end)}});
      }
      m["ram_ranges"] = ranges;
      m["regions"] = mem.space->line_count;
      m["warnings"] = mem.space->warnings.size();
      j["iomem"] = m;
    }
    if (io.space) {
      j["ioports"] = {{"addresses_hidden", io.space->addresses_hidden},
                      {"regions", io.space->line_count}};
    }
    j["pci_devices"] = briefs.size();
    auto unread = nlohmann::ordered_json::array();
    for (const auto* s : {&mem, &io}) {
      if (!s->error.empty()) {
        unread.push_back(s->error);
      }
    }
    j["unavailable"] = unread;
    ctx.out() << j.dump(2) << '\n';
    return mem.space || io.space ? 0 : k_exit_unreadable;
  }

  auto& out = ctx.out();
  out << st.paint(fmt::format("memmap {}", MEMMAP_VERSION), render::Color::bold) << " — "
      << (ctx.root().is_live() ? std::string("this machine (live)")
                               : "sysroot " + ctx.root().prefix().string())
      << '\n';

  if (mem.space) {
    const auto& sp = *mem.space;
    const auto ram = ram_ranges(sp);
    out << '\n' << st.paint("CPU physical", render::Color::bold) << " (" << sp.source << ", "
        << sp.line_count << " regions)\n";
    if (sp.addresses_hidden) {
      out << "  RAM: " << ram.size() << " ranges; sizes hidden (needs root)\n";
    } else {
      out << "  RAM: " << render::human_size(model::total_ram(sp)) << " in " << ram.size()
          << (ram.size() == 1 ? " range" : " ranges") << '\n';
      for (const auto* r : ram) {
        out << fmt::format("    {:#014x}-{:#014x} {:>6}\n", r->start, r->end,
                           render::human_size(r->size()));
      }
    }
    out << "  Top level:\n";
    const int w = [&] {
      int width = 8;
      for (const auto& r : sp.regions) {
        width = std::max(width, render::hex_digits(r.end));
      }
      return width;
    }();
    for (const auto& r : sp.regions) {
      std::string range = sp.addresses_hidden
                            ? fmt::format("{:<{}}", "(hidden)", 2 * w + 1)
                            : render::hex(r.start, w) + "-" + render::hex(r.end, w);
      out << fmt::format("    {} {:>6}  {}\n", range,
                         sp.addresses_hidden ? "?" : render::human_size(r.size()),
                         st.paint(r.name, render::kind_color(r.kind)));
    }
    if (!sp.warnings.empty()) {
      out << "  " << sp.warnings.size() << " warning(s): see `memmap iomem`\n";
    }
  }
  if (io.space) {
    out << '\n' << st.paint("I/O ports", render::Color::bold) << " (" << io.space->source
        << "): " << io.space->line_count << " regions, " << io.space->regions.size()
        << " at top level\n";
  }
  out << '\n' << st.paint("PCI", render::Color::bold) << ": " << briefs.size()
      << " functions in " << ctx.root().display("sys/bus/pci/devices") << '\n';

  std::vector<std::string> unread;
  for (const auto* s : {&mem, &io}) {
    if (!s->error.empty()) {
      unread.push_back(s->error);
    }
  }
  if (mem.space && mem.space->addresses_hidden) {
    unread.push_back(mem.space->source + ": addresses hidden (not root)");
  }
  if (!unread.empty()) {
    out << '\n' << st.paint("Not read", render::Color::yellow) << ":\n";
    for (const auto& u : unread) {
      out << "  " << u << '\n';
    }
  }
  return mem.space || io.space ? 0 : k_exit_unreadable;
}

} // namespace memmap::cli
