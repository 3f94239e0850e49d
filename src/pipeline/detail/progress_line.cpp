#include "pipeline/detail/progress_line.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace gb::pipeline::detail {
namespace {

constexpr int kMinBar = 10;        // brackets included; narrower says nothing
constexpr int kPreferredBar = 20;  // words are shortened before the bar gets narrower than this
constexpr int kMaxBar = 32;
constexpr std::size_t kMaxState = 16;
constexpr char kSpinner[] = {'-', '\\', '|', '/'};

// One part of a line in its forms, longest first; "" leaves it out.
struct Part {
  std::vector<std::string> forms;
  std::size_t chosen = 0;
  const std::string& text() const { return forms[chosen]; }
};

// Parts joined by single spaces; an optional bar after part `bar_after`,
// as wide as the room left (up to kMaxBar) or left out.
class Layout {
 public:
  int add(std::vector<std::string> forms) {
    parts_.push_back({std::move(forms)});
    return static_cast<int>(parts_.size()) - 1;
  }
  void bar_after(int part, double fraction) {
    bar_after_ = part;
    fraction_ = std::clamp(fraction, 0.0, 1.0);
  }
  void drop_bar() { bar_after_ = -1; }
  // Moves `part` to its next shorter form; false when it has none.
  bool shorten(int part) {
    Part& p = parts_[static_cast<std::size_t>(part)];
    if (p.chosen + 1 >= p.forms.size()) return false;
    ++p.chosen;
    return true;
  }
  // With a bar of `bar` columns, if there is one.
  std::size_t length(int bar = kMinBar) const {
    std::size_t n = 0;
    for (const auto& p : parts_) {
      if (p.text().empty()) continue;
      n += (n == 0 ? 0 : 1) + p.text().size();
    }
    return n + (bar_after_ >= 0 ? 1 + static_cast<std::size_t>(bar) : 0);
  }
  std::string render(int width) const {
    int bar = 0;
    if (bar_after_ >= 0) {
      bar = width <= 0 ? 0 : std::min<int>(kMaxBar, width - static_cast<int>(length()) + kMinBar);
      if (bar < kMinBar) bar = 0;
    }
    std::string out;
    for (std::size_t i = 0; i < parts_.size(); ++i) {
      const std::string& text = parts_[i].text();
      if (!text.empty()) {
        if (!out.empty()) out += ' ';
        out += text;
      }
      if (bar > 0 && static_cast<int>(i) == bar_after_) {
        const int inner = bar - 2;
        const int filled = static_cast<int>(inner * fraction_);
        out += fmt::format(" [{}{}]", std::string(static_cast<std::size_t>(filled), '#'),
                           std::string(static_cast<std::size_t>(inner - filled), '.'));
      }
    }
    return out;
  }

 private:
  std::vector<Part> parts_;
  int bar_after_ = -1;
  double fraction_ = 0;
};

// The unit of `count` things: "1 page", "7 pages".
std::string counted(std::uint64_t n, std::string_view unit) {
  std::string_view singular = unit.substr(0, unit.size() - 1);
  return fmt::format("{} {}", compact_count(n), n == 1 ? singular : unit);
}

}  // namespace

std::string compact_count(std::uint64_t n) {
  if (n < 1000) return std::to_string(n);
  static constexpr const char* kSuffix[] = {"k", "M", "G", "T", "P", "E"};
  double v = static_cast<double>(n);
  for (const char* suffix : kSuffix) {
    v /= 1000.0;
    // 9.95 would print as "10.0": round first, then choose the form.
    if (v < 9.95) return fmt::format("{:.1f}{}", v, suffix);
    if (v < 999.5) return fmt::format("{:.0f}{}", v, suffix);
  }
  return "huge";
}

std::string compact_bytes(double bytes) {
  if (bytes < 999.5) return fmt::format("{:.0f} B", std::max(0.0, bytes));
  static constexpr const char* kUnit[] = {"kB", "MB", "GB", "TB", "PB"};
  double v = bytes;
  for (const char* unit : kUnit) {
    v /= 1000.0;
    if (v < 9.95) return fmt::format("{:.1f} {}", v, unit);
    if (v < 999.5) return fmt::format("{:.0f} {}", v, unit);
  }
  return fmt::format("{:.0f} PB", v);
}

std::string short_duration(Duration d) {
  const auto s = std::max<std::int64_t>(0, std::chrono::duration_cast<std::chrono::seconds>(d).count());
  if (s >= 3600) return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
  if (s >= 60) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}s", s);
}

