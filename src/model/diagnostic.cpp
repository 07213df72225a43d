#include <memmap/model/diagnostic.hpp>

#include <fmt/format.h>

namespace memmap::model {

const char*
to_string(Severity s)
{
  switch (s) {
  case Severity::info:
    return "info";
  case Severity::warning:
    return "warning";
  case Severity::error:
    return "error";
  }
  return "unknown";
}

std::string
Diagnostic::located() const
{
  if (file.empty()) {
    return message;
  }
  if (line > 0) {
    return fmt::format("{}:{}: {}", file, line, message);
  }
  return fmt::format("{}: {}", file, message);
}

} // namespace memmap::model
