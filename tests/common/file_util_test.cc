#include "common/file_util.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "tests/support/temp_dir.h"

namespace ferry {
namespace {

TEST(FileUtil, atomic_write_replaces_contents_and_leaves_no_temp_file) {
  test::TempDir dir;
  const auto path = dir.path() / "checkpoint";
  ASSERT_TRUE(write_file_atomically(path, "one").ok());
  ASSERT_TRUE(write_file_atomically(path, "two").ok());
  auto contents = read_whole_file(path);
  ASSERT_TRUE(contents.ok());
  EXPECT_EQ(*contents, "two");
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "checkpoint.tmp"));
}

TEST(FileUtil, io_errors_name_the_path) {
  auto missing = read_whole_file("/nonexistent/ferry/file");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ErrorCode::KAFKA_STORAGE_ERROR);
  EXPECT_NE(missing.error().message().find("/nonexistent/ferry/file"), std::string::npos);
}

TEST(FileUtil, create_directories_durably_is_idempotent) {
  test::TempDir dir;
  const auto nested = dir.path() / "a" / "b" / "c";
  ASSERT_TRUE(create_directories_durably(nested).ok());
  ASSERT_TRUE(create_directories_durably(nested).ok());
  EXPECT_TRUE(std::filesystem::is_directory(nested));
}

}  // namespace
}  // namespace ferry
