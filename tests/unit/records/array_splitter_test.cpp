#include "records/array_splitter.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "json_gen.hpp"

namespace gb::records {
namespace {

using testing::JsonGen;
using testing::reference_split;

std::vector<ScanKernel> kernels() {
  std::vector<ScanKernel> out;
  for (ScanKernel k : {ScanKernel::kScalar, ScanKernel::kSse2, ScanKernel::kAvx2}) {
    if (scan_kernel_supported(k)) out.push_back(k);
  }
  return out;
}

struct SplitOutcome {
  bool ok = false;
  std::vector<std::string> elements;
  Error error;
};

// Feeds `body` cut at the given (sorted) offsets.
SplitOutcome split(std::string_view body, const std::vector<std::size_t>& cuts, ScanKernel kernel,
                   std::string array_key = "", std::size_t cap = kDefaultMaxElementBytes) {
  SplitOutcome out;
  SplitterSettings settings;
  settings.kernel = kernel;
  settings.array_key = std::move(array_key);
  settings.max_element_bytes = cap;
  ArraySplitter splitter(settings, [&](std::string_view e) {
    out.elements.emplace_back(e);
    return ok_status();
  });
  std::size_t from = 0;
  auto fed = [&](std::size_t to) -> bool {
    Status s = splitter.feed(body.substr(from, to - from));
    from = to;
    if (!s) out.error = s.error();
    return s.ok();
  };
  for (std::size_t cut : cuts) {
    if (!fed(cut)) return out;
  }
  if (!fed(body.size())) return out;
  Status s = splitter.finish();
  if (!s) {
    out.error = s.error();
    return out;
  }
  out.ok = true;
  return out;
}

SplitOutcome split_whole(std::string_view body, ScanKernel kernel = ScanKernel::kAuto) {
  return split(body, {}, kernel);
}

std::vector<std::size_t> random_cuts(JsonGen& gen, std::size_t size) {
  std::vector<std::size_t> cuts;
  for (std::size_t at = 0; at < size;) {
    at += 1 + static_cast<std::size_t>(gen.pick(gen.pick(4) == 0 ? 300 : 70));
    if (at < size) cuts.push_back(at);
  }
  return cuts;
}

std::vector<std::size_t> every_byte(std::size_t size) {
  std::vector<std::size_t> cuts;
  for (std::size_t i = 1; i < size; ++i) cuts.push_back(i);
  return cuts;
}

void expect_same_as_reference(const std::string& body, const SplitOutcome& got, const std::string& how) {
  const auto want = reference_split(body);
  ASSERT_EQ(want.has_value(), got.ok) << how << " body: " << body << " error: " << got.error.message;
  if (want) {
    ASSERT_EQ(*want, got.elements) << how << " body: " << body;
  } else {
    EXPECT_TRUE(got.error.transient()) << got.error.message;
  }
}

TEST(ArraySplitter, SimpleArray) {
  const auto got = split_whole(R"( [ {"id":"a"} , {"id":"b","x":[1,{"y":"]"}]},"s", 12 ,true ] )");
  ASSERT_TRUE(got.ok) << got.error.message;
  EXPECT_EQ(got.elements,
            (std::vector<std::string>{R"({"id":"a"})", R"({"id":"b","x":[1,{"y":"]"}]})", R"("s")", "12", "true"}));
}

TEST(ArraySplitter, EmptyArrayAndWhitespace) {
  for (const char* body : {"[]", " \n[ \t]\r\n", "[\n\n]"}) {
    const auto got = split_whole(body);
    EXPECT_TRUE(got.ok) << body << ": " << got.error.message;
    EXPECT_TRUE(got.elements.empty());
  }
}

TEST(ArraySplitter, RandomDocumentsMatchReferenceWholeAndInSlices) {
  JsonGen gen(42);
  for (int doc = 0; doc < 300; ++doc) {
    const std::string body = gen.array(gen.pick(30), doc % 2 == 0);
    for (ScanKernel k : kernels()) {
      expect_same_as_reference(body, split(body, {}, k), std::string("whole ") + to_string(k));
      expect_same_as_reference(body, split(body, random_cuts(gen, body.size()), k),
                               std::string("slices ") + to_string(k));
    }
  }
}

