// Broker precedence (--brokers > FERRY_BROKERS > profile > default) and the profile format.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cli/brokers.h"
#include "tests/support/temp_dir.h"

namespace ferry::cli {
namespace {

void write_file(const std::filesystem::path& path, std::string_view text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

TEST(Profile, reads_brokers_and_controllers_ignoring_comments_and_blanks) {
  auto profile = parse_profile("# dev cluster\n\n brokers = a:1,b:2 \ncontrollers=c:3\r\n", "p");
  ASSERT_TRUE(profile.ok());
  EXPECT_EQ(profile->brokers, "a:1,b:2");
  EXPECT_EQ(profile->controllers, "c:3");
}

TEST(Profile, unknown_key_is_an_error_naming_file_and_line) {
  auto profile = parse_profile("brokers=a:1\nbrokerz=b:2\n", "/x/profile");
  ASSERT_FALSE(profile.ok());
  EXPECT_EQ(profile.error().message(),
            "profile /x/profile:2: unknown key 'brokerz' (known: brokers, controllers)");
}

TEST(Profile, line_without_equals_or_repeated_key_is_an_error) {
  EXPECT_FALSE(parse_profile("brokers\n", "p").ok());
  auto twice = parse_profile("brokers=a\nbrokers=b\n", "p");
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.error().message().find("p:2: 'brokers' given twice"), std::string::npos);
}

TEST(Brokers, flag_wins_over_everything) {
  Environment env{
      .ferry_brokers = "env:1", .ferry_profile = "/nonexistent", .home = "/nonexistent"};
  auto brokers = resolve_brokers(std::string("flag:1"), env);
  ASSERT_TRUE(brokers.ok());
  EXPECT_EQ(brokers->brokers, "flag:1");
  EXPECT_EQ(brokers->source, "--brokers");
}

TEST(Brokers, environment_wins_over_the_profile_which_is_not_even_read) {
  Environment env{.ferry_brokers = "env:1", .ferry_profile = "/nonexistent/profile"};
  auto brokers = resolve_brokers(std::nullopt, env);
  ASSERT_TRUE(brokers.ok());
  EXPECT_EQ(brokers->brokers, "env:1");
  EXPECT_EQ(brokers->source, "FERRY_BROKERS");
}

TEST(Brokers, profile_named_by_ferry_profile_is_used) {
  test::TempDir dir;
  auto path = dir.path() / "p";
  write_file(path, "brokers=prof:1\n");
  Environment env{.ferry_brokers = "",
                  .ferry_profile = path.string()};  // an empty FERRY_BROKERS is ignored
  auto brokers = resolve_brokers(std::nullopt, env);
  ASSERT_TRUE(brokers.ok());
  EXPECT_EQ(brokers->brokers, "prof:1");
  EXPECT_EQ(brokers->source, "profile " + path.string());
}

TEST(Brokers, default_profile_under_home_is_used) {
  test::TempDir home;
  write_file(home.path() / ".config/ferry/profile", "brokers=home:1\n");
  auto brokers = resolve_brokers(std::nullopt, Environment{.home = home.path().string()});
  ASSERT_TRUE(brokers.ok());
  EXPECT_EQ(brokers->brokers, "home:1");
}

TEST(Brokers, missing_default_profile_falls_back_to_localhost) {
  test::TempDir home;
  auto brokers = resolve_brokers(std::nullopt, Environment{.home = home.path().string()});
  ASSERT_TRUE(brokers.ok());
  EXPECT_EQ(brokers->brokers, "127.0.0.1:9092");
  EXPECT_EQ(brokers->source, "default");
}

TEST(Brokers, profile_without_brokers_falls_back_to_localhost) {
  test::TempDir dir;
  write_file(dir.path() / "p", "controllers=c:1\n");
  auto brokers =
      resolve_brokers(std::nullopt, Environment{.ferry_profile = (dir.path() / "p").string()});
  ASSERT_TRUE(brokers.ok());
  EXPECT_EQ(brokers->brokers, "127.0.0.1:9092");
}

TEST(Brokers, missing_explicit_profile_is_an_error) {
  auto brokers =
      resolve_brokers(std::nullopt, Environment{.ferry_profile = "/nonexistent/profile"});
  ASSERT_FALSE(brokers.ok());
  EXPECT_NE(brokers.error().message().find("/nonexistent/profile (from FERRY_PROFILE): cannot "
                                           "read"),
            std::string::npos)
      << brokers.error().message();
}

TEST(Controllers, flag_then_environment_then_profile_then_default) {
  test::TempDir dir;
  write_file(dir.path() / "p", "brokers=b:1\ncontrollers=prof:9093\n");
  Environment env;
  env.ferry_profile = (dir.path() / "p").string();
  auto from_profile = resolve_controllers(std::nullopt, env);
  ASSERT_TRUE(from_profile.ok());
  EXPECT_EQ(from_profile->brokers, "prof:9093");
  env.ferry_controllers = "env:9093";
  EXPECT_EQ(resolve_controllers(std::nullopt, env)->brokers, "env:9093");
  EXPECT_EQ(resolve_controllers(std::string("flag:9093"), env)->brokers, "flag:9093");
  test::TempDir home;
  Environment empty;
  empty.home = home.path().string();
  EXPECT_EQ(resolve_controllers(std::nullopt, empty)->brokers, "127.0.0.1:9093");
}

TEST(Brokers, malformed_profile_is_an_error) {
  test::TempDir dir;
  write_file(dir.path() / "p", "oops\n");
  auto brokers =
      resolve_brokers(std::nullopt, Environment{.ferry_profile = (dir.path() / "p").string()});
  EXPECT_FALSE(brokers.ok());
}

}  // namespace
}  // namespace ferry::cli
