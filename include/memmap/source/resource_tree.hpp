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
// A tree nested deeper than this is rejected as malformed (a hostile listing of nested
// ranges would otherwise build a tree as deep as it is long).
inline constexpr int k_max_resource_nesting = 128;

// Parse the text of /proc/iomem or /proc/ioports. `file` names the source in messages.
// Throws InputError("FILE:LINE: reason") on malformed input. Structural oddities the kernel
// never prints (overlapping siblings, a child outside its parent, duplicates, CRLF line ends)
// are kept as they are and reported in `warnings`; no line is dropped or reordered.
//
// Indentation the kernel would not print (odd, tabs, deeper than 5 levels, a jump of more
// than one level, an indented first line, or none at all where a line lies within the one
// above it: a flattened listing) is, unless `strict`, ignored: the tree is rebuilt by
// address containment (each line's parent is the nearest open line above it whose range
// holds it; equal ranges: the earlier line is the parent; an empty 0-0 line goes by its
// indentation relative to the open lines above it) with one `input-indentation` warning
// naming the first odd line. Containment that cannot decide is an InputError (rebuilt
// siblings that overlap, a line indented less than the line above it yet within it),
// except in a flattened listing, which is then read as printed (flat) with the warning
// saying why. With `strict` the first odd line is an InputError (the kernel's rule) and a
// listing without indentation is read as printed. Whatever the indentation, a tree nested
// deeper than k_max_resource_nesting is an InputError.
model::AddressSpace parse_resource_tree(std::string_view text, const std::string& file,
                                        model::SpaceKind kind, bool strict = false);

// Where a resource tree comes from: an explicit file, or `rel` under the sysroot.
struct ResourceSource {
  model::SpaceKind kind = model::SpaceKind::cpu_physical;
  std::string explicit_file;  // --iomem/--ioports FILE; empty: use the sysroot
  bool strict = false;        // --strict: indentation that is not the kernel's is an error
};

// Read and parse. Throws SourceError (unreadable at all) or InputError (malformed).
model::AddressSpace load_resource_tree(const SysRoot& root, const ResourceSource& src);

} // namespace memmap::source
