// Python's repr of floats and Celery's saferepr of JSON values. The golden
// messages (task_message_test.cpp) check longer and nested cases against
// Python itself; python_interop_test.cpp checks more against a live Python.
#include "celery/detail/saferepr.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <string>

namespace gb::celery::detail {
namespace {

TEST(PythonFloatRepr, MatchesPython) {
  EXPECT_EQ(python_float_repr(0.25), "0.25");
  EXPECT_EQ(python_float_repr(3.0), "3.0");
  EXPECT_EQ(python_float_repr(-0.0), "-0.0");
  EXPECT_EQ(python_float_repr(0.0), "0.0");
  EXPECT_EQ(python_float_repr(1e16), "1e+16");
  EXPECT_EQ(python_float_repr(1e15), "1000000000000000.0");
  EXPECT_EQ(python_float_repr(1234567890123456.7), "1234567890123456.8");
  EXPECT_EQ(python_float_repr(-7.5e-07), "-7.5e-07");
  EXPECT_EQ(python_float_repr(1e-05), "1e-05");
  EXPECT_EQ(python_float_repr(0.0001), "0.0001");
  EXPECT_EQ(python_float_repr(123.456), "123.456");
  EXPECT_EQ(python_float_repr(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(python_float_repr(1.7976931348623157e308), "1.7976931348623157e+308");
  EXPECT_EQ(python_float_repr(5e-324), "5e-324");
  EXPECT_EQ(python_float_repr(1.5e100), "1.5e+100");
  EXPECT_EQ(python_float_repr(std::numeric_limits<double>::infinity()), "inf");
}

TEST(SafereprJson, WritesPythonLiterals) {
  EXPECT_EQ(saferepr_json("[]").value(), "[]");
  EXPECT_EQ(saferepr_json("{}").value(), "{}");
  EXPECT_EQ(saferepr_json(R"(["a", 1, 2.0, true, false, null])").value(), "['a', 1, 2.0, True, False, None]");
  EXPECT_EQ(saferepr_json(R"({"k": "it's", "n": {"x": []}})").value(), R"({'k': 'it\'s', 'n': {'x': []}})");
  EXPECT_EQ(saferepr_json(R"(["a\nb\\c"])").value(), "['a\nb\\c']");  // only quotes are escaped
  EXPECT_EQ(saferepr_json(R"([18446744073709551615, -9223372036854775808])").value(),
            "[18446744073709551615, -9223372036854775808]");
}

TEST(SafereprJson, StopsThreeLevelsDown) {
  EXPECT_EQ(saferepr_json(R"([[[[1]], {"a": {}}]])").value(), "[[[[...]], {'a': {...}}]]");
}

TEST(SafereprJson, CutsAtMaxlenAsCeleryDoes) {
  // The string eats the budget; the closing bracket that came next is dropped.
  // (Outputs of Python's saferepr with these maxlen.)
  EXPECT_EQ(saferepr_json(R"(["aaaa bbbb cccc"])", 10).value(), "['aaaa...', ...");
  EXPECT_EQ(saferepr_json(R"(["ab", ["cd", "ef"]])", 8).value(), "['ab', [, ...]]");
  EXPECT_EQ(saferepr_json(R"([1, 2, 3])", 2).value(), "[1..., ...]");
}

TEST(SafereprJson, RefusesInvalidJson) {
  EXPECT_FALSE(saferepr_json("[").ok());
}

}  // namespace
}  // namespace gb::celery::detail
