// The memory-block devices of /sys/devices/system/memory: which NUMA node holds a RAM
// address (each memoryN directory links its node).
#pragma once

#include <cstdint>
#include <optional>

#include <memmap/source/sysroot.hpp>

namespace memmap::source {

// The NUMA node of the memory block holding `addr`, or nullopt when the root has no
// memory-block sysfs (block_size_bytes missing or malformed, or no nodeN link).
std::optional<int> numa_node_of(const SysRoot& root, std::uint64_t addr);

} // namespace memmap::source
