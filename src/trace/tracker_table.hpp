// The tracker's keyed tables of live mappings (single, coherent, sg) and what each entry
// holds. Private to src/trace (tracker.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include <memmap/trace/tracker.hpp>

namespace memmap::trace::tracker_detail {

// dma_map_sg records at most this many entries since the 2026 cap (daafcc0ef0b3); the sg
// key uses the same prefix on both sides so truncated maps still match their unmaps.
inline constexpr std::size_t k_sg_key_entries = 128;
// The "was unmapped before" sets only serve to tell double unmaps from unknown ones; they
// are cleared when they reach this size so memory stays bounded on endless traces.
inline constexpr std::size_t k_unmapped_memory = std::size_t{1} << 16;

inline std::uint64_t
mix(std::uint64_t h, std::uint64_t v)
{
  // splitmix64-style combine
  h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h;
}

struct SingleKey {
  std::uint32_t dev = 0;
  std::uint64_t addr = 0;
  bool operator==(const SingleKey&) const = default;
};

struct SingleKeyHash {
  std::size_t operator()(const SingleKey& k) const
  {
    return static_cast<std::size_t>(mix(k.dev, k.addr * 0xff51afd7ed558ccdULL));
  }
};

struct SgKey {
  std::uint32_t dev = 0;
  std::vector<std::uint64_t> phys;
  bool operator==(const SgKey&) const = default;
};

struct SgKeyHash {
  std::size_t operator()(const SgKey& k) const
  {
    std::uint64_t h = k.dev;
    for (auto p : k.phys) {
      h = mix(h, p);
    }
    return static_cast<std::size_t>(h);
  }
};

struct Entry {
  EventType type = EventType::dma_map_phys;
  MappingKind kind = MappingKind::streaming;
  bool sg = false;
  std::uint64_t dma_addr = 0;
  std::uint64_t phys_addr = 0;
  bool has_phys = false;
  std::uint64_t size = 0;
  DmaDir dir = DmaDir::bidirectional;
  std::uint64_t attrs = 0;
  std::uint64_t ts_ns = 0;
  int nents = 0;
  bool truncated = false;
  bool live = true;  // false: unmapped/freed, kept to tell double unmaps from unknown ones
};

// One hash table per kind of key. Unmapped entries stay (live = false) until they are more
// than the live ones and k_unmapped_memory: then they are swept, so memory stays bounded.
template <typename Key, typename Hash>
struct Table {
  std::unordered_map<Key, Entry, Hash> map;
  std::size_t dead = 0;

  // Insert a live entry; returns the live entry it replaced (a remap), if any.
  bool insert(const Key& key, const Entry& e, Entry& replaced)
  {
    auto [it, inserted] = map.try_emplace(key, e);
    if (inserted) {
      return false;
    }
    const bool was_live = it->second.live;
    if (was_live) {
      replaced = it->second;
    } else {
      --dead;
    }
    it->second = e;
    return was_live;
  }

  enum class Found { live, dead, none };
  // Mark the entry of `key` unmapped; `out` gets it when it was live.
  Found remove(const Key& key, Entry& out)
  {
    auto it = map.find(key);
    if (it == map.end()) {
      return Found::none;
    }
    if (!it->second.live) {
      return Found::dead;
    }
    out = it->second;
    it->second.live = false;
    if (++dead > k_unmapped_memory && dead > map.size() / 2) {
      std::erase_if(map, [](const auto& kv) { return !kv.second.live; });
      dead = 0;
    }
    return Found::live;
  }
};

inline std::uint64_t
sum(const std::vector<std::uint64_t>& v)
{
  std::uint64_t s = 0;
  for (auto x : v) {
    s += x;
  }
  return s;
}

} // namespace memmap::trace::tracker_detail
