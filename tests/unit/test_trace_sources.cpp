// The files memmap trace reads (source/tracefs.hpp, SysRoot::resolves) and what
// machine/trace_session makes of a sysroot: hostile /proc/mounts, events/ layouts, --input
// files, reserved_regions through the one iommu parser, --driver selection.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include <memmap/error.hpp>
#include <memmap/machine/sources.hpp>
#include <memmap/machine/trace_session.hpp>
#include <memmap/source/sysroot.hpp>
#include <memmap/source/tracefs.hpp>

#include "support/temp_dir.hpp"

namespace fs = std::filesystem;
using namespace memmap;

namespace {

using TempRoot = memmap::test::TempDir;

} // namespace

TEST_CASE("tracefs mount point from /proc/mounts text, hostile lines passed over", "[trace][source]")
{
  using source::tracefs_mount_point;
  CHECK(tracefs_mount_point("") == "");
  CHECK(tracefs_mount_point("proc /proc proc rw 0 0\nsysfs /sys sysfs rw 0 0\n") == "");
  // The first tracefs wins unless /sys/kernel/tracing is one of them.
  CHECK(tracefs_mount_point("none /mnt/t tracefs rw 0 0\nnone /x tracefs rw 0 0\n") == "/mnt/t");
  CHECK(tracefs_mount_point("none /mnt/t tracefs rw 0 0\n"
                            "tracefs /sys/kernel/tracing tracefs rw 0 0\n") ==
        "/sys/kernel/tracing");
  // Short, blank and binary lines, no final newline, CRs and tabs.
  CHECK(tracefs_mount_point("tracefs\n\n  \nx y\n\x01\x02 \xff tracefs\tz\n") == "\xff");
  CHECK(tracefs_mount_point("a b tracefsX\na b tracefs") == "b");
  // A huge line is read, not truncated into a wrong field.
  const std::string big(1 << 20, 'a');
  CHECK(tracefs_mount_point(big + " /t tracefs\n") == "/t");
  CHECK(tracefs_mount_point("dev " + big + " ext4\n") == "");
}

TEST_CASE("find_tracefs reads ROOT/proc/mounts; missing is none", "[trace][source]")
{
  TempRoot r;
  const source::SysRoot root(r.path);
  CHECK(source::find_tracefs(root) == "");
  r.write("proc/mounts", "sysfs /sys sysfs rw 0 0\nnodev /sys/kernel/tracing tracefs rw 0 0\n");
  CHECK(source::find_tracefs(root) == "/sys/kernel/tracing");
}

TEST_CASE("EventsDir: header_page, format files sorted, events without format left out",
          "[trace][source]")
{
  TempRoot r;
  const source::EventsDir none((r.path / "nope").string());
  CHECK_FALSE(none.has_header_page());
  CHECK_THROWS_AS(none.header_page(), SourceError);
  CHECK(none.all_formats().empty());

  r.write("ev/header_page", "field: u64 timestamp;\n");
  r.write("ev/iommu/map/format", "name: map\n");
  r.write("ev/dma/dma_unmap_phys/format", "name: dma_unmap_phys\n");
  r.write("ev/dma/dma_map_phys/format", "name: dma_map_phys\n");
  r.write("ev/dma/enable", "0\n");                 // a file, not an event
  fs::create_directories(r.path / "ev/dma/no_format");
  r.link("ev/dma/dangling/format", "../../missing");  // a format that does not resolve
  const source::EventsDir ev((r.path / "ev").string());
  CHECK(ev.has_header_page());
  CHECK(ev.header_page() == "field: u64 timestamp;\n");
  CHECK(ev.has_system("dma"));
  CHECK_FALSE(ev.has_system("swiotlb"));
  CHECK_FALSE(ev.has_system(""));
  CHECK(ev.events("dma") == std::vector<std::string>{"dma_map_phys", "dma_unmap_phys"});
  CHECK(ev.events("").empty());
  const auto all = ev.all_formats();
  REQUIRE(all.size() == 3);
  CHECK(all[0] == std::pair<std::string, std::string>{"dma", "dma_map_phys"});
  CHECK(all[2] == std::pair<std::string, std::string>{"iommu", "map"});
  CHECK(ev.format("iommu", "map") == "name: map\n");
  CHECK_FALSE(ev.try_format("dma", "no_format"));
  CHECK_THROWS_WITH(ev.format("dma", "dangling"),
                    Catch::Contains(ev.format_display("dma", "dangling")));
}

TEST_CASE("TraceInput: one open, head without moving the offset, errors name the file",
          "[trace][source]")
{
  TempRoot r;
  const std::string missing = (r.path / "no-such.txt").string();
  CHECK_THROWS_WITH(source::TraceInput::open(missing), missing + ": No such file or directory");

  r.write("short.txt", "abc");
  const auto in = source::TraceInput::open((r.path / "short.txt").string());
  CHECK_FALSE(in.is_stdin());
  CHECK(in.display() == (r.path / "short.txt").string());
  CHECK(in.head(16) == "abc");
  CHECK(in.head(2) == "ab");
  char buf[8] = {};
  CHECK(::read(in.fd(), buf, sizeof buf) == 3);  // head() left the offset at 0
  const int fd = in.reopen_fd();
  REQUIRE(fd >= 0);
  CHECK(fd != in.fd());
  ::close(fd);

  // A directory opens but cannot be read: head is empty, the reader reports the error.
  const auto dir = source::TraceInput::open(r.path.string());
  CHECK(dir.head(16).empty());

  const auto in0 = source::TraceInput::open("-");
  CHECK(in0.is_stdin());
  CHECK(in0.display() == "<stdin>");
  CHECK(in0.fd() == STDIN_FILENO);
  CHECK(in0.head(16).empty());
  CHECK(in0.reopen_fd() == -1);
}

