// The text around an lspci dump: libpci's dump method reads the hex lines; this scanner
// checks them first (so that a malformed file is reported as FILE:LINE instead of libpci's
// bare "Malformed line") and keeps what `lspci -v -x` adds that a bare dump lacks: the
// address and [size=..] of each region as the kernel reported it, the driver, the
// capability list lspci printed (from the whole config space, where the hex may hold only
// 64 bytes), and the ids and class of the header line (`lspci -nn`). It also says where each
// function's hex ends, so the loader can tell a dump cut short from a deliberate `lspci -x`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace memmap::pci {

struct TextRegion {
  int index = -1;                 // "Region N:" (-vv); -1 when lspci -v gave no index
  bool rom = false;
  bool io = false;
  std::optional<std::uint64_t> address;  // nullopt for <unassigned>/<ignored>/<broken-64-bit-slot>
  std::optional<std::uint64_t> size;
  int bits = 32;                  // memory: "(64-bit, ...)" -> 64
  bool prefetchable = false;      // "(..., prefetchable)"
  std::string mem_type;           // lspci's words: "32-bit", "64-bit", "low-1M", "type 3"
  bool is_virtual = false;        // "[virtual]"
  bool disabled = false;          // "[disabled]" (decode off; a ROM's enable bit clear)
  bool unassigned = false;        // "<unassigned>"
  bool ignored = false;           // "<ignored>"
  bool broken_64 = false;         // "<broken-64-bit-slot>"
  bool enhanced = false;          // "[enhanced]"
  int line = 0;
};

// "\tCapabilities: [68] MSI: Enable+ Count=1/1 ..." / "[100 v1] Virtual Channel".
struct TextCapability {
  std::uint16_t offset = 0;
  bool extended = false;          // offset >= 0x100 (lspci prints these with three digits)
  std::optional<std::uint8_t> version;  // "[100 v1]" (-vv); nullopt from -v
  std::string words;              // what follows "] ", as lspci printed it
  std::vector<std::uint16_t> ids; // lspci_capability_ids(words, extended)
  int line = 0;
};

struct TextDevice {
  std::string bdf;                // canonical "dddd:bb:dd.f"
  int line = 0;                   // the header line
  // From the header line. Ids only where lspci printed them (-n "0600: 8086:2e30",
  // -nn "Host bridge [0600]: Intel ... [8086:2e30]"); names as printed otherwise.
  std::optional<std::uint16_t> vendor_id;
  std::optional<std::uint16_t> device_id;
  std::optional<std::uint16_t> class_id;  // base << 8 | sub
  std::optional<std::uint8_t> prog_if;    // "(prog-if 8f [...])"
  std::optional<std::uint8_t> revision;   // "(rev 03)"
  std::string class_text;         // "Host bridge" (the header's class words)
  std::string name_text;          // "Intel Corporation 4 Series Chipset DRAM Controller"
  bool verbose = false;           // some indented line follows the header (lspci -v)
  std::vector<TextRegion> regions;  // BAR lines, in file order
  std::optional<TextRegion> rom;
  std::vector<TextCapability> caps;  // in file order (lspci's walk order)
  bool caps_denied = false;       // "Capabilities: <access denied>" (lspci ran without root)
  std::string driver;             // "Kernel driver in use:"
  std::size_t hex_bytes = 0;      // highest offset written + 1 (0: no hex at all)
  int hex_last_line = 0;          // the last hex line of this function
};

struct LspciText {
  std::vector<TextDevice> devices;
  bool has_sizes = false;         // some region line carried [size=]
};

// Scan `text` (the file named `display`). Throws InputError "DISPLAY:LINE: reason" for
// what libpci's dump reader rejects: a line longer than 254 characters or unterminated,
// a malformed hex line, an offset at or past 4096. Indented lines count with a tab or
// with eight spaces per level (text that went through a mail client or `expand`).
LspciText scan_lspci_text(std::string_view text, const std::string& display);

// "16M" -> 16 MiB; nullopt if malformed.
std::optional<std::uint64_t> parse_lspci_size(std::string_view s);

// The capability ids lspci's wording stands for, in the standard (`extended` false) or the
// extended list: "Power Management version 3" -> {0x01}; "Virtual Channel" (extended) ->
// {0x02, 0x09}, since lspci names both ids so; "#19", "Capability ID 0x15", "Extended
// Capability ID 0x2c" -> that id. Empty for words memmap does not know.
std::vector<std::uint16_t> lspci_capability_ids(std::string_view words, bool extended);

} // namespace memmap::pci
