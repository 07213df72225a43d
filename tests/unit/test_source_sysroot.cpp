#include <catch2/catch.hpp>

#include <memmap/source/sysroot.hpp>

#include <cerrno>
#include <filesystem>
#include <unistd.h>

#include "support/fixtures.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;
using memmap::source::resolve_link_target;
using memmap::source::SysRoot;
using memmap::test::TempDir;

TEST_CASE("resolve_link_target: relative links inside the sysroot", "[sysroot]")
{
  CHECK(resolve_link_target("sys/bus/pci/devices/0000:00:01.0",
                            "../../../devices/pci0000:00/0000:00:01.0")
        == "sys/devices/pci0000:00/0000:00:01.0");
  CHECK(resolve_link_target("sys/devices/pci0000:00/0000:00:01.0/driver",
                            "../../../bus/pci/drivers/virtio-pci")
        == "sys/bus/pci/drivers/virtio-pci");
  CHECK(resolve_link_target("a/b", "./c/./d/") == "a/c/d");
  // Out of the tree: absolute, climbing above the root, empty.
  CHECK_FALSE(resolve_link_target("sys/x", "/etc"));
  CHECK_FALSE(resolve_link_target("sys/x", "../../etc"));
  CHECK_FALSE(resolve_link_target("sys/x", ""));
  CHECK_FALSE(resolve_link_target("x", ".."));
}

TEST_CASE("read_beneath refuses links that leave the sysroot", "[sysroot]")
{
  TempDir outside;
  outside.write("secret", "outside\n");
  TempDir t;
  t.write("proc/iomem", "00000000-00000fff : Reserved\n");
  fs::create_directories(t.path / "sys");
  fs::create_symlink(outside.path / "secret", t.path / "sys/absolute");
  fs::create_symlink("../../" + outside.path.filename().string() + "/secret", t.path / "sys/climb");
  fs::create_symlink("../proc/iomem", t.path / "sys/inside");
  fs::create_symlink(outside.path, t.path / "sys/dirlink");
  SysRoot root(t.path);

  CHECK(root.read_beneath("proc/iomem").data == "00000000-00000fff : Reserved\n");
  CHECK(root.read_beneath("sys/inside").data == "00000000-00000fff : Reserved\n");
  for (const char* rel : {"sys/absolute", "sys/climb", "sys/dirlink/secret", "../"}) {
    auto r = root.read_beneath(rel);
    INFO(rel << ": " << r.message);
    CHECK_FALSE(r.ok);
    CHECK(r.data.empty());
  }
  CHECK(root.read_beneath("sys/absolute").error == EXDEV);
  CHECK_FALSE(root.list_beneath("sys/dirlink"));
  // The plain reader used by the commands still follows them (--root DIR is trusted input
  // for reading; only copying must stay inside).
  CHECK(root.read("sys/absolute").data == "outside\n");
}

TEST_CASE("entry and read_link describe links without following them", "[sysroot]")
{
  TempDir t;
  t.write("sys/devices/pci0000:00/0000:00:01.0/vendor", "0x1af4\n");
  fs::create_directories(t.path / "sys/bus/pci/devices");
  fs::create_symlink("../../../devices/pci0000:00/0000:00:01.0",
                     t.path / "sys/bus/pci/devices/0000:00:01.0");
  SysRoot root(t.path);
  CHECK(root.entry("sys/bus/pci/devices/0000:00:01.0").type == SysRoot::EntryType::symlink);
  CHECK(root.entry("sys/bus/pci/devices/0000:00:01.0/vendor").type == SysRoot::EntryType::file);
  CHECK(root.entry("sys/bus/pci/devices/0000:00:01.0/vendor").size == 7);
  CHECK(root.entry("sys/devices").type == SysRoot::EntryType::directory);
  CHECK(root.entry("sys/nothing").type == SysRoot::EntryType::missing);
  CHECK(root.read_link("sys/bus/pci/devices/0000:00:01.0")
        == "../../../devices/pci0000:00/0000:00:01.0");
  CHECK_FALSE(root.read_link("sys/devices"));
  const auto names = root.list_beneath("sys/bus/pci/devices/0000:00:01.0");
  REQUIRE(names);
  CHECK(*names == std::vector<std::string>{"vendor"});
}

TEST_CASE("read_beneath on the live machine reads proc through /proc/self", "[sysroot][live]")
{
  memmap::test::require_path("/proc/self/mountinfo");  // ctest skips unit.live.procfs without it
  SysRoot live;
  auto r = live.read_beneath("proc/self/mountinfo");
  INFO(r.message);
  CHECK(r.ok);
  CHECK(r.data.find(" / ") != std::string::npos);
}
