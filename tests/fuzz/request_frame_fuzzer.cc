// libFuzzer driver (clang, FERRY_FUZZ=ON): Kafka request frames.
#include "tests/fuzz/fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ferry::fuzz::fuzz_request_frame(data, size);
  return 0;
}
