// Map-to-unmap lifetimes in decades, and the names of mapping kinds (tracker.hpp).
#include <memmap/trace/tracker.hpp>

namespace memmap::trace {

const char*
lifetime_bucket_label(int i)
{
  static constexpr const char* k_labels[k_lifetime_buckets] = {
    "<1us", "<10us", "<100us", "<1ms", "<10ms", "<100ms", "<1s", ">=1s"};
  return i >= 0 && i < k_lifetime_buckets ? k_labels[i] : "?";
}

void
Lifetimes::add(std::uint64_t ns)
{
  int b = 0;
  std::uint64_t limit = 1000;  // 1us
  while (b < k_lifetime_buckets - 1 && ns >= limit) {
    ++b;
    limit *= 10;
  }
  ++buckets[static_cast<std::size_t>(b)];
  ++count;
  sum_ns += ns;
  max_ns = std::max(max_ns, ns);
}

const char*
Lifetimes::quantile_label(double q) const
{
  if (count == 0) {
    return "-";
  }
  const auto want = static_cast<std::uint64_t>(q * static_cast<double>(count) + 0.999999);
  std::uint64_t seen = 0;
  for (int i = 0; i < k_lifetime_buckets; ++i) {
    seen += buckets[static_cast<std::size_t>(i)];
    if (seen >= want && seen > 0) {
      return lifetime_bucket_label(i);
    }
  }
  return lifetime_bucket_label(k_lifetime_buckets - 1);
}

const char*
to_string(MappingKind k)
{
  return k == MappingKind::coherent ? "coherent" : "streaming";
}

} // namespace memmap::trace
