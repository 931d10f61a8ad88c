// ferryd as a user starts it: --help, configuration errors that name the key, embedded
// defaults, graceful shutdown on SIGTERM.
#include <gtest/gtest.h>

#include <fstream>

#include "tests/support/ferryd_process.h"

namespace ferry {
namespace {

using test::FerrydProcess;

TEST(FerrydCli, help_lists_every_configuration_key_and_exits_zero) {
  FerrydProcess ferryd;
  ASSERT_TRUE(ferryd.start_with_args({"--help"}));
  EXPECT_EQ(ferryd.wait_exit(10'000), 0);
  const auto out = ferryd.output();
  for (const char* key :
       {"log.retention.ms", "controller.quorum.voters", "log.flush.mode", "FERRY_LOG_DIRS"}) {
    EXPECT_NE(out.find(key), std::string::npos) << key;
  }
}

TEST(FerrydCli, unknown_argument_is_a_usage_error) {
  FerrydProcess ferryd;
  ASSERT_TRUE(ferryd.start_with_args({"--bogus"}));
  EXPECT_EQ(ferryd.wait_exit(10'000), 2);
  EXPECT_NE(ferryd.output().find("unknown argument '--bogus'"), std::string::npos);
}

TEST(FerrydCli, unknown_key_fails_start_up_naming_the_key_and_the_closest_one) {
  FerrydProcess ferryd;
  ASSERT_TRUE(ferryd.start_with_args({"--override", "num.partiton=3"}));
  EXPECT_EQ(ferryd.wait_exit(10'000), 1);
  const auto out = ferryd.output();
  EXPECT_NE(out.find("num.partiton"), std::string::npos) << out;
  EXPECT_NE(out.find("num.partitions"), std::string::npos) << out;
}

TEST(FerrydCli, bad_value_in_a_config_file_fails_start_up_naming_file_and_key) {
  FerrydProcess ferryd;
  const auto path = ferryd.data_dir().parent_path() / "bad.properties";
  std::ofstream(path) << "log.retention.ms=soon\n";
  ASSERT_TRUE(ferryd.start_with_args({"--config", path.string()}));
  EXPECT_EQ(ferryd.wait_exit(10'000), 1);
  const auto out = ferryd.output();
  EXPECT_NE(out.find("Invalid value soon for configuration log.retention.ms"), std::string::npos)
      << out;
  EXPECT_NE(out.find("bad.properties"), std::string::npos) << out;
}

TEST(FerrydCli, sigterm_shuts_down_cleanly_and_a_restart_serves_again) {
  FerrydProcess ferryd;
  ASSERT_TRUE(ferryd.start());
  ASSERT_TRUE(ferryd.wait_ready()) << ferryd.output();
  EXPECT_EQ(ferryd.stop(), 0) << ferryd.output();
  EXPECT_NE(ferryd.output().find("stopped"), std::string::npos);
  ASSERT_TRUE(ferryd.start());
  EXPECT_TRUE(ferryd.wait_ready()) << ferryd.output();
}

}  // namespace
}  // namespace ferry
