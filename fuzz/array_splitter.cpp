// Fuzzes records::ArraySplitter, the first reader of every chunk and page
// body, fed in slices as curl hands them over.
//
// Input: 4 header bytes, then the body.
//   byte 0  bit 0: object mode (the array at "conversations" in a page object)
//           bit 1: a small element cap (byte 1 + 1 bytes) instead of 64 MB
//   bytes 1-3: slice sizes (n + 1), used in turn
// Checks, for every input:
//   - every scan kernel this CPU has (scalar, SSE2, AVX2), every slicing
//     (whole, the header's sizes, one byte at a time) gives the same elements
//     and the same outcome;
//   - no element handed over is larger than the cap;
//   - bare arrays: the outcome and elements match a byte-at-a-time reference
//     splitter (tests/unit/records/json_gen.hpp), and on success the elements
//     joined by their separators reproduce the body exactly.
#include "records/array_splitter.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "json_gen.hpp"

namespace {

using gb::records::ArraySplitter;
using gb::records::ScanKernel;
using gb::records::SplitterSettings;

struct Outcome {
  std::vector<std::string> elements;
  bool ok = false;
  gb::ErrorKind kind = gb::ErrorKind::kInternal;
  std::string message;

  bool operator==(const Outcome&) const = default;
};

void check(bool condition) {
  if (!condition) std::abort();
}

// Feeds `body` in slices of sizes[i % sizes.size()] bytes (all of it at once
// when `sizes` is empty).
Outcome split(std::string_view body, const SplitterSettings& settings, const std::vector<std::size_t>& sizes) {
  Outcome out;
  ArraySplitter splitter(settings, [&](std::string_view element) {
    check(element.size() <= settings.max_element_bytes);
    out.elements.emplace_back(element);
    return gb::ok_status();
  });
  gb::Status status = gb::ok_status();
  if (sizes.empty()) {
    status = splitter.feed(body);
  } else {
    for (std::size_t at = 0, i = 0; at < body.size() && status.ok(); ++i) {
      const std::size_t n = std::min(sizes[i % sizes.size()], body.size() - at);
      status = splitter.feed(body.substr(at, n));
      at += n;
    }
  }
  if (status.ok()) status = splitter.finish();
  check(splitter.elements() == out.elements.size());
  out.ok = status.ok();
  if (!out.ok) {
    out.kind = status.error().kind;
    out.message = status.error().message;
  }
  return out;
}

bool is_ws(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

std::string_view skip_ws(std::string_view s) {
  while (!s.empty() && is_ws(s.front())) s.remove_prefix(1);
  return s;
}

// The body is ws '[' ws e1 ws ',' ws e2 ... ws ']' ws with exactly these elements.
void check_reassembles(std::string_view body, const std::vector<std::string>& elements) {
  std::string_view rest = skip_ws(body);
  check(!rest.empty() && rest.front() == '[');
  rest = skip_ws(rest.substr(1));
  for (std::size_t i = 0; i < elements.size(); ++i) {
    if (i > 0) {
      check(!rest.empty() && rest.front() == ',');
      rest = skip_ws(rest.substr(1));
    }
    check(rest.substr(0, elements[i].size()) == elements[i]);
    rest = skip_ws(rest.substr(elements[i].size()));
  }
  check(!rest.empty() && rest.front() == ']');
  check(skip_ws(rest.substr(1)).empty());
}

}  // namespace

// libFuzzer calls this name.
// NOLINTNEXTLINE(readability-identifier-naming)
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 4) return 0;
  const bool object_mode = (data[0] & 1) != 0;
  const bool small_cap = (data[0] & 2) != 0;
  const std::vector<std::size_t> sizes = {std::size_t{data[1]} + 1, std::size_t{data[2]} + 1, std::size_t{data[3]} + 1};
  const std::string_view body(reinterpret_cast<const char*>(data) + 4, size - 4);

  SplitterSettings settings;
  if (object_mode) settings.array_key = "conversations";
  if (small_cap) settings.max_element_bytes = std::size_t{data[1]} + 1;

  settings.kernel = ScanKernel::kScalar;
  const Outcome expected = split(body, settings, {});
  for (const ScanKernel kernel : {ScanKernel::kSse2, ScanKernel::kAvx2}) {
    if (!gb::records::scan_kernel_supported(kernel)) continue;
    settings.kernel = kernel;
    check(split(body, settings, {}) == expected);
  }
  settings.kernel = ScanKernel::kAuto;
  check(split(body, settings, sizes) == expected);
  check(split(body, settings, {1}) == expected);

  if (!object_mode) {
    const auto reference = gb::records::testing::reference_split(body);
    if (!small_cap) {
      check(expected.ok == reference.has_value());
      if (reference) check(expected.elements == *reference);
    } else if (expected.ok) {
      check(reference.has_value());
      // Elements over the cap are never handed over: the rest are, in order.
      std::vector<std::string> fitting;
      for (const auto& e : *reference) {
        if (e.size() <= settings.max_element_bytes) fitting.push_back(e);
      }
      check(expected.elements == fitting);
    }
    if (expected.ok && !small_cap) check_reassembles(body, expected.elements);
  }
  return 0;
}
