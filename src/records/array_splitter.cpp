#include "records/array_splitter.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

namespace gb::records {
namespace {

using detail::BlockBits;
using detail::kBlockBytes;

// Blocks classified per call into the kernel: 4 KiB of input into 2.5 KiB of
// masks on the stack, so the kernel dispatch is paid once per 4 KiB.
constexpr std::size_t kBlocksPerBatch = 64;

inline bool is_ws(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

inline unsigned lowest_bit(std::uint64_t m) {
  return static_cast<unsigned>(__builtin_ctzll(m));
}
inline std::int64_t count(std::uint64_t m) {
  return __builtin_popcountll(m);
}

// A byte for an error message: printable as is, otherwise as hex.
std::string show_byte(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f) return fmt::format("'{}'", c);
  return fmt::format("byte 0x{:02x}", u);
}

}  // namespace

ArraySplitter::ArraySplitter(SplitterSettings settings, ElementFn on_element)
    : settings_(std::move(settings)),
      on_element_(std::move(on_element)),
      kernel_(resolve_scan_kernel(settings_.kernel)) {}

Status ArraySplitter::feed(std::string_view bytes) {
  if (error_) return *error_;
  slice_ = bytes.data();
  slice_offset_ = total_;
  const std::size_t whole = bytes.size() / kBlockBytes;
  std::array<BlockBits, kBlocksPerBatch> bits;
  for (std::size_t done = 0; done < whole;) {
    const std::size_t n = std::min(kBlocksPerBatch, whole - done);
    const char* base = bytes.data() + done * kBlockBytes;
    detail::scan_blocks(kernel_, base, n, carry_, bits.data());
    if (!process_blocks(bits.data(), base, n, total_ + done * kBlockBytes)) return *error_;
    done += n;
  }
  if (const std::size_t tail = bytes.size() % kBlockBytes; tail != 0) {
    std::array<char, kBlockBytes> padded;
    padded.fill(' ');
    std::memcpy(padded.data(), bytes.data() + whole * kBlockBytes, tail);
    const BlockBits tail_bits = detail::scan_partial(padded.data(), tail, carry_);
    if (!process_block(tail_bits, padded.data(), static_cast<unsigned>(tail), total_ + whole * kBlockBytes)) {
      return *error_;
    }
  }
  total_ += bytes.size();
  keep_partial_element();
  slice_ = nullptr;
  if (error_) return *error_;
  return ok_status();
}

Status ArraySplitter::finish() {
  if (error_) return *error_;
  switch (phase_) {
    case Phase::kTrailing: return ok_status();
    case Phase::kStart:
      fail(transient_error(total_ == 0 ? "not JSON: the body is empty" : "not JSON: the body is only whitespace"));
      break;
    default:
      fail(transient_error(fmt::format("truncated: the body ended inside the {} after {} bytes and {} elements",
                                       settings_.array_key.empty() ? "array" : "object", total_, elements_)));
      break;
  }
  return *error_;
}

bool ArraySplitter::process_blocks(const BlockBits* bits, const char* bytes, std::size_t count, std::uint64_t offset) {
  for (std::size_t b = 0; b < count; ++b) {
    if (!process_block(bits[b], bytes + b * kBlockBytes, kBlockBytes, offset + b * kBlockBytes)) return false;
  }
  return true;
}

// The state machine runs on the bits of one block, from bit p on; it looks at
// a byte only when a mask points at it. Inside an element, the common case, it
// only follows the depth: a whole block is skipped with two popcounts when no
// close in it can bring the depth back to the element's level.
bool ArraySplitter::process_block(const BlockBits& b, const char* bytes, unsigned n, std::uint64_t block_offset) {
  unsigned p = 0;
  while (p < n) {
    const std::uint64_t rem = ~std::uint64_t{0} << p;
    switch (phase_) {
      case Phase::kInValue: {
        if (depth_ > value_level_) {
          const std::uint64_t closes = b.close & rem;
          const std::uint64_t opens = b.open & rem;
          const std::int64_t close_count = count(closes);
          if (depth_ - close_count > value_level_) {
            depth_ += count(opens) - close_count;
            return true;
          }
          bool back_at_level = false;
          for (std::uint64_t c = closes; c != 0; c &= c - 1) {
            const unsigned q = lowest_bit(c);
            const std::uint64_t before_q = rem & ((std::uint64_t{1} << q) - 1);
            const std::int64_t after_q = depth_ + count(opens & before_q) - count(closes & before_q) - 1;
            if (after_q == value_level_) {
              depth_ = after_q;
              p = q + 1;
              back_at_level = true;
              break;
            }
          }
          if (!back_at_level) {
            depth_ += count(opens) - close_count;
            return true;
          }
          continue;
        }
        // At the value's own level: it ends at the next ',' or close.
        const std::uint64_t m = (b.open | b.close | b.comma) & rem;
        if (m == 0) return true;
        const unsigned q = lowest_bit(m);
        if (b.open & (std::uint64_t{1} << q)) {
          ++depth_;
          p = q + 1;
          continue;
        }
        if (!end_value(block_offset + q, bytes[q])) return false;
        p = q + 1;
        continue;
      }
      case Phase::kStart:
      case Phase::kArrayFirst:
      case Phase::kArrayNext:
      case Phase::kObjectFirst:
      case Phase::kObjectNext:
      case Phase::kObjectColon:
      case Phase::kObjectValue:
      case Phase::kObjectAfterArray:
      case Phase::kTrailing: {
        const std::uint64_t m = b.non_ws & rem;
        if (m == 0) return true;
        const unsigned q = lowest_bit(m);
        const char c = bytes[q];
        const std::uint64_t at = block_offset + q;
        p = q + 1;
        switch (phase_) {
          case Phase::kStart:
            if (settings_.array_key.empty()) {
              if (c != '[') return fail_not_json("the body does not start with '[' but with " + show_byte(c), at);
              phase_ = Phase::kArrayFirst;
            } else {
              if (c != '{') return fail_not_json("the page does not start with '{' but with " + show_byte(c), at);
              phase_ = Phase::kObjectFirst;
            }
            depth_ = 1;
            break;
          case Phase::kArrayFirst:
          case Phase::kArrayNext:
            if (c == ']' && phase_ == Phase::kArrayFirst) {
              --depth_;
              if (!after_array_closed()) return false;
            } else if (c == ']' || c == ',') {
              return fail_not_json(fmt::format("empty element ({} after {})", show_byte(c),
                                               phase_ == Phase::kArrayFirst ? "'['" : "','"),
                                   at);
            } else {
              p = q;  // the value's first byte may open a container
              if (!start_value(at, true)) return false;
            }
            break;
          case Phase::kObjectFirst:
          case Phase::kObjectNext:
            if (c == '}' && phase_ == Phase::kObjectFirst) {
              depth_ = 0;
              phase_ = Phase::kTrailing;
            } else if (c == '"') {
              key_.clear();
              phase_ = Phase::kObjectKey;
            } else {
              return fail_not_json("expected a key, found " + show_byte(c), at);
            }
            break;
          case Phase::kObjectColon:
            if (c != ':') return fail_not_json("expected ':' after a key, found " + show_byte(c), at);
            phase_ = Phase::kObjectValue;
            break;
          case Phase::kObjectValue:
            if (c == ',' || c == '}' || c == ']') return fail_not_json("a key without a value", at);
            if (key_ == settings_.array_key) {
              if (found_array_) return fail_not_json("\"" + settings_.array_key + "\" appears twice", at);
              if (c != '[') return fail_not_json("\"" + settings_.array_key + "\" is not an array", at);
              found_array_ = true;
              depth_ = 2;
              phase_ = Phase::kArrayFirst;
            } else {
              p = q;
              if (!start_value(at, false)) return false;
            }
            break;
          case Phase::kObjectAfterArray:
            if (c == ',') {
              phase_ = Phase::kObjectNext;
            } else if (c == '}') {
              depth_ = 0;
              phase_ = Phase::kTrailing;
            } else {
              return fail_not_json("expected ',' or '}' after the array, found " + show_byte(c), at);
            }
            break;
          case Phase::kTrailing: return fail_not_json("data after the end of the body: " + show_byte(c), at);
          default: break;
        }
        continue;
      }
      case Phase::kObjectKey: {
        // Keys are compared as raw bytes; only as many as could match are kept.
        const std::uint64_t m = b.quote & rem;
        const unsigned end = m == 0 ? n : lowest_bit(m);
        const std::size_t room = settings_.array_key.size() + 1 - std::min(key_.size(), settings_.array_key.size() + 1);
        key_.append(bytes + p, std::min<std::size_t>(end - p, room));
        if (m == 0) return true;
        phase_ = Phase::kObjectColon;
        p = end + 1;
        continue;
      }
      case Phase::kFailed: return false;
    }
  }
  return true;
}

bool ArraySplitter::start_value(std::uint64_t offset, bool emits) {
  phase_ = Phase::kInValue;
  value_level_ = depth_;
  value_emits_ = emits;
  value_start_ = offset;
  partial_.clear();
  return true;
}

// `separator` is the byte at `offset`: ',' or a close at the value's level.
bool ArraySplitter::end_value(std::uint64_t offset, char separator) {
  if (value_emits_ && !emit(offset)) return false;
  const bool in_array = value_emits_;
  if (separator == ',') {
    phase_ = in_array ? Phase::kArrayNext : Phase::kObjectNext;
    return true;
  }
  const char expected = in_array ? ']' : '}';
  if (separator != expected) {
    return fail_not_json(fmt::format("{} closes {}", show_byte(separator), in_array ? "the array" : "the object"),
                         offset);
  }
  --depth_;
  if (in_array) return after_array_closed();
  phase_ = Phase::kTrailing;  // the page object closed
  return true;
}

bool ArraySplitter::after_array_closed() {
  phase_ = settings_.array_key.empty() ? Phase::kTrailing : Phase::kObjectAfterArray;
  return true;
}

bool ArraySplitter::emit(std::uint64_t end_offset) {
  if (streaming_) {
    const std::uint64_t from = std::max(value_start_, slice_offset_);
    if (!stream_piece(std::string_view(slice_ + (from - slice_offset_), end_offset - from), true)) return false;
    ++elements_;
    return true;
  }
  std::string_view element;
  if (value_start_ >= slice_offset_) {
    element = std::string_view(slice_ + (value_start_ - slice_offset_), end_offset - value_start_);
  } else {
    partial_.append(slice_, end_offset - slice_offset_);
    element = partial_;
  }
  element = element.substr(0, trimmed_length(element));
  if (element.size() > settings_.max_element_bytes) {
    if (!settings_.large.begin) return fail(too_large());
    if (!start_streaming(element) || !stream_piece({}, true)) return false;
    ++elements_;
    partial_.clear();
    partial_.shrink_to_fit();
    return true;
  }
  Status status = on_element_(element);
  ++elements_;
  partial_.clear();
  if (partial_.capacity() > (1u << 20)) partial_.shrink_to_fit();  // a huge element's buffer is not kept
  if (!status) return fail(std::move(status).error());
  return true;
}

// At the end of a slice: an element still open keeps its bytes for the next,
// or, once it is over the cap and there is a handler, hands them on.
void ArraySplitter::keep_partial_element() {
  if (phase_ != Phase::kInValue || !value_emits_) return;
  const std::uint64_t from = std::max(value_start_, slice_offset_);
  const std::string_view rest(slice_ + (from - slice_offset_), total_ - from);
  if (streaming_) {
    stream_piece(rest, false);
    return;
  }
  partial_.append(rest);
  if (trimmed_length(partial_) > settings_.max_element_bytes) {
    if (!settings_.large.begin) {
      fail(too_large());
      return;
    }
    if (start_streaming(partial_)) {
      partial_.clear();
      partial_.shrink_to_fit();
    }
  }
}

Error ArraySplitter::too_large() const {
  return permanent_error(fmt::format("the element at byte {} is larger than the cap of {} bytes", value_start_,
                                     settings_.max_element_bytes));
}

bool ArraySplitter::start_streaming(std::string_view first_bytes) {
  streaming_ = true;
  pending_ws_.clear();
  if (Status s = settings_.large.begin(value_start_); !s) return fail(std::move(s).error());
  return stream_piece(first_bytes, false);
}

// Hands `piece` on, holding back trailing whitespace (it belongs to the
// element only if more of it follows). A whitespace run over 64 KiB is handed
// on: an adversarial body cannot make the splitter hold more.
bool ArraySplitter::stream_piece(std::string_view piece, bool last) {
  constexpr std::size_t kMaxPendingWhitespace = std::size_t{64} * 1024;
  const std::size_t keep = trimmed_length(piece);
  Status s = ok_status();
  if (keep > 0) {
    if (!pending_ws_.empty()) s = settings_.large.bytes(pending_ws_);
    if (s) s = settings_.large.bytes(piece.substr(0, keep));
    pending_ws_.assign(piece.substr(keep));
  } else {
    pending_ws_.append(piece);
  }
  if (s && !last && pending_ws_.size() > kMaxPendingWhitespace) {
    s = settings_.large.bytes(pending_ws_);
    pending_ws_.clear();
  }
  if (s && last) {
    pending_ws_.clear();
    streaming_ = false;
    s = settings_.large.end();
  }
  if (!s) return fail(std::move(s).error());
  return true;
}

std::size_t ArraySplitter::trimmed_length(std::string_view bytes) const {
  std::size_t len = bytes.size();
  while (len > 0 && is_ws(bytes[len - 1])) --len;
  return len;
}

bool ArraySplitter::fail(Error error) {
  phase_ = Phase::kFailed;
  partial_.clear();
  partial_.shrink_to_fit();
  pending_ws_.clear();
  streaming_ = false;
  error_ = std::move(error);
  return false;
}

bool ArraySplitter::fail_not_json(const std::string& what, std::uint64_t offset) {
  return fail(transient_error(fmt::format("not JSON: {} at byte {}", what, offset)));
}

}  // namespace gb::records
