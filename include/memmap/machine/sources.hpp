// The one rule for "these sources describe the same machine". Every command asks it where
// each part of the model comes from, so that no command cross-references an lspci dump of one
// machine with the /proc/iomem of another.
//
//   live, no file            every part from this machine (/)
//   --root DIR               every part from DIR; a file given beside it (--iomem, --ioports,
//                            --lspci) replaces DIR's copy of that part: the user put them
//                            together, so they are taken as one machine
//   live and any file        the files are a machine of their own (a bug report, a saved dump):
//                            the parts given as files come from them, every other part is not
//                            read at all, never this machine's
//   --dmesg FILE             the kernel log of whichever machine the rest is: given live
//                            alone, this machine's (a log saved with sudo dmesg, journalctl
//                            -k -b -1); beside --root or other files, theirs
#pragma once

#include <string>

namespace memmap::machine {

enum class Part {
  iomem,    // /proc/iomem
  ioports,  // /proc/ioports
  pci,      // the PCI devices: sys/bus/pci or an lspci dump
  sysfs,    // everything else under the root: IOMMU groups, NUMA, USB, mounts, ...
  klog,     // the kernel log: /dev/kmsg, ROOT/var/log/memmap-kmsg, or --dmesg FILE
};
inline constexpr int k_part_count = 5;
const char* to_string(Part p);  // "iomem", "ioports", "pci", "sysfs", "klog"

struct SourceArgs {
  std::string root;          // --root DIR; empty: live
  std::string iomem_file;    // --iomem FILE
  std::string ioports_file;  // --ioports FILE
  std::string lspci_file;    // --lspci FILE
  std::string dmesg_file;    // --dmesg FILE
};

enum class From { root, file, none };

struct PartSource {
  From from = From::none;
  std::string file;          // From::file: the file given
  std::string why_none;      // From::none: why the part is not read, and how to give it
};

class SourcePlan {
public:
  explicit SourcePlan(SourceArgs args);

  const PartSource& of(Part p) const { return m_parts[static_cast<int>(p)]; }
  bool available(Part p) const { return of(p).from != From::none; }
  // True when the given files stand for a machine of their own (live root, some file given).
  bool files_only() const { return m_files_only; }
  // "this machine", "sysroot DIR", or "the given files (--lspci F, --iomem G)".
  std::string describe() const;

private:
  SourceArgs m_args;
  bool m_files_only = false;
  PartSource m_parts[k_part_count];
};

} // namespace memmap::machine