TEST(ArraySplitter, ByteByByteMatchesReference) {
  JsonGen gen(7);
  for (int doc = 0; doc < 40; ++doc) {
    const std::string body = gen.array(gen.pick(8), doc % 2 == 0);
    for (ScanKernel k : kernels()) expect_same_as_reference(body, split(body, every_byte(body.size()), k), "bytes");
  }
}

TEST(ArraySplitter, EverySplitPointOfSmallInputs) {
  JsonGen gen(11);
  for (int doc = 0; doc < 25; ++doc) {
    const std::string body = gen.array(1 + gen.pick(4), doc % 2 == 0);
    for (ScanKernel k : kernels()) {
      for (std::size_t a = 1; a < body.size(); ++a) {
        expect_same_as_reference(body, split(body, {a}, k), "one cut");
        const std::size_t b = std::min(body.size(), a + 1 + static_cast<std::size_t>(gen.pick(70)));
        expect_same_as_reference(body, split(body, {a, b}, k), "two cuts");
      }
    }
  }
}

// Random bytes from JSON's structural alphabet: mostly not JSON. The splitter
// must agree with the reference on what is an array and where elements are.
TEST(ArraySplitter, StructuralNoiseMatchesReference) {
  JsonGen gen(99);
  const std::string alphabet = "[]{}\",\\\\ a\n:";
  for (int doc = 0; doc < 20000; ++doc) {
    std::string body = "[";
    const int len = gen.pick(150);
    for (int i = 0; i < len; ++i)
      body += alphabet[static_cast<std::size_t>(gen.pick(static_cast<int>(alphabet.size())))];
    if (gen.pick(2)) body += "]";
    for (ScanKernel k : kernels()) {
      expect_same_as_reference(body, split(body, {}, k), "noise whole");
      expect_same_as_reference(body, split(body, random_cuts(gen, body.size()), k), "noise slices");
    }
  }
}

// Backslash runs and escaped quotes placed on both sides of the 64-byte block
// boundaries and of the slice boundaries.
TEST(ArraySplitter, BackslashRunsAcrossBlockAndSliceBoundaries) {
  for (std::size_t pad = 0; pad < 70; ++pad) {
    for (std::size_t run = 0; run < 7; ++run) {
      // "xxx\\\\\"" : run backslashes, then a quote that is escaped iff run is odd.
      const std::string str = "\"" + std::string(pad, 'x') + std::string(run, '\\') + "\"" + (run % 2 ? "\"" : "");
      const std::string body = "[" + str + ",{\"a\":" + str + "},[" + str + "]]";
      const auto want = reference_split(body);
      ASSERT_TRUE(want.has_value()) << body;
      ASSERT_EQ(want->size(), 3u);
      for (ScanKernel k : kernels()) {
        expect_same_as_reference(body, split(body, {}, k), "whole");
        for (std::size_t cut = 1; cut < body.size(); ++cut)
          expect_same_as_reference(body, split(body, {cut}, k), "cut");
      }
    }
  }
}

TEST(ArraySplitter, LongBackslashRunsSpanningWholeBlocks) {
  for (std::size_t run : {62u, 63u, 64u, 65u, 127u, 128u, 129u, 200u, 201u}) {
    const std::string str = "\"" + std::string(run, '\\') + (run % 2 ? "\"\"" : "\"");
    const std::string body = "[" + str + "," + str + "]";
    for (ScanKernel k : kernels()) {
      expect_same_as_reference(body, split(body, {}, k), "whole");
      expect_same_as_reference(body, split(body, every_byte(body.size()), k), "bytes");
      expect_same_as_reference(body, split(body, {1, 64, 65, 128}, k), "blocks");
    }
  }
}

