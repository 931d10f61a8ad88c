// A temporary directory for one test, removed (recursively) when it goes out of scope unless
// FERRY_KEEP_TEST_DIRS is set, in which case its path is printed for inspection.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>

namespace ferry::test {

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "ferry-test-XXXXXX").string();
    char* made = ::mkdtemp(pattern.data());
    if (made == nullptr) std::abort();
    path_ = made;
  }
  ~TempDir() {
    if (std::getenv("FERRY_KEEP_TEST_DIRS") != nullptr) {
      std::cerr << "kept test dir " << path_ << "\n";
      return;
    }
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace ferry::test
