// A problem found while reading or analysing a source: kept as data, never printed here.
#pragma once

#include <string>

namespace memmap::model {

enum class Severity { info, warning, error };

const char* to_string(Severity s);

struct Diagnostic {
  Severity severity = Severity::warning;
  std::string id;       // stable identifier, e.g. "iomem-overlap"
  std::string file;     // the source file as the user named it
  int line = 0;         // 1-based line in `file`, 0 when not line-bound
  std::string message;  // one line, no trailing period needed

  // "FILE:LINE: message" (or "FILE: message").
  std::string located() const;
};

} // namespace memmap::model
