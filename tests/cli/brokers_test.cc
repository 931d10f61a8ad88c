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

TEST(Profile, ReadsBrokersAndControllersIgnoringCommentsAndBlanks) {
  auto profile = parse_profile("# dev cluster\n\n brokers = a:1,b:2 \ncontrollers=c:3\r\n", "p");
  ASSERT_TRUE(profile.ok());
  EXPECT_EQ(profile->brokers, "a:1,b:2");
  EXPECT_EQ(profile->controllers, "c:3");
}

TEST(Profile, UnknownKeyIsAnErrorNamingFileAndLine) {
  auto profile = parse_profile("brokers=a:1\nbrokerz=b:2\n", "/x/profile");
  ASSERT_FALSE(profile.ok());
  EXPECT_EQ(profile.error().message(),
            "profile /x/profile:2: unknown key 'brokerz' (known: brokers, controllers)");
}

TEST(Profile, LineWithoutEqualsOrRepeatedKeyIsAnError) {
  EXPECT_FALSE(parse_profile("brokers\n", "p").ok());
  auto twice = parse_profile("brokers=a\nbrokers=b\n", "p");
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.error().message().find("p:2: 'brokers' given twice"), std::string::npos);
}

TEST(Brokers, FlagWinsOverEverything) {
  Environment env{"env:1", "/nonexistent", "/nonexistent"};
  auto brokers = resolve_brokers(std::string("flag:1"), env);
  ASSERT_TRUE(brokers.ok());
  EXPECT_EQ(brokers->brokers, "flag:1");
  EXPECT_EQ(brokers->source, "--brokers");
}

TEST(Brokers, EnvironmentWinsOverTheProfileWhichIsNotEvenRead) {
  Environment env{"env:1", "/nonexistent/profile", std::nullopt};
  auto brokers = resolve_brokers(std::nullopt, env);
  ASSERT_TRUE(brokers.ok());
  EXPECT_EQ(brokers->brokers, "env:1");
  EXPECT_EQ(brokers->source, "FERRY_BROKERS");
}

TEST(Brokers, ProfileNamedByFerryProfileIsUsed) {
  test::TempDir dir;
  auto path = dir.path() / "p";
  write_file(path, "brokers=prof:1\n");
  Environment env{"", path.string(), std::nullopt};  // an empty FERRY_BROKERS is ignored
  auto brokers = resolve_brokers(std::nullopt, env);
  ASSERT_TRUE(brokers.ok());
  EXPECT_EQ(brokers->brokers, "prof:1");
  EXPECT_EQ(brokers->source, "profile " + path.string());
}

TEST(Brokers, DefaultProfileUnderHomeIsUsed) {
  test::TempDir home;
  write_file(home.path() / ".config/ferry/profile", "brokers=home:1\n");
  auto brokers =
      resolve_brokers(std::nullopt, Environment{std::nullopt, std::nullopt, home.path().string()});
  ASSERT_TRUE(brokers.ok());
  EXPECT_EQ(brokers->brokers, "home:1");
}

TEST(Brokers, MissingDefaultProfileFallsBackToLocalhost) {
  test::TempDir home;
  auto brokers =
      resolve_brokers(std::nullopt, Environment{std::nullopt, std::nullopt, home.path().string()});
  ASSERT_TRUE(brokers.ok());
  EXPECT_EQ(brokers->brokers, "127.0.0.1:9092");
  EXPECT_EQ(brokers->source, "default");
}

TEST(Brokers, ProfileWithoutBrokersFallsBackToLocalhost) {
  test::TempDir dir;
  write_file(dir.path() / "p", "controllers=c:1\n");
  auto brokers =
      resolve_brokers(std::nullopt, Environment{std::nullopt, (dir.path() / "p").string(), {}});
  ASSERT_TRUE(brokers.ok());
  EXPECT_EQ(brokers->brokers, "127.0.0.1:9092");
}

TEST(Brokers, MissingExplicitProfileIsAnError) {
  auto brokers =
      resolve_brokers(std::nullopt, Environment{std::nullopt, "/nonexistent/profile", {}});
  ASSERT_FALSE(brokers.ok());
  EXPECT_NE(brokers.error().message().find("/nonexistent/profile (from FERRY_PROFILE): cannot "
                                           "read"),
            std::string::npos)
      << brokers.error().message();
}

TEST(Brokers, MalformedProfileIsAnError) {
  test::TempDir dir;
  write_file(dir.path() / "p", "oops\n");
  auto brokers =
      resolve_brokers(std::nullopt, Environment{std::nullopt, (dir.path() / "p").string(), {}});
  EXPECT_FALSE(brokers.ok());
}

}  // namespace
}  // namespace ferry::cli
