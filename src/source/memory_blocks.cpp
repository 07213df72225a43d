#include <memmap/source/memory_blocks.hpp>

#include <charconv>
#include <string>

#include <fmt/format.h>

namespace memmap::source {

std::optional<int>
numa_node_of(const SysRoot& root, std::uint64_t addr)
{
  const auto bs = root.read_line("sys/devices/system/memory/block_size_bytes");
  if (!bs) {
    return std::nullopt;
  }
  std::uint64_t block = 0;
  auto [p, ec] = std::from_chars(bs->data(), bs->data() + bs->size(), block, 16);
  if (ec != std::errc() || p != bs->data() + bs->size() || block == 0) {
    return std::nullopt;
  }
  const std::string dir = fmt::format("sys/devices/system/memory/memory{}", addr / block);
  for (const auto& e : root.list(dir)) {
    if (e.rfind("node", 0) == 0 && e.size() > 4) {
      int n = 0;
      auto [q, ec2] = std::from_chars(e.data() + 4, e.data() + e.size(), n);
      if (ec2 == std::errc() && q == e.data() + e.size()) {
        return n;
      }
    }
  }
  return std::nullopt;
}

} // namespace memmap::source