TEST(ArraySplitter, TruncatedAtEveryPositionIsAnError) {
  JsonGen gen(5);
  const std::string body = gen.array(6, true);
  const std::size_t end = body.find_last_of(']') + 1;
  for (ScanKernel k : kernels()) {
    for (std::size_t len = 0; len < end; ++len) {
      const auto got = split(body.substr(0, len), {}, k);
      ASSERT_FALSE(got.ok) << len;
      EXPECT_EQ(got.error.kind, ErrorKind::kTransient);
      const bool before_array = body.substr(0, len).find('[') == std::string::npos;
      EXPECT_EQ(got.error.message.rfind(before_array ? "not JSON" : "truncated", 0), 0u) << got.error.message;
    }
    EXPECT_TRUE(split(body.substr(0, end), {}, k).ok);
  }
}

TEST(ArraySplitter, NotAnArrayIsAnError) {
  for (const char* body : {"", "   ", "{\"a\":1}", "hello", "\"[1]\"", "<html>[1]</html>"}) {
    const auto got = split_whole(body);
    ASSERT_FALSE(got.ok) << body;
    EXPECT_EQ(got.error.kind, ErrorKind::kTransient);
    EXPECT_EQ(got.error.message.rfind("not JSON", 0), 0u) << got.error.message;
  }
}

TEST(ArraySplitter, TrailingGarbageAndEmptyElementsAreErrors) {
  for (const char* body : {"[1] x", "[1][2]", "[1,]", "[,1]", "[1,,2]", "[1}", "[{\"a\":1}} ]"}) {
    const auto got = split_whole(body);
    ASSERT_FALSE(got.ok) << body;
    EXPECT_EQ(got.error.kind, ErrorKind::kTransient) << body;
    EXPECT_EQ(got.error.message.rfind("not JSON", 0), 0u) << got.error.message;
  }
  EXPECT_NE(split_whole("[1] x").error.message.find("after the end"), std::string::npos);
  EXPECT_NE(split_whole("[1,]").error.message.find("empty element"), std::string::npos);
}

TEST(ArraySplitter, ElementOverTheCapFailsPermanently) {
  const std::string big = "{\"id\":\"" + std::string(1000, 'x') + "\"}";
  const std::string body = "[" + big + "," + big + "]";
  for (ScanKernel k : kernels()) {
    EXPECT_TRUE(split(body, {}, k, "", big.size()).ok);
    EXPECT_TRUE(split(body, every_byte(body.size()), k, "", big.size()).ok);
    for (const auto& cuts : {std::vector<std::size_t>{}, every_byte(body.size()), std::vector<std::size_t>{500}}) {
      const auto got = split(body, cuts, k, "", big.size() - 1);
      ASSERT_FALSE(got.ok);
      EXPECT_EQ(got.error.kind, ErrorKind::kPermanent);
      EXPECT_NE(got.error.message.find("larger than the cap"), std::string::npos) << got.error.message;
    }
  }
}

TEST(ArraySplitter, CallbackErrorStopsTheSplit) {
  int seen = 0;
  ArraySplitter splitter({}, [&](std::string_view) -> Status {
    if (++seen == 2) return internal_error("disk full");
    return ok_status();
  });
  Status s = splitter.feed("[1,2,3]");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message, "disk full");
  EXPECT_EQ(seen, 2);
  EXPECT_FALSE(splitter.finish().ok());
  EXPECT_FALSE(splitter.feed("]").ok());
}

TEST(ArraySplitter, ObjectModeFindsTheArrayAtTheKey) {
  const std::string page =
      R"({"meta":{"conversations":[9,9]},"x":"conversations","conversations" : [ {"conversationId":"c1"},)"
      R"( {"conversationId":"c\"2"} ] , "cursor":"abc\\","nested":[[],{}]} )";
  for (ScanKernel k : kernels()) {
    for (const auto& cuts : {std::vector<std::size_t>{}, every_byte(page.size())}) {
      const auto got = split(page, cuts, k, "conversations");
      ASSERT_TRUE(got.ok) << got.error.message;
      EXPECT_EQ(got.elements, (std::vector<std::string>{R"({"conversationId":"c1"})", R"({"conversationId":"c\"2"})"}));
    }
  }
}

