// Paths the user names on the command line: what they are (stat) and writing an output file
// (--svg FILE, --junit FILE, ...). Like sysroot.hpp, the only code that touches them.
#pragma once

#include <filesystem>
#include <functional>
#include <iosfwd>
#include <string>

namespace memmap::source {

// stat(2) follows links; false when the path is missing or cannot be stat'ed.
bool is_regular_file(const std::filesystem::path& p);
bool is_directory(const std::filesystem::path& p);

// What a path names, and why not when it cannot be stat'ed ("No such file or directory").
struct PathKind {
  enum Kind { missing, directory, regular, other } kind = missing;
  std::string error;  // the stat error; "" when stat succeeded
};
PathKind path_kind(const std::filesystem::path& p);

// True when `p` is `dir` or lies beneath it once both are made canonical as far as they
// exist (links resolved): a copy of `dir` must not be written there.
bool is_within(const std::filesystem::path& p, const std::filesystem::path& dir);

// Create or truncate `path` and let `write` fill it. Returns "" when done, else the reason
// ("cannot write: No such file or directory", "write failed: No space left on device").
std::string write_output_file(const std::string& path,
                              const std::function<void(std::ostream&)>& write);

} // namespace memmap::source
