// The same-machine rule (machine::SourcePlan), for every combination of --root and the three
// single-file options.
#include <catch2/catch.hpp>

#include <memmap/machine/sources.hpp>

using namespace memmap::machine;

TEST_CASE("source plan: every combination of --root and --iomem/--ioports/--lspci", "[machine]")
{
  for (int root = 0; root < 2; ++root) {
    for (int mask = 0; mask < 8; ++mask) {
      SourceArgs a;
      a.root = root ? "snap" : "";
      a.iomem_file = (mask & 1) ? "i.txt" : "";
      a.ioports_file = (mask & 2) ? "p.txt" : "";
      a.lspci_file = (mask & 4) ? "l.txt" : "";
      const SourcePlan plan(a);
      INFO("root=" << a.root << " mask=" << mask);
      const bool files_only = !root && mask != 0;
      CHECK(plan.files_only() == files_only);
      const Part parts[] = {Part::iomem, Part::ioports, Part::pci};
      for (int i = 0; i < 3; ++i) {
        const auto& s = plan.of(parts[i]);
        if (mask & (1 << i)) {
          CHECK(s.from == From::file);  // a file given is always what that part is read from
          CHECK(!s.file.empty());
        } else if (files_only) {
          // Never this machine's copy beside files of another machine; the reason names the
          // files and the option that would give the part.
          CHECK(s.from == From::none);
          CHECK(s.why_none.find("another machine") != std::string::npos);
          CHECK(s.why_none.find(i == 0 ? "--iomem FILE" : i == 1 ? "--ioports FILE" : "--lspci FILE")
                != std::string::npos);
        } else {
          CHECK(s.from == From::root);
        }
      }
      // Everything else under the root (IOMMU groups, NUMA, USB) has no file of its own.
      CHECK(plan.of(Part::sysfs).from == (files_only ? From::none : From::root));
    }
  }
}

TEST_CASE("source plan: what it describes", "[machine]")
{
  CHECK(SourcePlan(SourceArgs{}).describe() == "this machine");
  CHECK(SourcePlan(SourceArgs{"snap", "", "", "l.txt", ""}).describe() == "sysroot snap");
  CHECK(SourcePlan(SourceArgs{"", "i.txt", "", "l.txt", ""}).describe() == "--iomem i.txt, --lspci l.txt");
  const SourcePlan dump_only(SourceArgs{"", "", "", "gpu.txt", ""});
  CHECK(dump_only.of(Part::iomem).why_none
        == "/proc/iomem: not read: the given files (--lspci gpu.txt) are another machine's; add "
           "--iomem FILE, or use --root DIR");
}

TEST_CASE("source plan: the kernel log follows the machine the rest is", "[machine]")
{
  // Live: /dev/kmsg; --dmesg alone live is this machine's saved log, the rest stays live.
  CHECK(SourcePlan(SourceArgs{}).of(Part::klog).from == From::root);
  const SourcePlan saved(SourceArgs{"", "", "", "", "boot.log"});
  CHECK_FALSE(saved.files_only());
  CHECK(saved.of(Part::klog).from == From::file);
  CHECK(saved.of(Part::klog).file == "boot.log");
  CHECK(saved.of(Part::iomem).from == From::root);
  // --root DIR: DIR's copy (var/log/memmap-kmsg) unless --dmesg replaces it.
  CHECK(SourcePlan(SourceArgs{"snap", "", "", "", ""}).of(Part::klog).from == From::root);
  // Files of another machine: never this machine's log, and the reason says how to give one.
  const SourcePlan dump_only(SourceArgs{"", "", "", "gpu.txt", ""});
  CHECK(dump_only.of(Part::klog).from == From::none);
  CHECK(dump_only.of(Part::klog).why_none.find("--dmesg FILE") != std::string::npos);
  const SourcePlan dump_and_log(SourceArgs{"", "", "", "gpu.txt", "gpu-dmesg.txt"});
  CHECK(dump_and_log.of(Part::klog).from == From::file);
  CHECK(dump_and_log.describe() == "--lspci gpu.txt, --dmesg gpu-dmesg.txt");
}
