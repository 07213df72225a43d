// `memmap` with no command: a one-screen summary of the machine.
#include "command.hpp"

#include <memmap/error.hpp>
#include <memmap/render/json.hpp>
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
  int exit_code = 0;  // k_exit_bad_input or k_exit_unreadable when `error` is set
};

Section
try_load(Context& ctx, model::SpaceKind kind)
{
  Section s;
  try {
    s.space = kind == model::SpaceKind::io_port ? ctx.ioports() : ctx.iomem();
  } catch (const SourceError& e) {
    s.error = e.what();
    s.exit_code = k_exit_unreadable;
  } catch (const InputError& e) {
    s.error = e.what();
    s.exit_code = k_exit_bad_input;
  }
  if (!s.error.empty()) {
    ctx.notice(s.error);
  }
  return s;
}

// How many PCI functions the plan's PCI source holds, or why it was not read. Live and --root
// count sysfs directories (no config space read); an --lspci dump is loaded.
struct PciSection {
  std::optional<std::size_t> functions;
  std::string source;
  std::string why;
};

PciSection
load_pci(Context& ctx)
{
  PciSection s;
  const auto& part = ctx.plan().of(machine::Part::pci);
  if (part.from == machine::From::none) {
    s.why = part.why_none;
  } else if (part.from == machine::From::file) {
    try {
      s.functions = ctx.pci().devices.size();
      s.source = part.file;
    } catch (const std::exception& e) {
      s.why = e.what();
    }
  } else if (!ctx.root().exists("sys/bus/pci/devices")) {
    s.why = ctx.root().display("sys/bus/pci/devices") + ": not in this source";
  } else {
    s.functions = ctx.device_briefs().size();
    s.source = ctx.root().display("sys/bus/pci/devices");
  }
  return s;
}

// Malformed input wins over unreadable; unreadable counts only when nothing could be read.
int
summary_exit(const Section& mem, const Section& io)
{
  if (mem.exit_code == k_exit_bad_input || io.exit_code == k_exit_bad_input) {
    return k_exit_bad_input;
  }
  return mem.space || io.space ? k_exit_ok : k_exit_unreadable;
}

} // namespace

int
run_summary(Context& ctx)
{
  Section mem = try_load(ctx, model::SpaceKind::cpu_physical);
  Section io = try_load(ctx, model::SpaceKind::io_port);
  const auto& st = ctx.style();
  const PciSection pci = load_pci(ctx);

  if (ctx.options().json) {
    nlohmann::ordered_json j = render::json_document();
    j["source"] = ctx.plan().files_only() ? "files"
                  : ctx.root().is_live()    ? "live"
                                            : ctx.root().prefix().string();
    if (mem.space) {
      nlohmann::ordered_json m;
      m["addresses_hidden"] = mem.space->addresses_hidden;
      m["ram_bytes"] = mem.space->addresses_hidden ? nlohmann::ordered_json(nullptr)
                                                   : nlohmann::ordered_json(model::total_ram(*mem.space));
      auto ranges = nlohmann::ordered_json::array();
      for (const auto* r : model::outermost_ram(*mem.space)) {
        // Hidden: the ranges exist (their names are real), their addresses are unknown.
        const bool hidden = mem.space->addresses_hidden;
        ranges.push_back({{"start", hidden ? nlohmann::ordered_json(nullptr)
                                           : nlohmann::ordered_json(render::hex0x(r->start))},
                          {"end", hidden ? nlohmann::ordered_json(nullptr)
                                         : nlohmann::ordered_json(render::hex0x(r->end))}});
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
    j["pci_devices"] = pci.functions ? nlohmann::ordered_json(*pci.functions)
                                     : nlohmann::ordered_json(nullptr);
    auto unread = nlohmann::ordered_json::array();
    for (const auto* s : {&mem, &io}) {
      if (!s->error.empty()) {
        unread.push_back(s->error);
      }
    }
    if (!pci.functions) {
      unread.push_back(pci.why);
    }
    for (const auto* s : {&mem, &io}) {
      if (s->space && s->space->addresses_hidden) {
        unread.push_back(s->space->source + ": addresses hidden (not root)");  // as the text says
      }
    }
    j["unavailable"] = unread;
    render::write_json(ctx.out(), j);
    return summary_exit(mem, io);
  }

  auto& out = ctx.out();
  out << st.paint(fmt::format("memmap {}", MEMMAP_VERSION), render::Color::bold) << ": "
      << (ctx.plan().files_only() ? "saved files (" + ctx.plan().describe() + ")"
          : ctx.root().is_live()  ? std::string("this machine (live)")
                                  : "sysroot " + ctx.root().prefix().string())
      << '\n';

  if (mem.space) {
    const auto& sp = *mem.space;
    const auto ram = model::outermost_ram(sp);
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
  out << '\n' << st.paint("PCI", render::Color::bold) << ": ";
  if (pci.functions) {
    out << *pci.functions << " functions in " << pci.source << '\n';
  } else {
    out << "not read (see below)\n";
  }

  std::vector<std::string> unread;
  for (const auto* s : {&mem, &io}) {
    if (!s->error.empty()) {
      unread.push_back(s->error);
    }
  }
  if (!pci.functions) {
    unread.push_back(pci.why);
  }
  for (const auto* s : {&mem, &io}) {
    if (s->space && s->space->addresses_hidden) {
      unread.push_back(s->space->source + ": addresses hidden (not root)");
    }
  }
  if (!unread.empty()) {
    out << '\n' << st.paint("Not read", render::Color::yellow) << ":\n";
    for (const auto& u : unread) {
      out << "  " << u << '\n';
    }
  }
  return summary_exit(mem, io);
}

} // namespace memmap::cli
