#include <catch2/catch.hpp>

#include <memmap/error.hpp>
#include <memmap/source/archive.hpp>
#include <memmap/source/snapshot_sink.hpp>
#include <memmap/source/sysroot.hpp>

#include <archive.h>
#include <archive_entry.h>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <unistd.h>

#include "support/fixtures.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;
using namespace memmap::source;

namespace {

using memmap::test::slurp;
using memmap::test::TempDir;

// A .tar.gz with the given entries (type 'f' file, 'l' symlink, 'd' directory).
void
make_tarball(const fs::path& out,
             const std::vector<std::tuple<char, std::string, std::string>>& entries)
{
  archive* a = archive_write_new();
  archive_write_add_filter_gzip(a);
  archive_write_set_format_pax_restricted(a);
  REQUIRE(archive_write_open_filename(a, out.c_str()) == ARCHIVE_OK);
  for (const auto& [type, path, data] : entries) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, path.c_str());
    archive_entry_set_perm(e, 0644);
    if (type == 'f') {
      archive_entry_set_filetype(e, AE_IFREG);
      archive_entry_set_size(e, static_cast<la_int64_t>(data.size()));
    } else if (type == 'l') {
      archive_entry_set_filetype(e, AE_IFLNK);
      archive_entry_set_symlink(e, data.c_str());
    } else {
      archive_entry_set_filetype(e, AE_IFDIR);
    }
    archive_write_header(a, e);
    if (type == 'f') {
      archive_write_data(a, data.data(), data.size());
    }
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
}

} // namespace

TEST_CASE("directory sink writes files, links and parents, and nothing else", "[snapshot]")
{
  TempDir t;
  const auto out = t.path / "snap";
  {
    auto sink = open_snapshot_sink(out, false, 0);
    sink->file("proc/iomem", "00000000-00000fff : Reserved\n");
    sink->symlink("sys/bus/pci/devices/0000:00:01.0", "../../../devices/pci0000:00/0000:00:01.0");
    sink->directory("sys/devices/pci0000:00/0000:00:01.0");
    sink->directory("sys/devices/pci0000:00/0000:00:01.0");  // twice: made once
    sink->finish();
    CHECK(sink->files() == 1);
    CHECK(sink->links() == 1);
    // proc, sys, sys/bus, sys/bus/pci, sys/bus/pci/devices, sys/devices, .../pci0000:00, .../01.0
    CHECK(sink->directories() == 8);
    CHECK_THROWS_AS(sink->file("proc/iomem", "again"), std::logic_error);
    for (const char* bad : {"../escape", "/abs", "a/../b", "a//b", "a/./b", ""}) {
      INFO(bad);
      CHECK_THROWS_AS(sink->file(bad, "x"), std::logic_error);
    }
  }
  CHECK(slurp(out / "proc/iomem") == "00000000-00000fff : Reserved\n");
  CHECK(fs::read_symlink(out / "sys/bus/pci/devices/0000:00:01.0")
        == "../../../devices/pci0000:00/0000:00:01.0");
  CHECK(fs::is_directory(out / "sys/bus/pci/devices/0000:00:01.0"));  // resolves inside
  CHECK_FALSE(fs::exists(t.path / "escape"));
}

TEST_CASE("directory sink: non-empty OUT needs --force, and --force only replaces snapshots",
          "[snapshot]")
{
  TempDir t;
  const auto out = t.path / "snap";
  fs::create_directories(out / "proc");
  std::ofstream(out / "proc/iomem") << "old\n";
  CHECK_THROWS_AS(open_snapshot_sink(out, false, 0), memmap::UsageError);
  CHECK(slurp(out / "proc/iomem") == "old\n");
  {
    auto sink = open_snapshot_sink(out, true, 0);
    CHECK_FALSE(fs::exists(out / "proc/iomem"));  // the previous snapshot is gone
    sink->file("proc/iomem", "new\n");
    sink->finish();
  }
  CHECK(slurp(out / "proc/iomem") == "new\n");

  std::ofstream(out / "thesis.tex") << "precious\n";
  CHECK_THROWS_AS(open_snapshot_sink(out, true, 0), memmap::UsageError);
  CHECK(slurp(out / "thesis.tex") == "precious\n");
  CHECK(slurp(out / "proc/iomem") == "new\n");

  fs::create_symlink(out, t.path / "link");
  CHECK_THROWS_AS(open_snapshot_sink(t.path / "link", true, 0), memmap::UsageError);
  std::ofstream(t.path / "file") << "x";
  CHECK_THROWS_AS(open_snapshot_sink(t.path / "file", true, 0), memmap::UsageError);
}

TEST_CASE("tarball sink round-trips through unpack_snapshot", "[snapshot][archive]")
{
  TempDir t;
  const auto out = t.path / "host1.tar.gz";
  {
    auto sink = open_snapshot_sink(out, false, 1700000000);
    sink->file("proc/iomem", "00000000-00000fff : Reserved\n");
    sink->file("sys/devices/pci0000:00/0000:00:01.0/config", std::string("\x86\x80\0\0", 4));
    sink->symlink("sys/bus/pci/devices/0000:00:01.0", "../../../devices/pci0000:00/0000:00:01.0");
    sink->finish();
  }
  CHECK_THROWS_AS(open_snapshot_sink(out, false, 0), memmap::UsageError);  // exists
  auto u = unpack_snapshot(out);
  REQUIRE(u);
  CHECK(u->root().filename() == "host1");  // one top-level directory named after the file
  SysRoot root(u->root());
  CHECK(root.read_beneath("proc/iomem").data == "00000000-00000fff : Reserved\n");
  CHECK(root.read_beneath("sys/bus/pci/devices/0000:00:01.0/config").data
        == std::string("\x86\x80\0\0", 4));
  const auto temp = u->root().parent_path();
  u.reset();
  CHECK_FALSE(fs::exists(temp));  // removed with the object
}

TEST_CASE("a partial tarball is removed when the sink is not finished", "[snapshot][archive]")
{
  TempDir t;
  const auto out = t.path / "x.tgz";
  {
    auto sink = open_snapshot_sink(out, false, 0);
    sink->file("proc/iomem", "x");
  }
  CHECK_FALSE(fs::exists(out));
}

TEST_CASE("unpack_snapshot refuses hostile archives", "[snapshot][archive]")
{
  TempDir t;
  struct Case {
    const char* name;
    std::vector<std::tuple<char, std::string, std::string>> entries;
  };
  const std::vector<Case> cases = {
    {"dotdot", {{'f', "snap/../../evil", "x"}}},
    {"absolute", {{'f', "/tmp/memmap-evil-absolute", "x"}}},
    {"abs-link", {{'l', "snap/sys/etc", "/etc"}}},
    {"climbing-link", {{'l', "snap/sys/etc", "../../../etc"}}},
    {"through-link", {{'d', "snap", ""}, {'l', "snap/up", "."}, {'f', "snap/up/../../evil", "x"}}},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    const auto tar = t.path / (std::string(c.name) + ".tar.gz");
    make_tarball(tar, c.entries);
    CHECK_THROWS_AS(unpack_snapshot(tar), memmap::InputError);
  }
  CHECK_FALSE(fs::exists(t.path / "evil"));
  CHECK_FALSE(fs::exists("/tmp/memmap-evil-absolute"));

  const auto junk = t.path / "junk.tar.gz";
  std::ofstream(junk) << "not an archive at all\n";
  CHECK_THROWS_AS(unpack_snapshot(junk), memmap::InputError);
  CHECK_THROWS_AS(unpack_snapshot(t.path / "missing.tar.gz"), memmap::SourceError);
}
