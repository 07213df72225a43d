// memmap trace as data and runs: what the model knows about the traced devices and addresses
// (TraceAnnotations: drivers and IOMMU groups from sysfs, /proc/iomem regions with their NUMA
// node, group reserved regions), which devices to keep (--device / --driver, short lspci
// selectors), and the three runs: a saved trace (--input), a live capture from memmap's own
// tracefs instance, and CONFIG_DMA_API_DEBUG's dump. Output goes to a TraceOutput as it
// happens (render/trace_output.hpp writes text or JSON); the caller (cli/cmd_trace.cpp) only
// fills the request and the sources.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <memmap/machine/sources.hpp>
#include <memmap/model/address_space.hpp>
#include <memmap/source/sysroot.hpp>
#include <memmap/trace/capture.hpp>
#include <memmap/trace/dma_debug.hpp>
#include <memmap/trace/event.hpp>
#include <memmap/trace/report.hpp>
#include <memmap/trace/tracker.hpp>

namespace memmap::machine {

// The options of memmap trace.
struct TraceRequest {
  double interval = 1.0;            // live: seconds between interval outputs
  double duration = 0;              // live: stop after this many seconds (0: at a signal)
  std::uint64_t count = 0;          // stop after N events kept by the device filter (0: all)
  std::vector<std::string> devices; // --device, as given (repeated or comma-separated)
  std::vector<std::string> drivers; // --driver, as given
  bool events = false;              // every event is written too
  std::string input;                // --input FILE ("-": stdin); empty: live
  std::size_t buffer_kb = 2048;     // live: per-CPU ring buffer of memmap's instance
};

// What a trace run may read besides the trace (the caller's sources and options).
struct TraceSources {
  const source::SysRoot* root = nullptr;  // the root memmap reads from (live or --root)
  const SourcePlan* plan = nullptr;       // where each part of the model comes from
  bool root_given = false;                // --root DIR
  bool iomem_given = false;               // --iomem FILE
  bool json = false;                      // the output is JSON (live: no terminal view)
  // The machine's /proc/iomem (throws SourceError/InputError when it cannot be loaded).
  std::function<const model::AddressSpace&()> iomem;
  std::function<void(const std::string&)> notice;  // a one-time note on stderr
};

// What the model knows about devices and addresses, looked up lazily and kept.
class TraceAnnotations {
public:
  // `live`: the trace is this machine's, so its maps describe it. A saved trace may come
  // from any machine: it is annotated only with a machine the user named (--root, --iomem),
  // and with sysfs only beside --root.
  TraceAnnotations(const TraceSources& src, bool live);

  trace::DeviceInfo device(const std::string& dev);
  std::optional<trace::PhysInfo> phys(std::uint64_t addr);
  // nullopt: unknown (no sysfs, no reserved_regions file, or one iommu::parse_reserved_regions
  // rejects: a notice names FILE:LINE).
  std::optional<std::vector<trace::ReservedRegion>> reserved(int group);

  // The annotator of one output; `now_ns` is "now" in the trace clock (0: the last event).
  trace::Annotator annotator(std::uint64_t now_ns);

  std::set<std::string> untraced;  // live: events this kernel or these options do not trace

private:
  void load_numa();

  const TraceSources& m_src;
  bool m_annotate = false;                    // a map describes the traced machine
  const source::SysRoot* m_sysfs = nullptr;  // its sysfs, when it describes it too
  std::map<std::string, trace::DeviceInfo> m_devices;
  bool m_iomem_tried = false;
  const model::AddressSpace* m_iomem = nullptr;
  bool m_numa_loaded = false;
  std::uint64_t m_block_size = 0;
  std::map<std::uint64_t, int> m_block_node;
  std::map<int, std::optional<std::vector<trace::ReservedRegion>>> m_reserved;
};

// The device names to keep (empty: all), sorted. --device takes dev_name()s; PCI addresses
// may omit the domain ("01:00.0") or be any lspci -s form naming one function of `root`
// ("4:0.0"). --driver NAME adds every device bound to NAME (sysfs); throws UsageError for a
// driver that does not exist or has no device.
std::vector<std::string> select_trace_devices(const source::SysRoot& root,
                                              const std::vector<std::string>& devices,
                                              const std::vector<std::string>& drivers);

// How a live capture started.
struct LiveStart {
  trace::CaptureSetup setup;
  std::vector<std::string> devices;  // the device filter (empty: every device)
  double interval_s = 1;
  bool screen = false;  // stdout is a terminal: the live view is redrawn each interval
};

// Where a run's output goes, in the order it happens.
class TraceOutput {
public:
  virtual ~TraceOutput() = default;
  virtual void event(const trace::DmaEvent& ev) = 0;           // --events
  virtual void start(const LiveStart& s) = 0;                  // live, before any event
  // One live interval; `rows` is the terminal's height (screen only).
  virtual void interval(const trace::IntervalView& v, const trace::Annotator& a, int rows) = 0;
  virtual void summary(const trace::Summary& s, const trace::Annotator& a) = 0;
  virtual void dma_debug(const trace::DebugReport& r) = 0;
  virtual void problem(const std::string& msg) = 0;            // "memmap: MSG" on stderr
  // Flush; false when the output can take no more (a closed pipe).
  virtual bool flush() = 0;
};

// The runs; each returns memmap's exit status. Throw UsageError / SourceError / InputError
// as memmap(8) documents.
int run_offline_trace(const TraceRequest& req, const TraceSources& src, TraceOutput& out);
int run_live_trace(const TraceRequest& req, const TraceSources& src, TraceOutput& out);
int run_dma_debug(const TraceSources& src, TraceOutput& out);

} // namespace memmap::machine
