// Fuzz targets over Ferry's parsers of untrusted bytes. Each function must accept ANY input
// without crashing, reading out of bounds or allocating without bound; the libFuzzer drivers
// (clang, -fsanitize=fuzzer) and the g++ regression test both call them.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ferry::fuzz {

// A Kafka request frame (header + body, no size prefix): header, then the body with the
// generated decoder of its API and version; whatever decodes must re-encode and decode to the
// same message.
void fuzz_request_frame(const uint8_t* data, size_t size);

// Produce records: batch validation (headers, CRC, records, decompression) and record decoding.
void fuzz_record_batches(const uint8_t* data, size_t size);

}  // namespace ferry::fuzz
