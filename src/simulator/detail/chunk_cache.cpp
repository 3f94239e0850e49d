#include "simulator/detail/chunk_cache.hpp"

#include "simulator/detail/gzip_stream.hpp"

namespace gb::simulator::detail {

Body ChunkCache::get(const std::string& key, const std::function<std::string()>& render) {
  std::promise<Body> promise;
  {
    std::unique_lock lock(mutex_);
    auto it = entries_.find(key);
    if (it != entries_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second.lru);
      auto future = it->second.body;
      lock.unlock();
      return future.get();
    }
    lru_.push_front(key);
    entries_.emplace(key, Entry{promise.get_future().share(), 0, lru_.begin()});
  }
  auto body = std::make_shared<const std::string>(render());
  promise.set_value(body);
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it != entries_.end()) {
    it->second.bytes = body->size();
    total_ += body->size();
    if (body->size() > capacity_) {
      total_ -= body->size();
      lru_.erase(it->second.lru);
      entries_.erase(it);
    }
    evict_locked();
  }
  return body;
}

Body ChunkCache::gzip(const std::string& key, const Body& identity) {
  constexpr int kLevel = 6;
  return get(key + " gzip", [&identity] { return gzip_whole(identity, kLevel); });
}

void ChunkCache::evict_locked() {
  // Oldest first; entries still rendering (bytes == 0) stay.
  auto it = lru_.end();
  while (total_ > capacity_ && it != lru_.begin()) {
    --it;
    auto e = entries_.find(*it);
    if (e->second.bytes == 0) continue;
    total_ -= e->second.bytes;
    entries_.erase(e);
    it = lru_.erase(it);
  }
}

std::size_t ChunkCache::bytes() const {
  std::lock_guard lock(mutex_);
  return total_;
}

}  // namespace gb::simulator::detail