// Pages: the random array wrapped in an object among other members, some of
// which hold the same key deeper down or as a string value.
TEST(ArraySplitter, ObjectModeMatchesReferenceOnRandomPages) {
  JsonGen gen(23);
  for (int doc = 0; doc < 200; ++doc) {
    const std::string array = gen.array(gen.pick(20), doc % 2 == 0);
    const std::string page = "{" + gen.ws() + R"("cursor":"c\"ur" ,"x":{"conversations":[1,2]},)" +
                             R"("y":"conversations", "conversations")" + gen.ws() + ":" + array + "," +
                             gen.string_literal() + ":" + gen.value(1) + "}" + gen.ws();
    const auto want = reference_split(array);
    ASSERT_TRUE(want.has_value()) << array;
    for (ScanKernel k : kernels()) {
      for (const auto& cuts : {std::vector<std::size_t>{}, random_cuts(gen, page.size())}) {
        const auto got = split(page, cuts, k, "conversations");
        ASSERT_TRUE(got.ok) << got.error.message << " page: " << page;
        EXPECT_EQ(*want, got.elements) << page;
      }
    }
  }
}

TEST(ArraySplitter, MemoryStaysNearTheLargestElement) {
  // 20 MB of 2 KB elements in 1000-byte slices: every element spans slices,
  // and only the one in progress is kept.
  const std::string element = "{\"id\":\"k\",\"pad\":\"" + std::string(2000, 'p') + "\"}";
  std::size_t elements = 0;
  std::size_t max_buffered = 0;
  ArraySplitter splitter({}, [&](std::string_view e) {
    EXPECT_EQ(e, element);
    ++elements;
    return ok_status();
  });
  std::string slice;
  ASSERT_TRUE(splitter.feed("[").ok());
  const std::size_t count = 20'000'000 / element.size();
  std::string pending;
  for (std::size_t i = 0; i < count; ++i) {
    pending += (i ? "," : "") + element;
    while (pending.size() >= 1000) {
      ASSERT_TRUE(splitter.feed(std::string_view(pending).substr(0, 1000)).ok());
      pending.erase(0, 1000);
      max_buffered = std::max(max_buffered, splitter.buffered_bytes());
    }
  }
  ASSERT_TRUE(splitter.feed(pending + "]").ok());
  ASSERT_TRUE(splitter.finish().ok());
  EXPECT_EQ(elements, count);
  EXPECT_LE(max_buffered, 2 * element.size());
}

TEST(ArraySplitter, ObjectModeEdgeCases) {
  EXPECT_TRUE(split("{}", {}, ScanKernel::kAuto, "userDetails").ok);
  EXPECT_TRUE(split(R"({"userDetails":[]})", {}, ScanKernel::kAuto, "userDetails").ok);
  const auto missing = split(R"({"cursor":"a","userDetailsX":[1]})", {}, ScanKernel::kAuto, "userDetails");
  EXPECT_TRUE(missing.ok);
  EXPECT_TRUE(missing.elements.empty());
  for (const char* bad :
       {R"([{"userDetails":[1]}])", R"({"userDetails":{"a":1}})", R"({"userDetails":[1],"userDetails":[2]})",
        R"({"userDetails":[1]} x)", R"({"a" 1})", R"({"userDetails":[1])"}) {
    const auto got = split(bad, {}, ScanKernel::kAuto, "userDetails");
    EXPECT_FALSE(got.ok) << bad;
    EXPECT_EQ(got.error.kind, ErrorKind::kTransient) << bad;
  }
  EXPECT_EQ(split(R"({"userDetails":[1])", {}, ScanKernel::kAuto, "userDetails").error.message.rfind("truncated", 0),
            0u);
}

}  // namespace
}  // namespace gb::records
