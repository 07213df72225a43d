// Parser for the kernel's resource trees: /proc/iomem and /proc/ioports (r_show() format).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <memmap/model/address_space.hpp>
#include <memmap/source/sysroot.hpp>

namespace memmap::source {

// Lines longer than this are rejected as malformed (the kernel's names are short).
inline constexpr std::size_t k_max_resource_line = 4096;
// The kernel stops indenting at this depth (MAX_IORES_LEVEL in kernel/resource.c).
inline constexpr int k_max_iores_level = 5;

// Parse the text of /proc/iomem or /proc/ioports. `file` names the source in messages.
// Throws InputError("FILE:LINE: reason") on malformed input. Structural oddities the kernel
// never prints (overlapping siblings, a child outside its parent, duplicates, CRLF line ends)
// are kept as they are and reported in `warnings`; no line is dropped or reordered.
model::AddressSpace parse_resource_tree(std::string_view text, const std::string& file,
                                        model::SpaceKind kind);

// Where a resource tree comes from: an explicit file, or `rel` under the sysroot.
struct ResourceSource {
  model::SpaceKind kind = model::SpaceKind::cpu_physical;
  std::string explicit_file;  // --iomem/--ioports FILE; empty: use the sysroot
};

// Read and parse. Throws SourceError (unreadable at all) or InputError (malformed).
model::AddressSpace load_resource_tree(const SysRoot& root, const ResourceSource& src);

} // namespace memmap::source
