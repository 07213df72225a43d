// Errors that end a command, and the exit codes they map to.
#pragma once

#include <stdexcept>
#include <string>

namespace memmap {

// Documented exit codes (memmap(8), EXIT STATUS).
enum ExitCode : int {
  k_exit_ok = 0,
  k_exit_findings = 1,    // audit findings at/above threshold, diff found differences
  k_exit_bad_input = 2,   // malformed input file or bad usage
  k_exit_unreadable = 3,  // a source could not be read at all (missing, no permission)
};

// A malformed input: the message already names FILE:LINE (or offset). Exit 2.
class InputError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

// A source that could not be read at all (missing file, permission). Exit 3.
class SourceError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

// Bad command-line usage detected after parsing (e.g. a bad selector). Exit 2.
class UsageError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

} // namespace memmap
