#include <memmap/util/size.hpp>

#include <fmt/format.h>

namespace memmap::util {

std::string
size_text(std::uint64_t bytes)
{
  static constexpr const char* k_units[] = {"B", "K", "M", "G", "T", "P", "E"};
  constexpr std::uint64_t k_exact_limit = 10000;  // at most four digits
  int exact = 0;
  while (exact < 6 && bytes != 0 && bytes % (std::uint64_t{1} << (10 * (exact + 1))) == 0) {
    ++exact;
  }
  if ((bytes >> (10 * exact)) < k_exact_limit) {
    return fmt::format("{}{}", bytes >> (10 * exact), k_units[exact]);
  }
  int unit = 0;
  while (unit < 6 && bytes >= (std::uint64_t{1} << (10 * (unit + 1)))) {
    ++unit;
  }
  const double v = static_cast<double>(bytes) / static_cast<double>(std::uint64_t{1} << (10 * unit));
  std::string s = fmt::format("{:.1f}", v);
  if (s == "1024.0" && unit < 6) {  // rounding carried into the next unit
    return fmt::format("1.0{}", k_units[unit + 1]);
  }
  return s + k_units[unit];
}

} // namespace memmap::util