std::vector<std::string> shorten_ids(const std::vector<std::string>& ids, std::size_t min_length) {
  std::vector<std::string> out;
  out.reserve(ids.size());
  for (const auto& id : ids) {
    std::size_t n = std::min(min_length, id.size());
    // Longer while another, different id starts the same way.
    for (const auto& other : ids) {
      if (other == id) continue;
      std::size_t common = 0;
      while (common < id.size() && common < other.size() && id[common] == other[common]) ++common;
      n = std::max(n, std::min(common + 1, id.size()));
    }
    out.push_back(id.substr(0, n));
  }
  return out;
}

std::string printable(std::string_view text, std::size_t max) {
  std::string out;
  for (const char c : text.substr(0, max)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return out;
}

std::string render_line(const LineView& v, int width) {
  using Phase = LineView::Phase;
  Layout layout;
  const int type = layout.add({printable(v.type, 40), printable(v.type, 12), printable(v.type, 6)});
  const int id = layout.add({printable(v.job_id, 40), ""});
  // The steps that make a line shorter, in order, until it fits.
  std::vector<int> steps;
  if (v.phase == Phase::kStarting) {
    layout.add({"starting"});
  } else if (v.phase == Phase::kWaiting) {
    const std::string state = printable(v.state.empty() ? "waiting" : v.state, kMaxState);
    const std::string waited = short_duration(v.waited);
    const int status = layout.add({state + " for " + waited, state + " " + waited, state});
    int next = -1;
    if (v.next_poll) {
      const auto s = std::chrono::ceil<std::chrono::seconds>(*v.next_poll).count();
      next = layout.add({fmt::format("next poll in {}s", s), fmt::format("next {}s", s), ""});
    }
    steps = {next, status, id, next, status, type, type};
  } else {
    const bool finished = v.phase == Phase::kDone || v.phase == Phase::kIncomplete;
    std::vector<std::string> head;
    if (finished) {
      head = {v.phase == Phase::kDone ? "done" : "incomplete"};
    } else if (!v.total_known) {
      head = {std::string(1, kSpinner[v.spinner % 4])};
    }
    const int lead = head.empty() ? -1 : layout.add(std::move(head));
    int count = -1;
    if (v.total_known) {
      const std::string fraction = fmt::format("{}/{}", compact_count(v.done), compact_count(v.total));
      count = layout.add({fraction + " " + v.unit, fraction});
      if (!finished && width > 0)
        layout.bar_after(lead >= 0 ? lead : id,
                         static_cast<double>(v.done) / static_cast<double>(std::max<std::uint64_t>(1, v.total)));
    } else {
      count = layout.add({counted(v.done, v.unit), compact_count(v.done)});
    }
    if (v.failed > 0) layout.add({fmt::format("{} failed", compact_count(v.failed))});
    const int records = layout.add({counted(v.records, "records"), compact_count(v.records) + " rec", ""});
    const int quarantined = v.quarantined == 0
                                ? -1
                                : layout.add({fmt::format("(+{} quarantined)", compact_count(v.quarantined)),
                                              fmt::format("+{}q", compact_count(v.quarantined)), ""});
    const int bytes = layout.add({compact_bytes(static_cast<double>(v.bytes)), ""});
    const std::string rate = compact_bytes(v.bytes_per_second) + "/s";
    const double seconds = std::chrono::duration<double>(v.elapsed).count();
    const std::string took = seconds < 9.95 ? fmt::format("{:.1f}s", seconds) : short_duration(v.elapsed);
    const int speed = finished ? layout.add({fmt::format("in {}, {}", took, rate), rate, ""}) : layout.add({rate, ""});
    // A finished line first loses its duration; a running one its bar before
    // its rate; the count goes last ("7 pages" says more than "7").
    steps = {records,
             quarantined,
             v.total_known ? count : -1,
             finished ? speed : -1,
             -2,
             speed,
             speed,
             bytes,
             id,
             type,
             records,
             quarantined,
             count,
             type};
  }
  const auto fits = [&](int bar) { return width <= 0 || layout.length(bar) <= static_cast<std::size_t>(width); };
  int bar = kPreferredBar;  // until the step that gives up on the bar
  for (const int step : steps) {
    if (fits(bar)) break;
    if (step == -2) {
      bar = kMinBar;
      if (!fits(bar)) layout.drop_bar();
    } else if (step >= 0) {
      layout.shorten(step);
    }
  }
  std::string line = layout.render(width);
  if (width > 0 && line.size() > static_cast<std::size_t>(width)) line.resize(static_cast<std::size_t>(width));
  return line;
}

}  // namespace gb::pipeline::detail
