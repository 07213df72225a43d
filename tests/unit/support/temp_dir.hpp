// A directory made for one test (mkdtemp under $TMPDIR) and removed with everything in it
// when the test ends: sysroots written file by file, dumps cut from corpus files, copies of
// fixtures to change. The one copy of what test_source_*, test_machine_passthrough,
// test_pci_lspci_text, test_pci_fidelity and test_pci_differential each had.
#pragma once

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

#include <stdlib.h>

namespace memmap::test {

struct TempDir {
  std::filesystem::path path;

  explicit TempDir(const std::string& tag = "unit")
  {
    std::string t = (std::filesystem::temp_directory_path() / ("memmap-" + tag + "-XXXXXX")).string();
    REQUIRE(::mkdtemp(t.data()) != nullptr);
    path = t;
  }
  ~TempDir()
  {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // Writes `data` to path/rel (byte for byte), making the directories above it.
  std::filesystem::path write(const std::string& rel, const std::string& data) const
  {
    const std::filesystem::path p = path / rel;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << data;
    return p;
  }
  void mkdir(const std::string& rel) const { std::filesystem::create_directories(path / rel); }
  // A symlink path/rel -> target (target as written: relative links stay relative).
  void link(const std::string& rel, const std::string& target) const
  {
    std::filesystem::create_directories((path / rel).parent_path());
    std::filesystem::create_directory_symlink(target, path / rel);
  }
  std::string str() const { return path.string(); }
};

} // namespace memmap::test
