// Saved text traces read as a stream (a file or a pipe, in large blocks), line by line
// through parse_trace_line (text_event.cpp).
#include <memmap/trace/text_parser.hpp>

#include <cerrno>
#include <cstring>
#include <unistd.h>

#include <fmt/format.h>

#include <memmap/error.hpp>

namespace memmap::trace {

namespace {

constexpr std::size_t k_max_errors = 10;

} // namespace

namespace {

class StreamState {
public:
  StreamState(const std::string& display, const EventSink& sink)
    : m_display(display), m_sink(sink)
  {
  }

  void line(std::string_view text)
  {
    ++m_stats.lines;
    const LineResult r = parse_trace_line(text, m_ev);
    switch (r.kind) {
    case LineKind::event:
      ++m_stats.records;
      ++m_stats.events;
      m_sink.event(m_ev);
      break;
    case LineKind::lost:
      m_stats.lost += r.lost;
      if (m_sink.lost) {
        m_sink.lost(r.lost);
      }
      break;
    case LineKind::record:
      ++m_stats.records;
      break;
    case LineKind::malformed:
      ++m_stats.records;
      ++m_stats.malformed;
      if (m_stats.first_errors.size() < k_max_errors) {
        m_stats.first_errors.push_back(
          fmt::format("{}:{}: {}: {}", m_display, m_stats.lines, event_name(m_ev.type), r.error));
      }
      break;
    case LineKind::other:
      break;
    }
  }

  void block(std::string_view data)
  {
    while (!data.empty()) {
      const void* nl = std::memchr(data.data(), '\n', data.size());
      if (nl == nullptr) {
        m_partial.append(data);
        return;
      }
      const auto n = static_cast<std::size_t>(static_cast<const char*>(nl) - data.data());
      if (!m_partial.empty()) {
        m_partial.append(data.substr(0, n));
        line(m_partial);
        m_partial.clear();
      } else {
        line(data.substr(0, n));
      }
      data.remove_prefix(n + 1);
    }
  }

  TextStats finish()
  {
    if (!m_partial.empty()) {
      line(m_partial);
      m_partial.clear();
    }
    return m_stats;
  }

private:
  const std::string& m_display;
  const EventSink& m_sink;
  TextStats m_stats;
  DmaEvent m_ev;
  std::string m_partial;
};

} // namespace

TextStats
read_text_trace(std::string_view text, const std::string& display, const EventSink& sink)
{
  StreamState st(display, sink);
  st.block(text);
  return st.finish();
}

TextStats
read_text_trace(int fd, const std::string& display, const EventSink& sink,
                const std::function<bool()>& stop)
{
  StreamState st(display, sink);
  std::vector<char> buf(std::size_t{1} << 20);
  while (true) {
    if (stop && stop()) {
      break;
    }
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw SourceError(fmt::format("{}: {}", display, std::strerror(errno)));
    }
    if (n == 0) {
      break;
    }
    st.block(std::string_view(buf.data(), static_cast<std::size_t>(n)));
  }
  return st.finish();
}

} // namespace memmap::trace