TEST_CASE("SysRoot::resolves follows links; exists does not", "[trace][source]")
{
  TempRoot r;
  r.write("a/file", "x");
  r.link("a/good", "file");
  r.link("a/bad", "gone");
  const source::SysRoot root(r.path);
  CHECK(root.exists("a/bad"));
  CHECK_FALSE(root.resolves("a/bad"));
  CHECK(root.resolves("a/good"));
  CHECK(root.is_directory("a"));
  CHECK_FALSE(root.is_directory("a/file"));
  CHECK(root.accessible("a", R_OK));
  CHECK_FALSE(root.accessible("nope", R_OK));
}

namespace {

struct Sources {
  TempRoot r;
  source::SysRoot root{r.path};
  machine::SourcePlan plan;
  machine::TraceSources src;
  std::vector<std::string> notices;

  Sources() : plan(args(r.path))
  {
    src.root = &root;
    src.plan = &plan;
    src.root_given = true;
    src.iomem = []() -> const model::AddressSpace& { throw SourceError("no iomem here"); };
    src.notice = [this](const std::string& m) { notices.push_back(m); };
  }
  static machine::SourceArgs args(const fs::path& p)
  {
    machine::SourceArgs a;
    a.root = p.string();
    return a;
  }
};

} // namespace

TEST_CASE("trace annotations: reserved regions through iommu::parse_reserved_regions",
          "[trace][source]")
{
  Sources s;
  s.r.write("sys/kernel/iommu_groups/3/reserved_regions",
            "0x00000000fee00000 0x00000000feefffff msi\n");
  s.r.write("sys/kernel/iommu_groups/4/reserved_regions",
            "0x00000000fee00000 0x00000000feefffff msi\ngarbage\n");
  s.r.write("sys/bus/pci/devices/0000:01:00.0/uevent", "");
  s.r.link("sys/bus/pci/devices/0000:01:00.0/driver", "../../../../bus/pci/drivers/nvme");
  s.r.link("sys/bus/pci/devices/0000:01:00.0/iommu_group", "../../../../kernel/iommu_groups/3");
  machine::TraceAnnotations ann(s.src, false);

  const auto g3 = ann.reserved(3);
  REQUIRE(g3);
  REQUIRE(g3->size() == 1);
  CHECK((*g3)[0].start == 0xfee00000);
  CHECK((*g3)[0].type == "msi");
  // A file the parser rejects: unknown, with a notice naming FILE:LINE (not a half list).
  CHECK_FALSE(ann.reserved(4));
  REQUIRE(s.notices.size() == 1);
  CHECK_THAT(s.notices[0], Catch::Contains("iommu_groups/4/reserved_regions:2:"));
  CHECK_FALSE(ann.reserved(9));  // no file: unknown

  const auto dev = ann.device("0000:01:00.0");
  CHECK(dev.known);
  CHECK(dev.driver == "nvme");
  CHECK(dev.iommu_group == 3);
  CHECK_FALSE(ann.device("0000:02:00.0").known);
  CHECK_FALSE(ann.phys(0x1000));  // the iomem loader threw: unknown, no crash

  // A saved trace without --root/--iomem is not annotated at all.
  s.src.root_given = false;
  machine::TraceAnnotations bare(s.src, false);
  CHECK_FALSE(bare.reserved(3));
  CHECK_FALSE(bare.device("0000:01:00.0").known);
}

TEST_CASE("trace device selection: --device forms and --driver errors", "[trace][source]")
{
  TempRoot r;
  r.write("sys/bus/pci/devices/0000:04:00.0/uevent", "");
  r.write("sys/bus/pci/drivers/nvme/bind", "");
  r.link("sys/bus/pci/drivers/nvme/0000:04:00.0", "../../devices/0000:04:00.0");
  r.write("sys/bus/pci/drivers/idle/bind", "");
  const source::SysRoot root(r.path);
  CHECK(machine::select_trace_devices(root, {"04:00.0,fe300000.dma", "nvme0"}, {}) ==
        std::vector<std::string>{"0000:04:00.0", "fe300000.dma", "nvme0"});
  CHECK(machine::select_trace_devices(root, {"4:0.0"}, {}) ==
        std::vector<std::string>{"0000:04:00.0"});
  CHECK(machine::select_trace_devices(root, {}, {"nvme"}) ==
        std::vector<std::string>{"0000:04:00.0"});
  CHECK_THROWS_WITH(machine::select_trace_devices(root, {}, {"nope"}),
                    Catch::Contains("trace --driver nope: no such driver"));
  CHECK_THROWS_WITH(machine::select_trace_devices(root, {}, {"idle"}),
                    "trace --driver idle: no device is bound to it");
}
