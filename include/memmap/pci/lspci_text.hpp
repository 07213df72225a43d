// The text around an lspci dump: libpci's dump method reads the hex lines; this scanner
// checks them first (so that a malformed file is reported as FILE:LINE instead of libpci's
// bare "Malformed line") and keeps what `lspci -v -x` adds that a bare dump lacks: the
// address and [size=..] of each region as the kernel reported it, and the driver.
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
  std::optional<std::uint64_t> address;  // nullopt for <unassigned>/<ignored>
  std::optional<std::uint64_t> size;
  bool is_virtual = false;
  bool disabled = false;
  int line = 0;
};

struct TextDevice {
  std::string bdf;                // canonical "dddd:bb:dd.f"
  int line = 0;                   // the header line
  std::vector<TextRegion> regions;  // BAR lines, in file order
  std::optional<TextRegion> rom;
  std::string driver;             // "Kernel driver in use:"
  std::size_t hex_bytes = 0;      // highest offset written + 1
};

struct LspciText {
  std::vector<TextDevice> devices;
  bool has_sizes = false;         // some region line carried [size=]
};

// Scan `text` (the file named `display`). Throws InputError "DISPLAY:LINE: reason" for
// what libpci's dump reader rejects: a line longer than 254 characters or unterminated,
// a malformed hex line, an offset at or past 4096.
LspciText scan_lspci_text(std::string_view text, const std::string& display);

// "16M" -> 16 MiB; nullopt if malformed.
std::optional<std::uint64_t> parse_lspci_size(std::string_view s);

} // namespace memmap::pci
