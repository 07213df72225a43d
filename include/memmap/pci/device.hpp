// The PCI device model: what config space, sysfs and lspci text say about each function,
// decoded (BARs, ROM, bridge windows, capabilities, Resizable BAR, SR-IOV, MSI-X, PCIe port
// type, ACS) and linked into a topology. Data only: no file access, no printing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <memmap/model/diagnostic.hpp>
#include <memmap/pci/config_space.hpp>
#include <memmap/pci/decode_problem.hpp>
#include <memmap/pci/sysfs_resource.hpp>

namespace memmap::pci {

enum class BarKind { mem, io };
const char* to_string(BarKind k);  // "mem", "io"

// Where a BAR (or ROM) sits in /proc/iomem or /proc/ioports.
struct Placement {
  // Names from the top level down to the device line, each after a '\n' (which never occurs
  // in a resource name): one allocation instead of a vector of strings, for every BAR of a
  // big machine. Read it with path() or path_text().
  std::string path_lines;
  std::string claimed_by;         // the driver line below the device line ("nvidia"), or ""
  bool exact = false;             // a line with this device's name and exactly this range
  bool by_bus_address = false;    // looked up with the bus address (no CPU address known)

  std::vector<std::string> path() const;
  void push_path(const std::string& name);
  std::string path_text(std::string_view sep = " > ") const;  // "PCI Bus 0000:00 > 0000:00:02.0"
};

struct Bar {
  int index = 0;                  // 0-5 (VF BARs: 0-5 within the SR-IOV capability)
  BarKind kind = BarKind::mem;
  int bits = 32;                  // 32 or 64 (I/O BARs: 32)
  bool prefetchable = false;
  std::string mem_type;           // lspci's words: "32-bit", "64-bit", "low-1M", "type 3"
  std::optional<std::uint32_t> raw_low;   // the register(s) as read; nullopt if not read
  std::optional<std::uint32_t> raw_high;
  std::optional<std::uint64_t> bus_address;  // from config space; nullopt when 0/unknown
  std::optional<std::uint64_t> cpu_address;  // from sysfs `resource` or lspci text
  std::optional<std::uint64_t> size;         // from sysfs `resource` or lspci [size=]
  std::optional<std::uint64_t> resource_flags;
  // The command register's I/O or memory enable for this BAR's kind; nullopt where the
  // command register was not read (or lspci's text says nothing, as for a [virtual] region).
  std::optional<bool> decode_enabled;
  bool unassigned = false;        // no address at all (lspci "<unassigned>")
  bool ignored = false;           // the register holds bits but no usable address
  bool is_virtual = false;        // the OS reports it, the device's register reads 0
  bool broken_64 = false;         // a 64-bit BAR in the last slot
  bool enhanced = false;          // from the Enhanced Allocation capability
  bool from_text = false;         // known only from an lspci text's region line (no hex for it)
  std::optional<Placement> placement;  // filled by cross_reference()
  std::optional<bool> inside_parent_window;  // filled by link_topology()
  // A VF's BAR placed from its PF's VF BAR (slice vf_index of the aperture: start_k +
  // i * size_k), not read from the VF itself (a dump, or no sysfs `resource`).
  bool from_pf = false;
  // What the register holds where the kernel's row disowns it (IORESOURCE_UNSET/DISABLED:
  // the kernel could not assign it). Not an address: bus_address and cpu_address stay
  // empty, and views show it only as "(register says ...)".
  std::optional<std::uint64_t> register_address{};

