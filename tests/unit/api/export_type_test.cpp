#include <gtest/gtest.h>

#include "api/jobs_api.hpp"

namespace gb::api {
namespace {

TEST(ExportType, ParsesTheThreeKinds) {
  auto conversations = ExportType::parse("conversations");
  ASSERT_TRUE(conversations.ok());
  EXPECT_EQ(conversations->kind, JobKind::kConversations);
  EXPECT_EQ(conversations->results_key(), "conversations");
  EXPECT_EQ(conversations->key_field(), records::KeyField::kConversationId);
  EXPECT_TRUE(conversations->paged());

  auto users = ExportType::parse("users");
  ASSERT_TRUE(users.ok());
  EXPECT_EQ(users->results_key(), "userDetails");
  EXPECT_EQ(users->key_field(), records::KeyField::kUserId);

  auto bulk = ExportType::parse("bulk:interactions");
  ASSERT_TRUE(bulk.ok());
  EXPECT_EQ(bulk->kind, JobKind::kBulk);
  EXPECT_EQ(bulk->bulk_job_type, "interactions");
  EXPECT_EQ(bulk->key_field(), records::KeyField::kId);
  EXPECT_FALSE(bulk->paged());
  EXPECT_EQ(bulk->to_string(), "bulk:interactions");
  EXPECT_EQ(users->to_string(), "users");
}

TEST(ExportType, RefusesAnythingElse) {
  for (const char* text : {"", "conversation", "bulk:", "bulk:../x", "bulk:a/b", "Users", "bulk:a b"}) {
    auto type = ExportType::parse(text);
    ASSERT_FALSE(type.ok()) << text;
    EXPECT_EQ(type.error().kind, ErrorKind::kInvalidInput);
  }
}

}  // namespace
}  // namespace gb::api
