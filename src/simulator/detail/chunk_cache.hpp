#pragma once
// A bounded cache of rendered chunk bodies, so a 100 MB chunk is generated
// once and then served at memory speed; and of their gzip encodings, so a
// gzip chunk is compressed once and served as stored, as a CDN serves it.
// Bodies are shared (a body being sent stays alive after eviction).
// Concurrent requests for the same key render it once. Thread-safe.
#include <cstddef>
#include <functional>
#include <future>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace gb::simulator::detail {

using Body = std::shared_ptr<const std::string>;

class ChunkCache {
 public:
  explicit ChunkCache(std::size_t capacity_bytes) : capacity_(capacity_bytes) {}

  // The cached body for key, or render()'s result (cached if it fits).
  Body get(const std::string& key, const std::function<std::string()>& render);
  // The gzip encoding (zlib level 6, a CDN's usual) of `identity`, the body
  // cached under key: compressed on first use, then cached beside it.
  Body gzip(const std::string& key, const Body& identity);
  std::size_t bytes() const;

 private:
  struct Entry {
    std::shared_future<Body> body;
    std::size_t bytes = 0;
    std::list<std::string>::iterator lru;
  };
  void evict_locked();

  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
  std::list<std::string> lru_;  // most recent first
  std::size_t total_ = 0;
};

}  // namespace gb::simulator::detail