  // The host-bridge translation offset (cpu - bus) when both are known and differ.
  std::optional<std::int64_t> translation_offset() const;
  // Natural alignment holds (address is a multiple of the size); nullopt if unknown.
  std::optional<bool> naturally_aligned() const;
  // lspci's state words: "", "unassigned", "ignored", "virtual", "disabled", "broken-64-bit-slot".
  std::string state() const;
};

struct Rom {
  std::optional<std::uint32_t> raw;
  std::optional<std::uint64_t> bus_address;
  std::optional<std::uint64_t> cpu_address;
  std::optional<std::uint64_t> size;
  bool enabled = false;           // the ROM BAR's enable bit
  bool is_virtual = false;        // sysfs has an address (e.g. a shadow copy), the register 0
  bool unassigned = false;
  bool ignored = false;
  bool from_text = false;         // known only from an lspci text's "Expansion ROM at" line
  std::optional<Placement> placement;
  std::optional<std::uint64_t> register_address{};  // as Bar::register_address
};

enum class WindowKind { io, mem, prefetchable };
const char* to_string(WindowKind k);  // "io", "mem", "prefetchable"

// What the kernel's sysfs row says about a bridge window.
enum class KernelWindow {
  unknown,     // no row (a dump, no `resource`, a bridge the kernel gave no window rows)
  assigned,    // a range the bridge forwards
  unset,       // IORESOURCE_UNSET: sized, but the kernel could not give it an address
  disabled,    // IORESOURCE_DISABLED
  none,        // an all-zero row: the kernel has no such window (not implemented, or
               // base > limit)
};
inline const char*
to_string(KernelWindow k)
{
  switch (k) {
  case KernelWindow::assigned:
    return "assigned";
  case KernelWindow::unset:
    return "unset";
  case KernelWindow::disabled:
    return "disabled";
  case KernelWindow::none:
    return "none";
  case KernelWindow::unknown:
    break;
  }
  return "unknown";
}

struct BridgeWindow {
  WindowKind kind = WindowKind::mem;
  int bits = 32;                  // io: 16/32, mem: 32, prefetchable: 32/64; 0 unknown (an I/O
                                  // window known from the kernel's row alone)
  // The registers' decode (bus addresses). Where the kernel disowns the window these are
  // only what the registers say, never an address the bridge is known to forward.
  std::uint64_t bus_start = 0;
  std::uint64_t bus_end = 0;
  std::optional<std::uint64_t> cpu_start;  // from the sysfs bridge rows (assigned only)
  std::optional<std::uint64_t> cpu_end;
  // The window forwards a known range: the kernel's row says so where there is one
  // (kernel == assigned), else the registers (base <= limit). Every user of an address
  // tests this first.
  bool enabled = false;
  int cardbus_index = -1;         // CardBus: window number 0/1
  // A 32-bit I/O or 64-bit prefetchable window whose upper-half registers (0x30/0x32,
  // 0x28/0x2c) were not read: bus_start/bus_end hold only the lower half, not an address.
  bool upper_unknown = false;
  bool registers_enabled = false;  // the registers alone: base <= limit
  // Base and limit registers (with their upper halves) all read 0, which decodes as a 4 KiB
  // I/O or 1 MiB window at 0; a bridge without that decoder reads the same (the kernel
  // tells them apart by writing the registers; a dump cannot).
  bool registers_zero = false;
  bool registers_read = true;     // false: no config bytes (a sleeping function), rows only
  KernelWindow kernel = KernelWindow::unknown;
  std::optional<std::uint64_t> kernel_size{};  // the row's size (kept for unset windows)

