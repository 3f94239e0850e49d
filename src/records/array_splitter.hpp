#pragma once
// Finds the elements of a JSON array in a body that arrives in arbitrary
// slices (as curl hands them over), so each record can be parsed alone and
// memory does not grow with the body: only the bytes of the element in
// progress are kept, and only when it spans slices.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "records/detail/block_scan.hpp"
#include "records/scan_kernel.hpp"

// GCC clones a function for POPCNT and picks the clone at load time (ifunc);
// other compilers (clang-tidy) get the plain function.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define GB_POPCNT_CLONES __attribute__((target_clones("popcnt", "default")))
#else
#define GB_POPCNT_CLONES
#endif

namespace gb::records {

inline constexpr std::size_t kDefaultMaxElementBytes = std::size_t{64} * 1024 * 1024;

// Where an element over the cap goes when it must not fail the body: its
// bytes in order, in pieces as they arrive, never held whole. Each function
// may return an error, which stops the split.
struct LargeElementHandler {
  std::function<Status(std::uint64_t offset)> begin;  // its first byte's offset in the body
  std::function<Status(std::string_view bytes)> bytes;
  std::function<Status()> end;
};

struct SplitterSettings {
  // An element longer than this fails the body (kPermanent: retrying the
  // download cannot make it smaller), unless `large` is set: then it goes
  // there instead of to the element callback.
  std::size_t max_element_bytes = kDefaultMaxElementBytes;
  LargeElementHandler large;
  // Empty: the body is a JSON array and its elements are wanted (bulk
  // chunks). Otherwise the body is a JSON object and the wanted elements are
  // those of the array at this top-level key (analytics pages); the other
  // members are skipped. A missing key means no elements.
  std::string array_key;
  ScanKernel kernel = ScanKernel::kAuto;
};

// Splits one body. Element = the bytes between '[' or ',' and the next ',' or
// ']' of the array, without surrounding whitespace, exactly as received; the
// splitter checks strings, escapes and nesting, not the element's own JSON
// grammar (the record parser does, so one bad element never fails the body).
//
// Body errors, after which feed() and finish() keep returning the error:
//   "not JSON: ..."   no '[' (or '{') first, data after the end, empty element;
//   "truncated: ..."  finish() before the array (or object) closed;
// both kTransient (the caller downloads the body again), and
//   an element over max_element_bytes (kPermanent);
//   whatever the callback returns, as it is.
// Not thread-safe: one splitter per body (per download attempt).
class ArraySplitter {
 public:
  // Gets each element in order; the view is valid during the call only.
  // A non-ok Status stops the split and is returned by feed().
  using ElementFn = std::function<Status(std::string_view element)>;

  ArraySplitter(SplitterSettings settings, ElementFn on_element);

  Status feed(std::string_view bytes);
  // Call once, after the last byte. Ok only if the body was complete.
  Status finish();

  std::uint64_t elements() const { return elements_; }
  std::uint64_t bytes_fed() const { return total_; }
  // Bytes held for an element that spans slices (capacity, not size): stays
  // near the largest element, whatever the body's size.
  std::size_t buffered_bytes() const { return partial_.capacity(); }
  // Object mode: whether the array key was present.
  bool found_array() const { return found_array_; }

 private:
  enum class Phase {
    kStart,             // before the first non-whitespace byte
    kArrayFirst,        // after '[': an element or ']'
    kArrayNext,         // after ',': an element
    kInValue,           // inside an element (or a skipped object member's value)
    kObjectFirst,       // after '{': a key or '}'
    kObjectNext,        // after ',' in the object: a key
    kObjectKey,         // inside a key string
    kObjectColon,       // after a key
    kObjectValue,       // after ':'
    kObjectAfterArray,  // after the wanted array: ',' or '}'
    kTrailing,          // after the body: whitespace only
    kFailed,
  };

  // Whole blocks; cloned for CPUs with POPCNT (the default build has none).
  GB_POPCNT_CLONES bool process_blocks(const detail::BlockBits* bits, const char* bytes, std::size_t count,
                                       std::uint64_t offset);
  __attribute__((always_inline)) inline bool process_block(const detail::BlockBits& bits, const char* bytes, unsigned n,
                                                           std::uint64_t block_offset);
  bool start_value(std::uint64_t offset, bool emits);
  bool end_value(std::uint64_t offset, char separator);
  bool after_array_closed();
  bool emit(std::uint64_t end_offset);
  void keep_partial_element();
  bool start_streaming(std::string_view first_bytes);
  bool stream_piece(std::string_view piece, bool last);
  Error too_large() const;
  bool fail(Error error);
  bool fail_not_json(const std::string& what, std::uint64_t offset);
  std::size_t trimmed_length(std::string_view bytes) const;

  SplitterSettings settings_;
  ElementFn on_element_;
  ScanKernel kernel_;
  detail::ScanCarry carry_;

  Phase phase_ = Phase::kStart;
  std::int64_t depth_ = 0;         // containers open before the current byte
  std::int64_t value_level_ = 0;   // depth_ at which the current value sits
  bool value_emits_ = false;       // element (true) or skipped object member
  std::uint64_t value_start_ = 0;  // offset of the current value's first byte
  bool found_array_ = false;
  std::string key_;  // object mode: the key being read (bounded)

  std::string partial_;     // bytes of an element begun in an earlier slice
  bool streaming_ = false;  // the element in progress goes to settings_.large
  std::string pending_ws_;  // streaming: whitespace that may end the element
  const char* slice_ = nullptr;
  std::uint64_t slice_offset_ = 0;  // offset of slice_[0] in the body
  std::uint64_t total_ = 0;
  std::uint64_t elements_ = 0;
  std::optional<Error> error_;
};

}  // namespace gb::records
