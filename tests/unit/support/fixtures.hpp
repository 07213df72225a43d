// Where the unit tests find their data, and what they need from the machine.
//   fixture("x")      MEMMAP_SOURCE_DIR/fixtures/x (committed: always there)
//   corpus_dir("x")   ../shared/corpus/x (next to the clone; may be missing on a developer's
//                     machine): a missing corpus FAILs with "corpus missing: ../shared/corpus
//                     (...)", never an obscure assertion further on
//   require_lspci()   lspci (pciutils) on PATH, or FAIL saying so
// Tests that call corpus_dir are tagged [corpus], those that run lspci [lspci], those that
// read the live machine [live]: tests/CMakeLists.txt runs each such tag as its own ctest
// entry behind tests/unit/support/need.sh, which reports it Skipped (with the reason) where
// the prerequisite is missing.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace memmap::test {

inline std::string
source_path(const std::string& rel)
{
  return std::string(MEMMAP_SOURCE_DIR) + "/" + rel;
}

inline std::string
fixture(const std::string& rel)
{
  return source_path("fixtures/" + rel);
}

// The whole file, byte for byte; a file that cannot be opened fails the test, naming it.
inline std::string
slurp(const std::filesystem::path& p)
{
  std::ifstream in(p, std::ios::binary);
  INFO("reading " << p.string());
  REQUIRE(in.good());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::filesystem::path
corpus_dir(const std::string& sub)
{
  const std::filesystem::path dir = std::filesystem::path(MEMMAP_SHARED_DIR) / "corpus" / sub;
  if (!std::filesystem::is_directory(dir)) {
    FAIL("corpus missing: ../shared/corpus (" << dir.string()
                                              << " is not a directory: the tests expect this "
                                                 "repository cloned next to shared/)");
  }
  return dir;
}

// The files in corpus_dir(sub) whose name ends in `ext`, sorted; none is a failure.
inline std::vector<std::filesystem::path>
corpus_files(const std::string& sub, const std::string& ext = ".txt")
{
  const auto dir = corpus_dir(sub);
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ext) {
      files.push_back(e.path());
    }
  }
  std::sort(files.begin(), files.end());
  INFO("corpus " << dir.string() << ": no *" << ext << " files");
  REQUIRE_FALSE(files.empty());
  return files;
}

inline bool
have_lspci()
{
  return std::system("lspci --version >/dev/null 2>&1") == 0;
}

inline void
require_lspci()
{
  if (!have_lspci()) {
    FAIL("lspci missing: `lspci --version` failed (install pciutils; libpci comes with it)");
  }
}

// A path the live tests read; missing is a failure that names it (the ctest entry skips first).
inline void
require_path(const std::filesystem::path& p)
{
  if (!std::filesystem::exists(p)) {
    FAIL("not on this machine: " << p.string());
  }
}

} // namespace memmap::test
