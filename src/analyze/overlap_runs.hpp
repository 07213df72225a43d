// Overlap runs: the connected stretches of a list of closed intervals, found in one sweep.
// k intervals that decode one range are one run, not k(k-1)/2 pairs, so the findings of an
// overlap check grow with the machine, not with its square. Private to src/analyze.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace memmap::analyze::detail {

// `items` sorted by start (and by any key that must break a run, e.g. I/O before memory);
// `start(x)`/`end(x)` give the closed interval; `same_run(a, b)` may refuse to join two
// neighbours (another address space). Calls `report(first, count)` for each run of two or
// more items where each starts at or before the highest end of the items before it.
template <typename T, typename Start, typename End, typename SameRun, typename Report>
void
overlap_runs(const std::vector<T>& items, Start start, End end, SameRun same_run, Report report)
{
  std::size_t first = 0;
  std::uint64_t reach = 0;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const bool joins = i > first && start(items[i]) <= reach && same_run(items[i - 1], items[i]);
    if (!joins) {
      if (i - first >= 2) {
        report(first, i - first);
      }
      first = i;
      reach = end(items[i]);
      continue;
    }
    reach = end(items[i]) > reach ? end(items[i]) : reach;
  }
  if (items.size() - first >= 2) {
    report(first, items.size() - first);
  }
}

} // namespace memmap::analyze::detail
