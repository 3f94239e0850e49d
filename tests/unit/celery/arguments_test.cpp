#include "celery/arguments.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string>

namespace gb::celery {
namespace {

constexpr Parameter kJobId{0, "job_id"};
constexpr Parameter kJobType{1, "job_type"};
constexpr std::array<Parameter, 2> kProcess = {kJobId, kJobType};
constexpr Parameter kSubmitType{0, "job_type"};
constexpr Parameter kQuery{1, "query"};
constexpr std::array<Parameter, 2> kSubmit = {kSubmitType, kQuery};

TaskArguments parse(std::string_view args, std::string_view kwargs) {
  auto parsed = TaskArguments::parse(args, kwargs);
  EXPECT_TRUE(parsed.ok()) << parsed.error().message;
  return std::move(parsed).value();
}

std::string error_of(const Status& s) {
  return s.ok() ? "" : s.error().message;
}
template <class T>
std::string error_of(const Result<T>& r) {
  if (r.ok()) return "";
  EXPECT_EQ(r.error().kind, ErrorKind::kPermanent);
  return r.error().message;
}

TEST(TaskArguments, FindsAParameterByPositionOrByName) {
  const auto positional = parse(R"(["job-1", "users"])", "{}");
  EXPECT_EQ(positional.string(kJobId).value(), "job-1");
  EXPECT_EQ(positional.string(kJobType).value(), "users");
  EXPECT_TRUE(positional.check_signature(kProcess).ok());

  const auto named = parse("[]", R"({"job_type": "users", "job_id": "job-1"})");
  EXPECT_EQ(named.string(kJobId).value(), "job-1");
  EXPECT_EQ(named.string(kJobType).value(), "users");
  EXPECT_TRUE(named.check_signature(kProcess).ok());

  const auto mixed = parse(R"(["job-1"])", R"({"job_type": "users"})");
  EXPECT_EQ(mixed.string(kJobId).value(), "job-1");
  EXPECT_EQ(mixed.string(kJobType).value(), "users");
  EXPECT_TRUE(mixed.check_signature(kProcess).ok());
  EXPECT_EQ(mixed.positional_count(), 1U);
  EXPECT_EQ(mixed.keyword_count(), 1U);
}

TEST(TaskArguments, DecodesJsonStrings) {
  const auto args = parse(R"(["caf\u00e9 \"x\"\n"])", "{}");
  EXPECT_EQ(args.string(kJobId).value(), "caf\xc3\xa9 \"x\"\n");
  EXPECT_EQ(args.find(kJobId).value(), R"("caf\u00e9 \"x\"\n")");
}

TEST(TaskArguments, SaysWhatIsWrong) {
  EXPECT_EQ(error_of(parse("[]", "{}").string(kJobId)), "missing argument job_id");
  EXPECT_EQ(error_of(parse("[42]", "{}").string(kJobId)), "job_id must be a string");
  EXPECT_EQ(error_of(parse("[null]", "{}").string(kJobId)), "job_id must be a string");
  EXPECT_EQ(error_of(parse("[]", R"({"job_id": ["x"]})").string(kJobId)), "job_id must be a string");
  EXPECT_EQ(error_of(parse("[]", R"({"x": 1})").check_signature(kProcess)), "unexpected argument x");
  EXPECT_EQ(error_of(parse("[]", R"({"a b\n": 1})").check_signature(kProcess)), "unexpected argument 'a b\\x0a'");
  EXPECT_EQ(error_of(parse(R"(["a", "b", "c"])", "{}").check_signature(kProcess)),
            "takes 2 arguments but 3 were given");
  EXPECT_EQ(error_of(parse(R"(["a"])", R"({"job_id": "b"})").check_signature(kProcess)),
            "job_id given both by position and by name");
  EXPECT_EQ(error_of(TaskArguments::parse("[]", R"({"job_id": "a", "job_id": "b"})")),
            "argument job_id given twice in kwargs");
  EXPECT_EQ(error_of(TaskArguments::parse("{}", "{}")), "args must be a JSON array");
  EXPECT_EQ(error_of(TaskArguments::parse("[]", "[]")), "kwargs must be a JSON object");
  EXPECT_EQ(error_of(TaskArguments::parse("[", "{}")).rfind("args is not valid JSON: ", 0), 0U);
}

TEST(TaskArguments, OptionalStringsMayBeMissingOrNull) {
  EXPECT_FALSE(parse("[]", "{}").optional_string(kJobType).value().has_value());
  EXPECT_FALSE(parse(R"(["a", null])", "{}").optional_string(kJobType).value().has_value());
  EXPECT_EQ(parse(R"(["a", "b"])", "{}").optional_string(kJobType).value(), "b");
  EXPECT_EQ(error_of(parse(R"(["a", 1])", "{}").optional_string(kJobType)), "job_type must be a string or null");
}

TEST(TaskArguments, QueryIsAnObjectOrAStringHoldingOne) {
  const auto as_dict = parse(R"(["users", {"interval": "x", "n": [1, 2.50]}])", "{}");
  EXPECT_TRUE(as_dict.check_signature(kSubmit).ok());
  EXPECT_EQ(as_dict.json_object(kQuery).value(), R"({"interval": "x", "n": [1, 2.50]})");

  const auto as_text = parse("[]", R"({"job_type": "users", "query": "{\"interval\": \"x\"}"})");
  EXPECT_EQ(as_text.json_object(kQuery).value(), R"({"interval": "x"})");

  EXPECT_EQ(error_of(parse(R"(["users"])", "{}").json_object(kQuery)), "missing argument query");
  EXPECT_EQ(error_of(parse(R"(["users", 3])", "{}").json_object(kQuery)),
            "query must be a JSON object or a string holding one");
  EXPECT_EQ(error_of(parse(R"(["users", "[1]"])", "{}").json_object(kQuery)),
            "query must be a JSON object or a string holding one");
  EXPECT_EQ(error_of(parse(R"(["users", "{oops"])", "{}").json_object(kQuery))
                .rfind("query must be a JSON object or a string holding one (", 0),
            0U);
}

TEST(TaskArguments, ReadsATaskRequest) {
  TaskRequest task;
  task.args_json = R"(["job-1"])";
  task.kwargs_json = R"({"job_type": "users"})";
  auto args = TaskArguments::of(task);
  ASSERT_TRUE(args.ok());
  EXPECT_EQ(args->string(kJobType).value(), "users");
}

}  // namespace
}  // namespace gb::celery
