// The PCI model from an lspci dump: libpci's dump method reads the hex, memmap's own scanner
// (lspci_text) checks it and adds what the -v text says.
#include <memmap/pci/loader.hpp>

#include "libpci_access.hpp"

#include <memmap/error.hpp>
#include <memmap/pci/decode.hpp>
#include <memmap/pci/lspci_text.hpp>

#include <algorithm>
#include <map>

#include <fmt/format.h>

namespace memmap::pci {

using namespace detail;

namespace {

// For sysfs, libpci lists the functions and reads config space; memmap reads the
// attributes itself, each file once: pci_fill_info would read vendor and device again
// (config space has them) and realpath() the driver and iommu_group links (a readlink per
// path component, 35 system calls a function: half of `bar`'s time at N=4096).
constexpr unsigned k_fill_dump = PCI_FILL_IDENT | PCI_FILL_CLASS;

model::Diagnostic
text_problem(const std::string& file, int line, const Device& dev, std::string msg,
             const char* id = "lspci-text-disagrees")
{
  return model::Diagnostic{model::Severity::warning, id, file, line, dev.bdf + ": " + std::move(msg)};
}

std::string
cap_words_short(const std::string& words)
{
  // "MSI: Enable+ Count=1/1 ..." -> "MSI"; "Express (v2) Legacy Endpoint, MSI 00" -> as far as ','.
  const auto cut = words.find_first_of(":,");
  std::string w = words.substr(0, cut);
  while (!w.empty() && w.back() == ' ') {
    w.pop_back();
  }
  return w;
}

Capability
text_capability(const TextCapability& tc, Device& dev)
{
  Capability c;
  c.offset = tc.offset;
  c.extended = tc.extended;
  c.from_text = true;
  c.id_known = tc.ids.size() == 1;
  c.id = tc.ids.empty() ? 0 : tc.ids.front();
  c.version_known = tc.version.has_value();
  c.version = tc.version.value_or(0);
  if (dev.capability_text.size() < Capability::k_no_text) {
    c.text = static_cast<std::uint16_t>(dev.capability_text.size());
    dev.capability_text.push_back(tc.words);
  }
  return c;
}

// Merge one capability list (standard or extended) with the text's. The hex wins: an entry
// the hex walked is kept as it is and compared with the text's line at the same offset;
// the text's other entries are added only where the hex did not reach (`hex_lacks`), and
// are a disagreement where the hex's walk was complete (`hex_complete`).
void
merge_caps(Device& dev, CapabilityList& list, const std::vector<TextCapability>& text, bool extended,
           bool hex_lacks, bool hex_complete, const std::string& file, int header_line)
{
  std::vector<const TextCapability*> mine;
  for (const auto& tc : text) {
    if (tc.extended == extended) {
      mine.push_back(&tc);
    }
  }
  const char* which = extended ? "extended capability" : "capability";
  for (const auto& c : list.entries) {
    const TextCapability* tc = nullptr;
    for (const auto* t : mine) {
      tc = t->offset == c.offset ? t : tc;
    }
    if (!tc) {
      if (!mine.empty() && hex_complete) {
        dev.problems.push_back(text_problem(
          file, header_line, dev,
          fmt::format("the hex has {} {:#x} ({}) at {:#x}; the lspci text does not list it", which, c.id,
                      capability_name(c.id, extended), c.offset)));
      }
      continue;
    }
    const bool id_ok = tc->ids.empty() || std::find(tc->ids.begin(), tc->ids.end(), c.id) != tc->ids.end();
    const bool version_ok = !extended || !tc->version || *tc->version == c.version;
    if (!id_ok || !version_ok) {
      dev.problems.push_back(text_problem(
        file, tc->line, dev,
        fmt::format("{} at {:#x}: the hex says {:#x} ({}{}), the lspci text says \"{}\"{}; the hex is used",
                    which, c.offset, c.id, capability_name(c.id, extended),
                    extended ? fmt::format(" v{}", c.version) : std::string(), cap_words_short(tc->words),
                    tc->version ? fmt::format(" v{}", *tc->version) : std::string())));
    }
  }
  for (const auto* tc : mine) {
    const bool in_hex = std::any_of(list.entries.begin(), list.entries.end(),
                                    [&](const Capability& c) { return c.offset == tc->offset; });
    if (in_hex) {
      continue;
    }
    if (hex_lacks) {
      list.entries.push_back(text_capability(*tc, dev));
    } else if (hex_complete) {
      dev.problems.push_back(text_problem(
        file, tc->line, dev,
        fmt::format("the lspci text lists {} [{:x}] \"{}\"; the hex's list does not have it; the hex is used",
                    which, tc->offset, cap_words_short(tc->words))));
    }
  }
}

// The BAR a text-only function's "Region N:" line describes.
Bar
text_bar(const TextRegion& tr)
{
  Bar b;
  b.index = tr.index;
  b.kind = tr.io ? BarKind::io : BarKind::mem;
  b.bits = tr.io ? 32 : tr.bits;
  b.prefetchable = tr.prefetchable;
  b.mem_type = tr.io ? std::string() : tr.mem_type;
  b.cpu_address = tr.address;
  b.size = tr.size;
  // lspci prints "[disabled]" when the command register turns decoding off, except for a
  // [virtual] region, where it says nothing about it.
  if (!tr.is_virtual) {
    b.decode_enabled = !tr.disabled;
  }
  b.unassigned = tr.unassigned;
  b.ignored = tr.ignored;
  b.is_virtual = tr.is_virtual;
  b.broken_64 = tr.broken_64;
  b.enhanced = tr.enhanced;
  b.from_text = true;
  return b;
}

// What the -v text adds to one function: CPU addresses and sizes as the kernel reported
// them, the driver, and where the dump has no hex for them, ids, class, BARs and the
// capability lists. The hex wins wherever it has the bytes; a difference is a warning.
void
apply_text(Device& dev, const TextDevice& td, const std::string& file)
{
  const ConfigSpace& cfg = dev.config;
  dev.driver = td.driver;

  // Identity from the header line (-nn), where config space does not have it.
  if (dev.absent) {
    if (td.vendor_id && td.device_id) {
      dev.problems.push_back(text_problem(
        file, td.line, dev,
        fmt::format("the hex reads all ones (the function was off or gone when dumped), the lspci text's header "
                    "says {:04x}:{:04x}; the hex is used",
                    *td.vendor_id, *td.device_id)));
    }
    return;  // nothing else of the text is matched against all ones
  }
  if (td.vendor_id && td.device_id) {
    if (cfg.present(0, 4)) {
      const auto v = *cfg.u16(0);
      const auto d = *cfg.u16(2);
      if (v != *td.vendor_id || d != *td.device_id) {
        dev.problems.push_back(text_problem(
          file, td.line, dev,
          fmt::format("the hex says {:04x}:{:04x}, the lspci text's header says {:04x}:{:04x}; the hex is used", v,
                      d, *td.vendor_id, *td.device_id)));
      }
    } else {
      dev.vendor_id = td.vendor_id;
      dev.device_id = td.device_id;
      dev.ids_from_text = true;
    }
  }
  // lspci -v prints "(prog-if XX)" whenever it is not 0 (and "(rev XX)" likewise), so a
  // verbose header without it says 0.
  const int prog_if = td.prog_if ? *td.prog_if : td.verbose ? 0 : -1;
  if (td.class_id) {
    if (const auto class_code = config_class_code(cfg)) {
      const std::uint32_t hex_class = *class_code;
      if ((hex_class >> 8) != *td.class_id || (td.prog_if && (hex_class & 0xff) != *td.prog_if)) {
        dev.problems.push_back(text_problem(
          file, td.line, dev,
          fmt::format("the hex says class {:06x}, the lspci text's header says {:04x}{}; the hex is used",
                      hex_class, *td.class_id, td.prog_if ? fmt::format(" prog-if {:02x}", *td.prog_if) : "")));
      }
    } else if (prog_if >= 0 && !dev.class_code) {
      dev.class_code = static_cast<std::uint32_t>(*td.class_id) << 8 | static_cast<std::uint32_t>(prog_if);
      dev.ids_from_text = true;
    }
  }
  if (!cfg.present(k_cfg_revision) && !dev.revision && (td.revision || dev.ids_from_text)) {
    dev.revision = td.revision.value_or(0);
  }
  // lspci's names where there are no ids to look them up by.
  if (!dev.vendor_id && !td.name_text.empty()) {
    dev.name = td.name_text;
  }
  if (!dev.class_code && !td.class_text.empty()) {
    dev.class_name = td.class_text;
  }

  // BARs.
  const bool no_hex = cfg.empty();
  if (no_hex) {
    int unnumbered = 0;
    int first_line = 0;
    for (const auto& tr : td.regions) {
      const bool dup = std::any_of(dev.bars.begin(), dev.bars.end(), [&](const Bar& b) { return b.index == tr.index; });
      if (tr.index < 0 || dup) {
        ++unnumbered;
        first_line = first_line ? first_line : tr.line;
        continue;
      }
      dev.bars.push_back(text_bar(tr));
    }
    std::sort(dev.bars.begin(), dev.bars.end(), [](const Bar& a, const Bar& b) { return a.index < b.index; });
    if (unnumbered > 0) {
      dev.problems.push_back(text_problem(
        file, first_line, dev,
        fmt::format("{} region line(s) without a BAR number (lspci -v; -vv says \"Region N:\") and no hex to "
                    "match them with: not shown, their BAR numbers are unknown",
                    unnumbered),
        "lspci-text-region"));
    }
  } else {
    std::size_t seq = 0;
    bool added_virtual = false;
    for (const auto& tr : td.regions) {
      Bar* bar = nullptr;
      if (tr.index >= 0) {
        for (auto& b : dev.bars) {
          bar = b.index == tr.index ? &b : bar;
        }
      } else if (seq < dev.bars.size()) {
        bar = &dev.bars[seq];
      }
      ++seq;
      if (!bar && tr.is_virtual && tr.index >= 0) {
        // lspci's [virtual]: the OS has the BAR, the register reads 0 (an SR-IOV VF's BARs,
        // which the PF's capability places). The hex has no such BAR: the text is its source.
        dev.bars.push_back(text_bar(tr));
        added_virtual = true;
        continue;
      }
      if (!bar || (bar->kind == BarKind::io) != tr.io) {
        dev.problems.push_back(text_problem(file, tr.line, dev,
                                            "region line does not match any BAR in the hex dump; ignored",
                                            "lspci-text-region"));
        continue;
      }
      if (tr.address) {
        bar->cpu_address = tr.address;
      }
      bar->size = tr.size ? tr.size : bar->size;
      bar->is_virtual = bar->is_virtual || tr.is_virtual;
      if (bar->cpu_address) {
        bar->unassigned = false;
        bar->ignored = false;
      } else {
        // The kernel's word: it gave this BAR no address.
        bar->unassigned = bar->unassigned || tr.unassigned;
        bar->ignored = bar->ignored || tr.ignored;
      }
    }
    if (added_virtual) {
      std::sort(dev.bars.begin(), dev.bars.end(), [](const Bar& a, const Bar& b) { return a.index < b.index; });
    }
  }
  if (td.rom) {
    if (!dev.rom) {
      dev.rom = Rom{};
      dev.rom->raw = cfg.u32(dev.is_bridge() ? k_cfg_bridge_rom : k_cfg_rom);
      dev.rom->enabled = !td.rom->disabled;
      dev.rom->from_text = no_hex;
    }
    if (td.rom->address) {
      dev.rom->cpu_address = td.rom->address;
      dev.rom->unassigned = false;
      dev.rom->ignored = false;
    } else {
      dev.rom->unassigned = dev.rom->unassigned || td.rom->unassigned;
      dev.rom->ignored = dev.rom->ignored || td.rom->ignored;
    }
    dev.rom->size = td.rom->size ? td.rom->size : dev.rom->size;
    dev.rom->is_virtual = dev.rom->is_virtual || td.rom->is_virtual;
    dev.rom->enabled = !td.rom->disabled && dev.rom->enabled;
  }

  // Capabilities. The standard list needs the status register and the pointer; the
  // extended one the bytes past 0x100.
  if (td.caps_denied && td.caps.empty()) {
    if (no_hex) {
      dev.capabilities.access_denied = true;  // lspci could not read them either
    }
    return;
  }
  const std::size_t ptr_reg = dev.header_type && *dev.header_type == 2 ? k_cfg_cardbus_cap_ptr : k_cfg_cap_ptr;
  const bool std_lacks = !cfg.present(k_cfg_status, 2) || !cfg.present(ptr_reg) || dev.capabilities.access_denied;
  const bool std_complete = !std_lacks && dev.capabilities.problems.empty();
  merge_caps(dev, dev.capabilities, td.caps, false, std_lacks, std_complete, file, td.line);
  const bool ext_lacks = cfg.size() <= 0x100 || dev.extended_capabilities.access_denied;
  const bool chain_problem = std::any_of(dev.problems.begin(), dev.problems.end(), [](const model::Diagnostic& p) {
    return p.id == "pci-capability-chain";
  });
  const bool ext_complete = !ext_lacks && !chain_problem && std_complete;
  merge_caps(dev, dev.extended_capabilities, td.caps, true, ext_lacks, ext_complete, file, td.line);
}

// A function whose hex stops short of what its header or the other functions of the dump
// imply: warn, naming the file and its last hex line. A dump of 64 bytes for every function
// (128 for a CardBus bridge) is `lspci -x`, deliberate: the model's config_truncated says so
// once.
void
check_dump_sizes(PciModel& model, const std::map<std::string, const TextDevice*>& by_bdf, const std::string& file)
{
  auto size_of = [&](const Device& d) {
    const auto it = by_bdf.find(d.bdf);
    return it != by_bdf.end() ? it->second->hex_bytes : d.config.size();
  };
  // The largest dump of any other function: the largest, or for its holder the second.
  std::size_t top = 0;
  std::size_t second = 0;
  const Device* top_dev = nullptr;
  for (const auto& d : model.devices) {
    const std::size_t n = size_of(d);
    if (n > top) {
      second = top;
      top = n;
      top_dev = &d;
    } else if (n > second) {
      second = n;
    }
  }
  for (const auto& d : model.devices) {
    const std::size_t n = size_of(d);
    if (n == 0 || n >= 4096) {
      continue;
    }
    const std::size_t others = &d == top_dev ? second : top;
    const bool pcie = std::any_of(d.capabilities.entries.begin(), d.capabilities.entries.end(),
                                  [](const Capability& c) { return !c.from_text && c.id == k_cap_exp; });
    const bool x_size = n == 64 || (n == 128 && d.is_cardbus());
    std::string why;
    std::size_t expected = 0;
    if (n > 256) {
      expected = 4096;
      why = pcie ? "its PCI Express capability means 4096 bytes of config space"
            : others >= 4096 ? "other functions in this dump have 4096"
                             : "lspci dumps 64, 256 or 4096 bytes of a function";
    } else if (n == 256) {
      if (pcie && others >= 4096) {
        expected = 4096;
        why = "it has a PCI Express capability and other functions in this dump have 4096";
      }
    } else if (x_size) {
      if (others >= 256) {
        expected = 256;
        why = fmt::format("other functions in this dump have {}", others);
      } else {
        model.config_truncated = true;  // lspci -x: deliberate
      }
    } else {
      expected = n < 64 ? 64 : 256;
      why = n < 64 ? "a config header alone is 64 bytes"
            : others >= 256 ? fmt::format("other functions in this dump have {}", others)
                            : std::string("lspci dumps 64, 256 or 4096 bytes of a function");
    }
    if (expected == 0) {
      continue;
    }
    // What is lost: the list the hex's walk could not finish, what the lspci text says lies
    // there (its entries past the hex), and in any case the registers past the cut.
    std::string lost = d.extended_capabilities.access_denied ? "the extended capability list runs past it; "
                       : d.capabilities.access_denied      ? "the capability list runs past it; "
                                                           : "";
    std::string named;
    bool rebar = false;
    int count = 0;
    for (const auto* list : {&d.capabilities, &d.extended_capabilities}) {
      for (const auto& c : list->entries) {
        if (c.from_text) {
          named += fmt::format("{}[{:x}]", named.empty() ? "" : " ", c.offset);
          rebar = rebar || (c.extended && c.id_known && (c.id == k_ecap_rebar || c.id == k_ecap_vf_rebar));
          ++count;
        }
      }
    }
    if (count > 0) {
      lost += fmt::format("the lspci text names {} capabilit{} there ({}), whose registers{} are unknown", count,
                          count == 1 ? "y" : "ies", named, rebar ? " (Resizable BAR sizes among them)" : "");
    } else {
      lost += "capabilities and registers past it are unknown";
    }
    const auto it = by_bdf.find(d.bdf);
    int line = it != by_bdf.end() ? it->second->hex_last_line : 0;
    model.problems.push_back(model::Diagnostic{
      model::Severity::warning, "lspci-dump-short", file, line,
      fmt::format("{}: the hex dump stops at {:#x}, short of {} bytes ({}): {}", d.bdf, n, expected, why, lost)});
  }
}

} // namespace

PciModel
load_dump(const std::string& file, const source::PciNames& names, bool use_text)
{
  PciModel model;
  model.origin = Origin::dump;
  model.source = file;

  const auto text = source::read_file(file, file);
  if (!text) {
    throw SourceError(text.message);
  }
  const LspciText scanned = scan_lspci_text(text.data, file);
  if (scanned.devices.empty()) {
    throw InputError(file + ": no lspci device header (\"BB:DD.F \" at the start of a line)");
  }

  AccessPtr a = make_access(PCI_ACCESS_DUMP);
  pci_set_param(a.get(), const_cast<char*>("dump.name"), const_cast<char*>(file.c_str()));
  if (!scan_guarded(a.get())) {
    throw InputError(fmt::format("{}: libpci: {}", file, libpci_error_text()));
  }
  for (pci_dev* p = a->devices; p; p = p->next) {
    if (!fill_guarded(p, k_fill_dump)) {
      throw InputError(fmt::format("{}: libpci: {}", file, libpci_error_text()));
    }
  }

  std::map<std::string, const TextDevice*> by_bdf;
  for (const auto& td : scanned.devices) {
    by_bdf.emplace(td.bdf, &td);
  }

  for (pci_dev* p = a->devices; p; p = p->next) {
    Device dev;
    dev.domain = static_cast<std::uint32_t>(p->domain);
    dev.bus = p->bus;
    dev.dev = p->dev;
    dev.func = p->func;
    dev.bdf = canonical_bdf(p);
    dev.config = read_config(p);
    decode_device(dev, file);

    const auto it = by_bdf.find(dev.bdf);
    if (use_text && it != by_bdf.end()) {
      apply_text(dev, *it->second, file);
      // lspci -k names every bound driver: without its line the function has none.
      dev.driver_known = !dev.driver.empty() || scanned.has_kernel_lines;
    }
    name_device(dev, names);
    model.devices.push_back(std::move(dev));
  }
  sort_devices(model);
  check_dump_sizes(model, by_bdf, file);
  link_topology(model, &names);
  return model;
}

} // namespace memmap::pci
