// Runs the fuzz targets (fuzz_targets.h) in the regular build: on valid requests of every API
// and version, on their every prefix, and on seeded random mutations, so the targets keep
// compiling and any input a fuzzer once found is replayed (add such inputs to kRegressions).
//
// These tests have no EXPECT of their own on purpose: the targets check their own properties
// with FERRY_ASSERT (kept in release builds), which aborts the process, so a violated property
// (a decode that does not re-encode to the same message, an out-of-bounds read caught by the
// sanitizer build, an unbounded allocation) fails the test by crashing it.
#include <gtest/gtest.h>

#include "broker/protocol/generated/messages.h"
#include "broker/protocol/generated/testing.h"
#include "broker/protocol/header.h"
#include "common/random.h"
#include "storage/record_batch_builder.h"
#include "tests/fuzz/fuzz_targets.h"

namespace ferry::fuzz {
namespace {

template <typename Req>
Bytes valid_frame(Random& rng, int16_t version) {
  Req request;
  broker::kafka::testing::randomize(request, rng, version);
  broker::kafka::Writer w;
  broker::kafka::RequestHeader h{Req::kApiKey, version, 1, std::string("fuzz"), {}};
  broker::kafka::write_request_header(
      w, broker::kafka::request_header_version(Req::kFlexibleFrom, version), h);
  request.encode(w, version);
  return w.take_bytes();
}

void mutate_and_run(Random& rng, const Bytes& input, void (*target)(const uint8_t*, size_t)) {
  target(input.data(), input.size());
  for (size_t len = 0; len < input.size(); len += 1 + input.size() / 64)
    target(input.data(), len);
  for (int i = 0; i < 20 && !input.empty(); ++i) {
    Bytes m = input;
    const int flips = 1 + static_cast<int>(rng.uniform(4));
    for (int f = 0; f < flips; ++f)
      m[rng.uniform(m.size())] = static_cast<uint8_t>(rng.next_u64());
    target(m.data(), m.size());
  }
}

TEST(FuzzRegression, request_frames_of_every_api_and_version_and_their_mutations) {
  SeededRandom rng(seed_from_env());
  for (const auto& api : broker::kafka::kApiSchemas) {
    for (int16_t v = api.min_version; v <= api.max_version; ++v) {
      broker::kafka::with_request_type(api.key, [&]<typename T>() {
        mutate_and_run(rng, valid_frame<T>(rng, v), fuzz_request_frame);
      });
    }
  }
}

TEST(FuzzRegression, record_batches_of_every_codec_and_their_mutations) {
  SeededRandom rng(seed_from_env());
  using storage::CompressionType;
  for (auto codec : {CompressionType::kNone, CompressionType::kGzip, CompressionType::kSnappy,
                     CompressionType::kLz4, CompressionType::kZstd}) {
    Bytes batches = storage::make_batch(5, 40, 1'700'000'000'000, rng.next_u64(), codec);
    const Bytes second = storage::make_batch(3, 10, 1'700'000'000'001, rng.next_u64(), codec);
    batches.insert(batches.end(), second.begin(), second.end());
    mutate_and_run(rng, batches, fuzz_record_batches);
  }
}

// Inputs that once crashed or misbehaved; add fuzzer findings here.
TEST(FuzzRegression, known_inputs) {
  const std::vector<Bytes> kRegressions = {
      {0, 3, 0, 1, 0, 0, 0, 1, 0xFF, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF},  // huge array count
      // Produce v9 with unknown tagged fields out of order (1, 16383, 704511, 127): found by
      // request_frame_fuzzer; re-encoding sorted them, so decode must refuse the input.
      {0x00, 0x00, 0x00, 0x09, 0x0b, 0x00, 0xff, 0xfd, 0x00, 0x00, 0x00, 0x00,
       0x0b, 0x00, 0xff, 0xfd, 0x40, 0x00, 0x01, 0x04, 0x01, 0x01, 0xff, 0xff,
       0x00, 0x00, 0xff, 0xff, 0x2b, 0x00, 0xff, 0x00, 0x02, 0x00, 0x00, 0x08},
  };
  for (const auto& input : kRegressions) {
    fuzz_request_frame(input.data(), input.size());
    fuzz_record_batches(input.data(), input.size());
  }
}

}  // namespace
}  // namespace ferry::fuzz