  // The bus range the bridge forwards, where its registers say so: nullopt where they were
  // not read (the kernel's rows only), their upper half is missing, or they read disabled
  // behind a row the kernel assigned. Every user of a bus address asks this.
  std::optional<std::pair<std::uint64_t, std::uint64_t>> bus_range() const
  {
    if (!enabled || !registers_read || upper_unknown || !registers_enabled) {
      return std::nullopt;
    }
    return std::make_pair(bus_start, bus_end);
  }
  std::uint64_t start() const { return cpu_start.value_or(bus_start); }
  std::uint64_t end() const { return cpu_end.value_or(bus_end); }
  // Registers only, and they read 0 for an I/O or prefetchable window: lspci -F prints a
  // window at 0, but the bridge may implement no such decoder. Not a certain window.
  bool uncertain() const
  {
    return kernel == KernelWindow::unknown && registers_zero && kind != WindowKind::mem
           && cardbus_index < 0;
  }
};

struct Capability {
  std::uint16_t id = 0;
  std::uint16_t offset = 0;
  std::uint8_t version = 0;       // extended capabilities only
  bool extended = false;
  // Provenance: false for an entry walked in config space; true for one taken from an lspci
  // text's "Capabilities: [off] words" line where the hex did not reach it.
  bool from_text = false;
  bool id_known = true;           // false: the words name several ids (Virtual Channel: 0x02
                                  // or 0x09) or none memmap knows; `id` is then not a fact
  bool version_known = true;      // false: lspci -v prints no "vN"
  // A text entry's lspci words: an index into Device::capability_text (a big machine has
  // many capabilities and no text: an index, not a string, in each).
  std::uint16_t text = k_no_text;
  static constexpr std::uint16_t k_no_text = 0xffff;
};

// A capability list walk: the entries found and why it stopped early, if it did.
struct CapabilityList {
  std::vector<Capability> entries;
  std::vector<DecodeIssue> problems;  // why the walk stopped early: a loop, a pointer into the header...
  bool access_denied = false;         // the list continues into bytes that were not read
};

// Names for capability ids (the PCI specs' names).
std::string capability_name(std::uint16_t id, bool extended);

struct RebarEntry {
  int bar = 0;
  std::vector<std::uint64_t> supported_sizes;  // bytes, ascending
  std::optional<std::uint64_t> current_size;
};

struct Rebar {
  std::uint16_t offset = 0;
  bool vf = false;                // VF Resizable BAR (ext cap 0x24)
  int declared_entries = 0;       // "number of resizable BARs" from entry 0
  std::vector<RebarEntry> entries;
  std::vector<DecodeIssue> problems;
};

struct Sriov {
  std::uint16_t offset = 0;
  std::uint16_t control = 0;
  std::uint16_t initial_vfs = 0;
  std::uint16_t total_vfs = 0;
  std::uint16_t num_vfs = 0;
  std::uint16_t first_vf_offset = 0;
  std::uint16_t vf_stride = 0;
  std::uint16_t vf_device_id = 0;
  bool vf_enable = false;
  bool vf_memory_enable = false;
  // Per-VF BARs: bus_address from the capability, size per VF (sysfs row / TotalVFs),
  // cpu_address = start of the whole aperture (sysfs VF row).
  std::vector<Bar> vf_bars;
  std::vector<std::optional<std::uint64_t>> vf_apertures;  // whole aperture per vf_bars entry
};

struct Msix {
  std::uint16_t offset = 0;
  int table_size = 0;
  bool enabled = false;
  bool function_mask = false;
  int table_bar = 0;
  std::uint32_t table_offset = 0;
  int pba_bar = 0;
  std::uint32_t pba_offset = 0;
};

struct PcieInfo {
  std::uint16_t offset = 0;
  int version = 0;
  int port_type = 0;              // 0 EP, 1 legacy EP, 4 root port, 5 upstream, 6 downstream...
  bool slot = false;
  std::optional<int> link_speed;  // LnkSta current speed code (1 = 2.5 GT/s ...)
  std::optional<int> link_width;
  std::optional<int> max_link_speed;
  std::optional<int> max_link_width;
};
// "Root Port", "Endpoint", "Upstream Port", ...
const char* pcie_port_type_name(int type);

struct Acs {
  std::uint16_t offset = 0;
  std::uint16_t capability = 0;   // SV 0x1, TB 0x2, RR 0x4, CR 0x8, UF 0x10, EC 0x20, DT 0x40
  std::optional<std::uint16_t> control;
};

struct BusRange {
  std::uint8_t primary = 0;
  std::uint8_t secondary = 0;
  std::uint8_t subordinate = 0;
};

struct Device {
  // Identity.
  std::uint32_t domain = 0;
  std::uint8_t bus = 0;
  std::uint8_t dev = 0;
  std::uint8_t func = 0;
  std::string bdf;                // "dddd:bb:dd.f"
  // nullopt: nobody read it (no config byte, no sysfs file); never a made-up 0.
  std::optional<std::uint16_t> vendor_id;
  std::optional<std::uint16_t> device_id;
  std::optional<std::uint32_t> class_code;  // base << 16 | sub << 8 | prog-if
  std::optional<std::uint8_t> revision;
  std::optional<std::uint16_t> subsys_vendor_id;
  std::optional<std::uint16_t> subsys_id;
  std::optional<std::uint8_t> header_type;  // low 7 bits
  bool multifunction = false;
  std::optional<std::uint16_t> command;
  std::optional<std::uint16_t> status;
  bool absent = false;            // the header reads all ones: powered off or gone
  // An SR-IOV VF, proven: its PF's BDF, from the sysfs physfn link or from a PF in the same
  // model whose SR-IOV capability places VF number vf_index here (identify_vfs()).
  std::string physfn;
  enum class PhysfnFrom { none, link, pf_capability };
  PhysfnFrom physfn_from = PhysfnFrom::none;
  int vf_index = -1;              // VF number within its PF (0-based), -1 unknown
  // vendor_id/device_id are the PF's vendor and its SR-IOV "VF Device ID" (as the kernel
  // sets them, pci_iov_add_virtfn), not read from the function or sysfs.
  bool ids_from_pf = false;
  // Vendor, device, class or revision taken from an lspci text's header line (-nn) because
  // the dump has no hex for them; false when they come from config space or sysfs.
  bool ids_from_text = false;

