// An element over the cap, with a handler: handed on in pieces as it arrives
// (never held whole), exactly its bytes, and the elements around it go to the
// element callback as usual, whatever the slicing.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "records/array_splitter.hpp"
#include "records/chunk_parser.hpp"

namespace gb::records {
namespace {

struct Seen {
  std::vector<std::string> elements;  // ordinary ones, and "LARGE@offset" in its place
  std::string large;                  // the large element's bytes as handed on
  std::size_t most_buffered = 0;      // the splitter's largest buffer
};

Seen split_in_slices(const std::string& body, std::size_t slice, std::size_t cap) {
  Seen seen;
  SplitterSettings settings;
  settings.max_element_bytes = cap;
  settings.large.begin = [&](std::uint64_t offset) {
    seen.elements.push_back("LARGE@" + std::to_string(offset));
    return ok_status();
  };
  settings.large.bytes = [&](std::string_view bytes) {
    seen.large.append(bytes);
    return ok_status();
  };
  settings.large.end = [] { return ok_status(); };
  ArraySplitter splitter(settings, [&](std::string_view e) {
    seen.elements.emplace_back(e);
    return ok_status();
  });
  for (std::size_t at = 0; at < body.size(); at += slice) {
    EXPECT_TRUE(splitter.feed(std::string_view(body).substr(at, slice)).ok());
    seen.most_buffered = std::max(seen.most_buffered, splitter.buffered_bytes());
  }
  EXPECT_TRUE(splitter.finish().ok());
  return seen;
}

TEST(LargeElement, IsHandedOnInPiecesBetweenTheOthersWhateverTheSlicing) {
  std::string big = "{\"id\":\"big\",\"s\":\"";
  for (int i = 0; i < 200'000; ++i) big += static_cast<char>('a' + i % 26);
  big += "\",\"n\":[1, 2 ,{\"x\":\"]\"}]}";
  const std::string body = "[ {\"id\":\"a\"} ,\n" + big + " \n\t, {\"id\":\"b\"}]";
  for (std::size_t slice : {std::size_t{7}, std::size_t{4096}, std::size_t{65536}, body.size()}) {
    const Seen seen = split_in_slices(body, slice, 1000);
    ASSERT_EQ(seen.elements.size(), 3u) << "slice " << slice;
    EXPECT_EQ(seen.elements[0], "{\"id\":\"a\"}");
    EXPECT_EQ(seen.elements[1], "LARGE@" + std::to_string(body.find("{\"id\":\"big\"")));
    EXPECT_EQ(seen.elements[2], "{\"id\":\"b\"}");
    EXPECT_EQ(seen.large, big) << "slice " << slice;
    if (slice < body.size()) {
      EXPECT_LT(seen.most_buffered, 200'000u) << "slice " << slice;
    }
  }
}

TEST(LargeElement, TheChunkParserQuarantinesItWithItsReasonAndOrdinalAndParsesTheRest) {
  std::string big = "{\"id\":\"big\",\"s\":\"" + std::string(50'000, 'z') + "\"}";
  const std::string body = "[{\"id\":\"a\"}," + big + ",{\"id\":\"b\"},{\"id\":\"c\"}]";
  ChunkParserSettings settings;
  settings.max_record_bytes = 10'000;
  std::vector<std::uint64_t> record_ordinals;
  std::uint64_t large_ordinal = 99;
  std::string reason, bytes;
  LargeRecordSink large{[&](std::uint64_t ordinal, const std::string& why) {
                          large_ordinal = ordinal;
                          reason = why;
                          return ok_status();
                        },
                        [&](std::string_view piece) {
                          bytes.append(piece);
                          return ok_status();
                        },
                        [] { return ok_status(); }};
  ChunkParser parser(
      settings,
      [&](RecordBatch& batch) {
        for (const auto& r : batch.records) record_ordinals.push_back(r.ordinal);
        return ok_status();
      },
      std::move(large));
  for (std::size_t at = 0; at < body.size(); at += 4000) ASSERT_TRUE(parser.feed(body.substr(at, 4000)).ok());
  ASSERT_TRUE(parser.finish().ok());
  EXPECT_EQ(record_ordinals, (std::vector<std::uint64_t>{0, 2, 3}));
  EXPECT_EQ(large_ordinal, 1u);
  EXPECT_EQ(reason, "record larger than the maximum record size of 10000 bytes");
  EXPECT_EQ(bytes, big);
  EXPECT_EQ(parser.records(), 3u);
  EXPECT_EQ(parser.quarantined(), 1u);
}

TEST(LargeElement, AHandlerErrorStopsTheSplit) {
  SplitterSettings settings;
  settings.max_element_bytes = 10;
  settings.large.begin = [](std::uint64_t) { return ok_status(); };
  settings.large.bytes = [](std::string_view) -> Status { return internal_error("disk full"); };
  settings.large.end = [] { return ok_status(); };
  ArraySplitter splitter(settings, [](std::string_view) { return ok_status(); });
  auto s = splitter.feed("[\"" + std::string(100, 'x') + "\"]");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message, "disk full");
}

}  // namespace
}  // namespace gb::records
