#include "config/credentials.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "base/log.hpp"

namespace gb::config {
namespace {

namespace fs = std::filesystem;

EnvLookup env_of(const std::map<std::string, std::string>& values) {
  return [values](std::string_view name) -> std::optional<std::string> {
    auto it = values.find(std::string(name));
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

class CredentialsFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("gb-creds-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& text, mode_t mode, const std::string& name = "creds") {
    const fs::path path = dir_ / name;
    std::ofstream(path) << text;
    EXPECT_EQ(::chmod(path.c_str(), mode), 0);
    return path.string();
  }

  fs::path dir_;
};

TEST(CredentialsEnv, BothVariablesGiveCredentialsAndRegisterTheSecret) {
  auto creds =
      load_credentials("", env_of({{"GENESYS_CLIENT_ID", "my-id"}, {"GENESYS_CLIENT_SECRET", "env-secret-42"}}));
  ASSERT_TRUE(creds.ok()) << creds.error().describe();
  EXPECT_EQ(creds->client_id, "my-id");
  EXPECT_EQ(creds->client_secret, "env-secret-42");
  EXPECT_EQ(log::redact("x env-secret-42 y"), "x *** y");
}

TEST(CredentialsEnv, AMissingVariableIsNamed) {
  auto none = load_credentials("", env_of({}));
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().kind, ErrorKind::kInvalidInput);
  EXPECT_NE(none.error().message.find("GENESYS_CLIENT_ID and GENESYS_CLIENT_SECRET"), std::string::npos);
  auto no_secret = load_credentials("", env_of({{"GENESYS_CLIENT_ID", "my-id"}}));
  ASSERT_FALSE(no_secret.ok());
  EXPECT_NE(no_secret.error().message.find("GENESYS_CLIENT_SECRET is not set"), std::string::npos);
  auto empty_id = load_credentials("", env_of({{"GENESYS_CLIENT_ID", ""}, {"GENESYS_CLIENT_SECRET", "abcdef"}}));
  ASSERT_FALSE(empty_id.ok());
  EXPECT_NE(empty_id.error().message.find("GENESYS_CLIENT_ID is not set"), std::string::npos);
}

TEST_F(CredentialsFile, OwnerOnlyFileIsAcceptedAndWinsOverTheEnvironment) {
  const auto path = write("# exported from the admin UI\nclient_id = file-id\nclient_secret=file-secret-77\n\n", 0600);
  auto creds = load_credentials(path, env_of({{"GENESYS_CLIENT_ID", "env"}, {"GENESYS_CLIENT_SECRET", "env-secret"}}));
  ASSERT_TRUE(creds.ok()) << creds.error().describe();
  EXPECT_EQ(creds->client_id, "file-id");
  EXPECT_EQ(creds->client_secret, "file-secret-77");
  EXPECT_EQ(log::redact("file-secret-77"), "***");
  const auto read_only = write("client_id=a\nclient_secret=read-only-secret\n", 0400, "ro");
  EXPECT_TRUE(load_credentials(read_only, env_of({})).ok());
}

TEST_F(CredentialsFile, GroupOrOtherReadableFileIsRefused) {
  for (mode_t mode : {0644, 0640, 0604, 0620}) {
    const auto path = write("client_id=a\nclient_secret=readable-secret-1\n", mode);
    auto creds = load_credentials(path, env_of({}));
    ASSERT_FALSE(creds.ok()) << std::oct << mode;
    EXPECT_EQ(creds.error().kind, ErrorKind::kInvalidInput);
    EXPECT_NE(creds.error().message.find("chmod 600"), std::string::npos) << creds.error().message;
    EXPECT_NE(creds.error().message.find(path), std::string::npos);
    EXPECT_EQ(creds.error().describe().find("readable-secret-1"), std::string::npos);
  }
}

TEST_F(CredentialsFile, SymlinksDirectoriesAndMissingFilesAreRefused) {
  const auto target = write("client_id=a\nclient_secret=linked-secret\n", 0600);
  const fs::path link = dir_ / "link";
  fs::create_symlink(target, link);
  EXPECT_FALSE(load_credentials(link.string(), env_of({})).ok());
  EXPECT_FALSE(load_credentials(dir_.string(), env_of({})).ok());
  auto missing = load_credentials((dir_ / "nope").string(), env_of({}));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("cannot open credentials file"), std::string::npos);
}

TEST_F(CredentialsFile, MalformedContentIsRefusedWithoutQuotingIt) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"client_id=a\n", "has no client_secret line"},
      {"client_secret=abcd-secret\n", "has no client_id line"},
      {"client_id=a\nclient_secret-abcd-secret\n", "line 2: expected key=value"},
      {"client_id=a\nsecret=abcd-secret\n", "line 2: unknown key"},
      {"client_id=a\nclient_secret=\n", "client secret is empty"},
  };
  for (const auto& [text, expected] : cases) {
    const auto path = write(text, 0600);
    auto creds = load_credentials(path, env_of({}));
    ASSERT_FALSE(creds.ok()) << text;
    EXPECT_NE(creds.error().message.find(expected), std::string::npos) << creds.error().message;
    EXPECT_EQ(creds.error().describe().find("abcd-secret"), std::string::npos) << creds.error().message;
  }
}

TEST_F(CredentialsFile, OversizedFileIsRefused) {
  const auto path = write("client_id=a\nclient_secret=" + std::string(70'000, 'x') + "\n", 0600);
  auto creds = load_credentials(path, env_of({}));
  ASSERT_FALSE(creds.ok());
  EXPECT_NE(creds.error().message.find("larger than"), std::string::npos);
}

}  // namespace
}  // namespace gb::config