  // Facts from sysfs (or the lspci text).
  std::string name;               // pci.ids "Vendor Device"
  std::string class_name;
  std::string driver;             // "" with driver_known: none bound
  bool driver_known = false;      // sysfs (the driver link), or lspci -k text
  std::optional<int> numa_node;
  std::optional<int> iommu_group;
  std::optional<int> dma_mask_bits;
  std::optional<int> consistent_dma_mask_bits;
  std::string power_state;        // "D0", "D3cold", ... ("" unknown)
  bool asleep = false;            // D3cold: config space not read (no --wake)

  ConfigSpace config;
  std::size_t config_declared = 0;  // what stat() or the dump claims (256/4096)
  // The sysfs `resource` rows. load_sysfs keeps them for bridges only (the audit reads their
  // window rows); for other functions everything in them is decoded into bars, rom and sriov,
  // and a big machine's thousands of copies are dropped after decoding.
  std::optional<SysfsResource> resource;

  // Decoded.
  std::vector<Bar> bars;
  std::optional<Rom> rom;
  std::optional<BusRange> buses;
  std::vector<BridgeWindow> windows;  // every window decoded, enabled or not
  CapabilityList capabilities;
  CapabilityList extended_capabilities;
  std::vector<std::string> capability_text;  // lspci's words of the text entries (Capability::text)
  std::vector<Rebar> rebars;
  std::optional<Sriov> sriov;
  std::optional<Msix> msix;
  std::optional<PcieInfo> pcie;
  std::optional<Acs> acs;
  bool ari = false;               // ARI capability present

  // Topology (link_topology()).
  std::string parent_bdf;         // the bridge whose secondary bus holds this device
  std::vector<std::string> children;

  std::vector<model::Diagnostic> problems;  // malformed or hostile input, found decoding

  bool is_bridge() const { return header_type && (*header_type == 1 || *header_type == 2); }
  bool is_cardbus() const { return header_type && *header_type == 2; }
  bool has_capability(std::uint16_t id, bool extended) const;
  // The capability list was walked to its end (or entries are known): false where the
  // status register or the list's bytes were never read, so an empty list is not a fact.
  bool capabilities_known() const;
  // Likewise for the extended list: a conventional PCI function has none; a PCIe (or
  // PCI-X) function's is unknown unless config space past 0x100 was read.
  bool extended_capabilities_known() const;
};

enum class Origin { sysfs, dump };

struct PciModel {
  Origin origin = Origin::sysfs;
  std::string source;             // "/sys/bus/pci", "DIR/sys/bus/pci" or the dump file
  std::vector<Device> devices;    // sorted by domain, bus, device, function
  std::vector<model::Diagnostic> problems;  // source-level problems
  bool config_truncated = false;  // some function gave only part of its config space
  int asleep_count = 0;

  const Device* find(const std::string& bdf) const;
  // The bridges from `bdf`'s parent up to the top (nearest first); empty on a root bus.
  std::vector<const Device*> upstream_path(const std::string& bdf) const;
};

} // namespace memmap::pci
