// Live capture: memmap's own tracefs instance (instances/memmap-PID), the DMA events this
// kernel has (found from their format files), device filters written into the kernel's
// per-event `filter` files, and the per-CPU raw buffers drained and decoded with
// libtraceevent. The top-level tracing state (tracing_on, set_event, current_tracer,
// buffers) is never written. The instance is removed by close() and the destructor.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <memmap/trace/text_parser.hpp>  // EventSink

namespace memmap::trace {

struct CaptureOptions {
  std::vector<std::string> devices;  // exact dev_name()s to keep (empty: every device)
  std::size_t buffer_kb = 2048;      // per-CPU ring buffer of the instance
  bool iommu_page_table = true;      // iommu:map/unmap (no device: off when devices are set)
};

struct CaptureSetup {
  std::string tracing_dir;            // "/sys/kernel/tracing"
  bool mounted = false;               // memmap mounted tracefs there
  std::string instance;               // "memmap-1234"
  std::vector<std::string> enabled;   // "dma/dma_map_phys", ...
  std::vector<std::string> filtered;  // events whose kernel filter holds the device list
  std::vector<std::string> unfiltered;  // filter rejected by the kernel: filtered in memmap
  std::vector<std::string> stale_removed;  // instances of dead memmap processes removed
  std::vector<std::string> missing;   // iommu/swiotlb events this kernel lacks
};

class LiveCapture {
public:
  // Finds (or mounts) tracefs, checks privileges and events, creates the instance, writes
  // filters, enables events. Throws SourceError saying exactly what is missing (root,
  // tracefs, which events).
  explicit LiveCapture(const CaptureOptions& opts);
  ~LiveCapture();
  LiveCapture(const LiveCapture&) = delete;
  LiveCapture& operator=(const LiveCapture&) = delete;

  const CaptureSetup& setup() const;

  // Read everything the per-CPU buffers hold now, oldest first across CPUs, calling the
  // sink for each counted event (and `lost` for overflows). The sink's event callback may
  // ask to stop by setting *stop. Returns the number of records read.
  std::size_t drain(const EventSink& sink, const bool* stop = nullptr);

  // Disable events and remove the instance (idempotent; the destructor calls it).
  void close();

private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

// Name of the instance a process with `pid` uses ("memmap-PID"), and whether `name` is
// one ("memmap-" followed by digits; the pid is stored in *pid).
std::string instance_name(long pid);
bool parse_instance_name(const std::string& name, long* pid);

} // namespace memmap::trace
