// libFuzzer driver (clang, FERRY_FUZZ=ON): produce record batches.
#include "tests/fuzz/fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ferry::fuzz::fuzz_record_batches(data, size);
  return 0;
}
