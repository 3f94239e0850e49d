#include "sinks/detail/object_io.hpp"

namespace gb::sinks::detail {

Result<EncodedObject> EncodedObject::begin(ObjectStore& store, const std::string& key, bool gzip) {
  auto sha = Sha256::make();
  if (!sha) return std::move(sha).error();
  std::optional<GzipDeflater> gz;
  if (gzip) {
    auto made = GzipDeflater::make();
    if (!made) return std::move(made).error();
    gz.emplace(std::move(made).value());
  }
  auto write = store.begin_write(key);
  if (!write) return std::move(write).error();
  EncodedObject object(std::move(write).value(), std::move(gz), std::move(sha).value());
  object.pending_.reserve(kPieceBytes);
  return object;
}

Status EncodedObject::append(std::string_view bytes) {
  if (pending_.size() + bytes.size() <= kPieceBytes) {
    pending_.append(bytes);
    return ok_status();
  }
  auto flushed = flush();
  if (!flushed) return flushed;
  if (bytes.size() >= kPieceBytes) return encode(bytes);  // large enough on its own
  pending_.append(bytes);
  return ok_status();
}

Result<std::string> EncodedObject::commit() {
  auto flushed = flush();
  if (!flushed) return std::move(flushed).error();
  if (gz_) {
    auto finished = gz_->finish([this](std::string_view out) { return store(out); });
    if (!finished) return std::move(finished).error();
  }
  auto committed = write_->commit();
  if (!committed) return std::move(committed).error();
  return sha_.hex();
}

Status EncodedObject::flush() {
  if (pending_.empty()) return ok_status();
  auto encoded = encode(pending_);
  pending_.clear();
  return encoded;
}

Status EncodedObject::encode(std::string_view bytes) {
  if (!gz_) return store(bytes);
  return gz_->write(bytes, [this](std::string_view out) { return store(out); });
}

Status EncodedObject::store(std::string_view bytes) {
  auto hashed = sha_.update(bytes);
  if (!hashed) return hashed;
  stored_bytes_ += bytes.size();
  return write_->write(bytes);
}

Status read_lines(ObjectStore& store, const std::string& key, bool gzip,
                  const std::function<Status(std::string_view line)>& on_line) {
  std::string partial;  // a line cut by a piece boundary
  auto split = [&](std::string_view bytes) -> Status {
    while (!bytes.empty()) {
      const std::size_t nl = bytes.find('\n');
      if (nl == std::string_view::npos) {
        partial.append(bytes);
        break;
      }
      Status handed = ok_status();
      if (partial.empty()) {
        handed = on_line(bytes.substr(0, nl));
      } else {
        partial.append(bytes.substr(0, nl));
        handed = on_line(partial);
        partial.clear();
      }
      if (!handed) return handed;
      bytes.remove_prefix(nl + 1);
    }
    return ok_status();
  };
  std::optional<GzipInflater> gz;
  if (gzip) {
    auto made = GzipInflater::make();
    if (!made) return std::move(made).error();
    gz.emplace(std::move(made).value());
  }
  auto read = store.read(key, [&](std::string_view piece) -> Status {
    if (gz) return gz->write(piece, split);
    return split(piece);
  });
  if (!read) return read;
  if (gz) {
    auto finished = gz->finish();
    if (!finished) return finished;
  }
  if (!partial.empty()) return on_line(partial);
  return ok_status();
}

}  // namespace gb::sinks::detail
